// RFC 6121 §5 messages as the user sees them: every incoming message (live, a carbon, an archive
// result, a room's history) goes through ingest() — conversation, direction, time (the XEP-0203
// stamp of when it was written, else now), sanitised XHTML, file links — and reaches the UI only
// if the history folder did not have it yet (history-store.ts deduplicates). Also: XEP-0184
// receipts both ways, XEP-0085 chat states, XEP-0280 carbons (accepted only from our own account:
// anybody else could forge "sent by you"), error answers to what we sent, invitations; and the
// sending side: a message is written to the history folder and the outbox (outbox.ts) before it
// goes out, and leaves the outbox when the server acknowledges it (XEP-0198).
import { randomUUID } from 'node:crypto';
import { parse, type Element } from 'ltx';
import { SendMessageSchema, type ChatEvent, type ChatMessage, type SendMessage } from '../../shared/chat.ts';
import type { Clock } from '../ports/clock.ts';
import { ChatError } from './chat-errors.ts';
import { discoInfo } from './disco.ts';
import { localId } from './dedupe.ts';
import { withEmoji, withEmojiInHtml } from './emoticons.ts';
import type { HistoryEntry } from './history-format.ts';
import type { HistoryStore } from './history-store.ts';
import { bareJid, resourceOf } from './jid.ts';
import { buildChatState, buildMessage, buildReceipt, parseMessage, type ChatState, type ParsedMessage } from './message-stanza.ts';
import type { Muc } from './muc.ts';
import { NS } from './ns.ts';
import { resendStanza, type Outbox } from './outbox.ts';
import { sanitizeXhtmlIm } from './xhtml-im.ts';
import type { XmppConnection } from './xmpp-connection.ts';

/**
 * Where a message came from. Archive results: `catchUp` for the catch-up after the last id seen
 * (they move that id on), `quiet` for older pages read into the history (not announced as new).
 */
export type Source = { kind: 'live' } | { kind: 'carbon' } | { kind: 'archive'; archiveId: string; stamp: string; catchUp?: boolean; quiet?: boolean };

const SENT_MEMORY = 2000;
const LATE_MS = 2000;

export interface MessagingDeps {
  conn: XmppConnection;
  clock: Clock;
  history: HistoryStore;
  outbox: Outbox;
  muc: Muc;
  emit: (e: ChatEvent) => void;
  emoticons: () => boolean;
  /** An id of the user's own archive seen live or by the catch-up: where the next catch-up starts. */
  archiveSeen: (id: string, stamp: string, live: boolean) => void;
}

/** A history line as the UI shows it (emoticons applied when the user wants them). */
export function toChatMessage(e: HistoryEntry, conversation: string, emoticons: boolean, delivery?: ChatMessage['delivery']): ChatMessage {
  return {
    id: e.id,
    with: conversation,
    from: e.from,
    direction: e.dir,
    kind: e.kind,
    body: emoticons ? withEmoji(e.body) : e.body,
    ...(e.html ? { html: emoticons ? withEmojiInHtml(e.html) : e.html } : {}),
    at: e.at,
    ...(delivery ? { delivery } : {}),
    ...(e.attachments?.length ? { attachments: e.attachments } : {}),
    ...(e.server ? { server: true } : {}),
  };
}

/**
 * Whether a one-to-one message was sent by the server itself rather than a person's client: a
 * client's message always carries its full address (RFC 6120 §4.3.6: the server stamps the
 * sending resource), while the gateway's scripted, alert and reminder messages come from a bare
 * address (`herald@<domain>`, `ci@<domain>`; RFC 6121 §8.5.2.1, gateway system-message.ts), and
 * so does the server's own domain.
 */
export function isServerSent(from: string | undefined, own: string): boolean {
  if (!from || from.includes('/')) return false;
  return bareJid(from) !== own;
}

export function createMessaging(d: MessagingDeps) {
  /** Our recent messages: id → conversation (receipts, errors and room echoes must match it). */
  const sent = new Map<string, { to: string; kind: 'chat' | 'groupchat' }>();
  /** Ids written at least once by this run. */
  const attempted = new Set<string>();
  let flushing: Promise<void> = Promise.resolve();

  const remember = (id: string, to: string, kind: 'chat' | 'groupchat') => {
    sent.set(id, { to, kind });
    if (sent.size > SENT_MEMORY) sent.delete(sent.keys().next().value as string);
  };
  /** Delivery only moves forward (a receipt can overtake the server's ack): pending → sent → received; failed ends it. */
  const reached = new Map<string, number>();
  const RANK = { pending: 0, sent: 1, received: 2, failed: 3 } as const;
  const delivery = (id: string, state: NonNullable<ChatMessage['delivery']>) => {
    const before = reached.get(id) ?? 0;
    if (RANK[state] <= before || before >= RANK.received) return;
    reached.set(id, RANK[state]);
    if (reached.size > SENT_MEMORY) reached.delete(reached.keys().next().value as string);
    d.emit({ type: 'delivery', id, delivery: state });
  };

  async function ingest(p: ParsedMessage, src: Source): Promise<ChatMessage | undefined> {
    const own = d.conn.bare;
    if (!p.body && !p.attachments.length) return undefined;
    const groupchat = p.type === 'groupchat';
    let conversation: string;
    let from: string;
    let dir: 'in' | 'out';
    let server = false;
    if (groupchat) {
      conversation = bareJid(p.from);
      from = p.from.includes('/') ? `${conversation}/${resourceOf(p.from)}` : conversation;
      dir = resourceOf(p.from) !== '' && resourceOf(p.from) === d.muc.nickIn(conversation) ? 'out' : 'in';
    } else if (p.from && resourceOf(p.from) && (p.mucUser || d.muc.isRoom(p.from))) {
      // A private message from a room occupant (XEP-0045 §7.5): its own conversation, room/nick.
      conversation = `${bareJid(p.from)}/${resourceOf(p.from)}`;
      from = conversation;
      dir = 'in';
    } else {
      const fromBare = p.from ? bareJid(p.from) : own;
      server = isServerSent(p.from, own);
      dir = fromBare === own ? 'out' : 'in';
      conversation = dir === 'out' ? (p.to ? bareJid(p.to) : own) : fromBare;
      from = fromBare;
    }
    const at = p.delay && (src.kind !== 'archive' || p.delay < src.stamp) ? p.delay : src.kind === 'archive' ? src.stamp : new Date(d.clock.now()).toISOString();
    const sidOwner = groupchat ? conversation : own;
    const sid = src.kind === 'archive' ? src.archiveId : p.stanzaIds.find((s) => bareJid(s.by) === sidOwner)?.id;
    const body = p.body ?? p.attachments.map((a) => a.url).join('\n');
    const wireId = p.originId ?? p.id;
    const entry: HistoryEntry = {
      at,
      from,
      body,
      id: wireId ?? localId({ kind: groupchat ? 'groupchat' : 'chat', from, sid, at, body }),
      dir,
      kind: groupchat ? 'groupchat' : 'chat',
      ...(sid ? { sid } : {}),
      ...(p.html ? { html: p.html } : {}),
      ...(p.attachments.length ? { attachments: p.attachments } : {}),
      ...(server ? { server: true as const } : {}),
    };
    if (!groupchat && sid && (src.kind === 'live' || (src.kind === 'archive' && src.catchUp))) d.archiveSeen(sid, at, src.kind === 'live');
    if (groupchat) d.muc.seen(conversation, at);
    // A room reflecting our own message: the room has it (XEP-0045 §7.4).
    if (groupchat && dir === 'out' && src.kind === 'live' && wireId && sent.get(wireId)?.to === conversation) delivery(wireId, 'received');
    if (!(await d.history.add(conversation, entry))) return undefined;
    const msg = toChatMessage(entry, conversation, d.emoticons());
    if (!(src.kind === 'archive' && src.quiet)) d.emit({ type: 'message', message: msg });
    return msg;
  }

  async function handleLive(el: Element, src: Source): Promise<void> {
    const p = parseMessage(el);
    const own = d.conn.bare;
    if (p.type === 'error') {
      if (p.id && sent.has(p.id)) delivery(p.id, 'failed');
      return;
    }
    if (p.receivedId && src.kind === 'live' && p.from && sent.get(p.receivedId)?.to === bareJid(p.from)) delivery(p.receivedId, 'received');
    if (p.invite && p.type !== 'groupchat' && src.kind === 'live') {
      const room = bareJid(p.invite.room);
      // The invitation names the room by address only; people know it by its name (XEP-0045 §6.4:
      // the room's disco#info identity). A room that does not answer is shown by address.
      const info = await discoInfo(d.conn, room).catch(() => undefined);
      const roomName = info?.identities.find((i) => i.category === 'conference')?.name;
      d.emit({ type: 'invite', room, from: bareJid(p.invite.from), ...(p.invite.reason ? { reason: p.invite.reason } : {}), ...(roomName ? { roomName } : {}) });
      return;
    }
    if (p.type === 'groupchat' && p.subject !== undefined && !p.body) {
      d.muc.subject(p.from, p.subject);
      return;
    }
    const fromBare = p.from ? bareJid(p.from) : own;
    if (p.chatState && p.type !== 'groupchat' && src.kind === 'live' && fromBare !== own) d.emit({ type: 'chat-state', jid: fromBare, state: p.chatState });
    await ingest(p, src);
    // XEP-0184 §5.4: acknowledge what reached this client itself — not carbons, archives or rooms.
    if (p.receiptRequest && p.id && src.kind === 'live' && p.type !== 'groupchat' && fromBare !== own && (p.body || p.attachments.length)) {
      await d.conn.send(buildReceipt(p.from, p.id, randomUUID()));
    }
  }

  async function flush(): Promise<void> {
    for (const e of d.outbox.waiting()) {
      if (d.conn.state.state !== 'online') return;
      if (e.kind === 'groupchat' && !d.muc.isRoom(e.to)) {
        await d.outbox.done(e.id);
        delivery(e.id, 'failed'); // the room is gone
        continue;
      }
      if (e.kind === 'groupchat' && !d.muc.rooms().some((r) => r.jid === e.to)) continue; // still joining
      // Sent again (it was on the wire of a connection that died), or later than written (an
      // earlier run left it): stamped with when it was written.
      const again = attempted.has(e.id) || d.clock.now() - Date.parse(e.at) > LATE_MS;
      const el = again ? resendStanza(e, d.conn.bare) : parse(e.xml);
      attempted.add(e.id);
      if (attempted.size > SENT_MEMORY) attempted.delete(attempted.values().next().value as string);
      remember(e.id, e.to, e.kind);
      d.outbox.written(e.id, true);
      if (!(await d.conn.send(el))) {
        d.outbox.written(e.id, false);
        return;
      }
      // Without stream management no ack will come: written is as good as it gets.
      if (!d.conn.managed && (await d.outbox.done(e.id))) delivery(e.id, 'sent');
    }
  }

  return {
    /** Any <message/> stanza from the connection (archive results are taken before this). */
    async handleMessage(el: Element): Promise<void> {
      // XEP-0280 §6: a carbon is a <received/> or <sent/> wrapper from our own bare address.
      const carbon = el.getChild('received', NS.carbons) ?? el.getChild('sent', NS.carbons);
      if (carbon) {
        if (el.attrs.from && bareJid(el.attrs.from) !== d.conn.bare) return;
        const inner = carbon.getChild('forwarded', NS.forward)?.getChild('message');
        if (inner) await handleLive(inner, { kind: 'carbon' });
        return;
      }
      await handleLive(el, { kind: 'live' });
    },

    /** A message from an archive query (the user's own archive, or a room's). */
    ingestArchived: (message: Element, src: Extract<Source, { kind: 'archive' }>) => ingest(parseMessage(message), src),

    async send(input: SendMessage): Promise<ChatMessage> {
      const r = SendMessageSchema.safeParse(input);
      if (!r.success) {
        const i = r.error.issues[0];
        throw new ChatError('bad_request', `message${i?.path.length ? ` "${i.path.join('.')}"` : ''}: ${i?.message ?? 'invalid'}`);
      }
      const m = r.data;
      const to = bareJid(m.to);
      const nick = d.muc.nickIn(to);
      if (m.kind === 'groupchat' && !nick) throw new ChatError('bad_request', `not in room ${to}`);
      if (m.kind === 'chat' && to === d.conn.bare) throw new ChatError('bad_request', 'cannot chat with yourself');
      const id = `herald-${randomUUID()}`;
      const at = new Date(d.clock.now()).toISOString();
      const stanza = buildMessage({ to, type: m.kind, id, body: m.body, ...(m.color ? { color: m.color } : {}) });
      const html = m.color ? sanitizeXhtmlIm(stanza) : undefined;
      const entry: HistoryEntry = { at, from: m.kind === 'groupchat' ? `${to}/${nick}` : d.conn.bare, body: m.body, id, dir: 'out', kind: m.kind, ...(html ? { html } : {}) };
      return this.sendEntry(to, entry, stanza);
    },

    /** Records and sends a message we built (also used for file links). */
    async sendEntry(to: string, entry: HistoryEntry, stanza: Element): Promise<ChatMessage> {
      if (!d.conn.bare) throw new ChatError('not_connected', 'not signed in to chat');
      await d.history.add(to, entry);
      await d.outbox.add({ id: entry.id, to, kind: entry.kind, xml: stanza.toString(), at: entry.at });
      remember(entry.id, to, entry.kind);
      const msg = toChatMessage(entry, to, d.emoticons(), 'pending');
      d.emit({ type: 'message', message: msg });
      void this.flush();
      return msg;
    },

    /** Sends what waits in the outbox (one flush at a time). */
    flush(): Promise<void> {
      flushing = flushing.then(flush, flush);
      return flushing;
    },

    /** XEP-0198: the server has it. */
    async acked(el: Element): Promise<void> {
      const id = el.attrs.id;
      if (el.name === 'message' && id && (await d.outbox.done(id))) delivery(id, 'sent');
    },
    /** A resumption failed: this stanza must go out again in the next session. */
    failed(el: Element): void {
      if (el.name === 'message' && el.attrs.id) d.outbox.written(el.attrs.id, false);
    },

    async setChatState(to: string, state: ChatState): Promise<void> {
      await d.conn.send(buildChatState(bareJid(to), state, randomUUID()));
    },
  };
}
export type Messaging = ReturnType<typeof createMessaging>;
