// Message stanzas (RFC 6120 §8, RFC 6121 §5) with the extensions the chat uses, built and read in
// one place: XEP-0184 receipts, XEP-0085 chat states, XEP-0071 XHTML-IM (colour out, sanitised in),
// XEP-0066 out-of-band file links, XEP-0359 ids, XEP-0203 delay, XEP-0045 invitations and subjects,
// XEP-0249 direct invitations, XEP-0334 hints. Pure: elements in, plain data out.
import { Element } from 'ltx';
import type { Attachment } from '../../shared/chat.ts';
import { NS } from './ns.ts';
import { colouredXhtml, sanitizeXhtmlIm } from './xhtml-im.ts';

export const CHAT_STATES = ['active', 'composing', 'paused', 'inactive', 'gone'] as const;
export type ChatState = (typeof CHAT_STATES)[number];

export interface ParsedMessage {
  type: 'chat' | 'normal' | 'groupchat' | 'headline' | 'error';
  from: string;
  to: string;
  id?: string;
  body?: string;
  subject?: string;
  /** Sanitised XHTML-IM as an HTML string. */
  html?: string;
  attachments: Attachment[];
  chatState?: ChatState;
  receiptRequest: boolean;
  /** XEP-0184: the id of our message this acknowledges. */
  receivedId?: string;
  /** XEP-0359 stanza-ids: archive id by archive owner. */
  stanzaIds: { by: string; id: string }[];
  originId?: string;
  /** XEP-0203: when the message was first sent, if it was delayed. */
  delay?: string;
  /** XEP-0045 §7.8.2 (from the room, invitee's view) or XEP-0249 (from the inviter). */
  invite?: { room: string; from: string; reason?: string };
  /** XEP-0045: an occupant's message carries muc#user data (private messages in rooms). */
  mucUser: boolean;
  error?: { condition: string; text?: string };
}

const TYPES = new Set(['chat', 'normal', 'groupchat', 'headline', 'error']);
const SAFE_LINK = /^https?:\/\/[^\s]+$/i;

function attachmentsOf(el: Element): Attachment[] {
  const out: Attachment[] = [];
  for (const x of el.getChildren('x', NS.oob)) {
    const url = x.getChildText('url')?.trim();
    if (!url || !SAFE_LINK.test(url) || out.some((a) => a.url === url)) continue;
    const desc = x.getChildText('desc')?.trim();
    out.push({ url, name: nameFromUrl(url), ...(desc ? { description: desc } : {}) });
  }
  return out;
}

/** The last path segment of a URL, decoded (an upload's file name). */
export function nameFromUrl(url: string): string | undefined {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}

export function parseMessage(el: Element): ParsedMessage {
  const type = (TYPES.has(el.attrs.type ?? '') ? el.attrs.type : 'normal') as ParsedMessage['type'];
  const m: ParsedMessage = {
    type,
    from: el.attrs.from ?? '',
    to: el.attrs.to ?? '',
    attachments: attachmentsOf(el),
    receiptRequest: !!el.getChild('request', NS.receipts),
    stanzaIds: el.getChildren('stanza-id', NS.sid).flatMap((s) => (s.attrs.by && s.attrs.id ? [{ by: s.attrs.by, id: s.attrs.id }] : [])),
    mucUser: !!el.getChild('x', NS.mucUser),
  };
  if (el.attrs.id) m.id = el.attrs.id;
  const body = el.getChildText('body');
  if (body !== null && body !== undefined && body !== '') m.body = body;
  const subject = el.getChild('subject');
  if (subject) m.subject = subject.getText();
  const html = sanitizeXhtmlIm(el);
  if (html) m.html = html;
  const state = el.getChildElements().find((c) => c.attrs.xmlns === NS.chatStates && (CHAT_STATES as readonly string[]).includes(c.getName()));
  if (state) m.chatState = state.getName() as ChatState;
  const received = el.getChild('received', NS.receipts);
  if (received?.attrs.id) m.receivedId = received.attrs.id;
  const origin = el.getChild('origin-id', NS.sid);
  if (origin?.attrs.id) m.originId = origin.attrs.id;
  const delay = el.getChild('delay', NS.delay)?.attrs.stamp;
  if (delay && Number.isFinite(Date.parse(delay))) m.delay = new Date(delay).toISOString();
  const inv = el.getChild('x', NS.mucUser)?.getChild('invite');
  if (inv?.attrs.from && m.from) m.invite = { room: m.from, from: inv.attrs.from, ...(inv.getChildText('reason') ? { reason: inv.getChildText('reason')! } : {}) };
  // A room's mediated invitation may carry a XEP-0249 element as well (Prosody adds one): the inviter is in the first.
  const direct = el.getChild('x', NS.conference);
  if (direct?.attrs.jid && m.from && !m.invite) m.invite = { room: direct.attrs.jid, from: m.from, ...(direct.attrs.reason ? { reason: direct.attrs.reason } : {}) };
  if (type === 'error') {
    const err = el.getChild('error');
    const cond = err?.getChildElements().find((c) => c.attrs.xmlns === NS.stanzas && c.getName() !== 'text');
    m.error = { condition: cond?.getName() ?? 'undefined-condition', ...(err?.getChildText('text', NS.stanzas) ? { text: err.getChildText('text', NS.stanzas)! } : {}) };
  }
  return m;
}

export interface OutgoingMessage {
  to: string;
  type: 'chat' | 'groupchat';
  id: string;
  body: string;
  color?: string;
  attachments?: Attachment[];
  /** XEP-0203 stamp when the message is sent again later (its first sending). */
  delay?: { from: string; stamp: string };
}

/** A chat or room message: body, origin-id, colour, file link; 1:1 ones ask for a receipt and say `active`. */
export function buildMessage(o: OutgoingMessage): Element {
  const el = new Element('message', { to: o.to, type: o.type, id: o.id });
  el.c('body').t(o.body);
  if (o.color) el.cnode(colouredXhtml(o.body, o.color));
  for (const a of o.attachments ?? []) el.c('x', { xmlns: NS.oob }).c('url').t(a.url);
  el.c('origin-id', { xmlns: NS.sid, id: o.id });
  if (o.type === 'chat') {
    el.c('request', { xmlns: NS.receipts });
    el.c('active', { xmlns: NS.chatStates });
    // Archived and stored offline by servers that need the hint (XEP-0334 §4.4).
    el.c('store', { xmlns: NS.hints });
  }
  if (o.delay) el.c('delay', { xmlns: NS.delay, from: o.delay.from, stamp: o.delay.stamp });
  return el;
}

/** A standalone chat state (XEP-0085 §5.5: no body, not stored). */
export function buildChatState(to: string, state: ChatState, id: string): Element {
  const el = new Element('message', { to, type: 'chat', id });
  el.c(state, { xmlns: NS.chatStates });
  el.c('no-store', { xmlns: NS.hints });
  return el;
}

/** XEP-0184 §5.2: the receipt goes to the full address the message came from, with the message's id. */
export function buildReceipt(to: string, ackId: string, id: string): Element {
  const el = new Element('message', { to, id });
  el.c('received', { xmlns: NS.receipts, id: ackId });
  return el;
}
