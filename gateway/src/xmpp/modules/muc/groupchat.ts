// XEP-0045 §7.4–§7.5, §8.1: groupchat messages, room subject and private messages (history on join
// and the room's archive: archive.ts).
import { Element } from 'ltx';
import type { Session } from '../../core/session.ts';
import { cloneEl, NS } from '../../core/stanza.ts';
import type { MessageLogger } from '../message.ts';
import { NS_SID } from '../mam-query.ts';
import { carriesContent, encryptionOf } from '../encrypted-message.ts';
import { record } from './archive.ts';
import { broadcast } from './broadcast.ts';
import { key, NS_OOB, NS_USER, persist, refuse, sendTo, type MucState, type Occupant, type Room } from './room.ts';

export function subjectMessage(room: Room): Element {
  const m = new Element('message', { type: 'groupchat', from: room.subjectBy ? `${room.jid}/${room.subjectBy}` : room.jid });
  m.c('subject').t(room.subject);
  return m;
}

/** What the central log records: the text and links, or — for an end-to-end encrypted message — only its scheme (e2ee-policy.ts). */
function contentOf(stanza: Element): { body: string; attachments: string[]; encrypted?: string } {
  const encrypted = encryptionOf(stanza);
  // OMEMO key transport (no payload) is no message: nothing to log (encrypted-message.ts).
  if (encrypted) return carriesContent(stanza) ? { body: '', attachments: [], encrypted } : { body: '', attachments: [] };
  return {
    body: stanza.getChildText('body') ?? '',
    attachments: stanza
      .getChildren('x', NS_OOB)
      .map((x) => x.getChildText('url') ?? '')
      .filter(Boolean),
  };
}

/** Writes the central IM log first; a message that cannot be logged is refused. */
function log(m: MucState, entry: Parameters<MessageLogger>[0]): void {
  try {
    m.deps.logMessage(entry);
  } catch (e) {
    m.ctx.log.error({ err: (e as Error).message }, 'central IM log cannot be written: room message refused');
    refuse('wait', 'resource-constraint', 'the server cannot log messages right now; try again later');
  }
}

export function groupchat(m: MucState, room: Room, me: Occupant | undefined, stanza: Element, session: Session): void {
  if (!me) return refuse('modify', 'not-acceptable', 'only occupants may send messages to this room; join it first');
  const { body, attachments, encrypted } = contentOf(stanza);
  const subject = stanza.getChild('subject');
  const isSubject = subject !== undefined && !body && !encrypted;
  if (isSubject && me.role !== 'moderator' && !room.config.changeSubject) refuse('auth', 'forbidden', 'only moderators may change the subject of this room');
  if (body || attachments.length || encrypted) log(m, { type: 'groupchat', from: session.jid!.full, to: room.jid, body, attachments, ...(encrypted && { encrypted }) });
  me.jid = session.jid!.full;
  const out = cloneEl(stanza);
  out.attrs.from = `${room.jid}/${me.nick}`;
  delete out.attrs.to;
  // What the room vouches for is the room's to add: delays, stanza-ids (XEP-0359 §7) and MUC user
  // data (the sender's real JID, XEP-0313 §5.1.2) a client put in are removed.
  out.remove('delay', NS.delay);
  out.remove('stanza-id', NS_SID);
  out.remove('x', NS_USER);
  if (isSubject) {
    room.subject = subject.getText();
    room.subjectBy = me.nick;
    persist(m, room);
  }
  record(m, room, me, out, { subject: isSubject, content: !!body || attachments.length > 0 || !!encrypted });
  // One serialization for every occupant's copy (broadcast.ts).
  broadcast(room.occupants.values(), out);
}

export function privateMessage(m: MucState, room: Room, me: Occupant | undefined, stanza: Element, nick: string, session: Session): void {
  const type = stanza.attrs.type ?? 'normal';
  if (type === 'groupchat') refuse('modify', 'bad-request', 'groupchat messages go to the room, not to an occupant');
  if (!me) refuse('modify', 'not-acceptable', 'only occupants may send private messages in this room');
  const target = room.occupants.get(key(nick));
  if (!target) return refuse('cancel', 'item-not-found', `nobody is called "${nick}" in this room`);
  const { body, attachments, encrypted } = contentOf(stanza);
  const logType = type === 'chat' || type === 'headline' ? type : 'normal';
  if (body || attachments.length || encrypted) log(m, { type: logType, from: session.jid!.full, to: target.bare, body, attachments, ...(encrypted && { encrypted }) });
  const out = cloneEl(stanza);
  out.attrs.from = `${room.jid}/${me!.nick}`;
  if (!out.getChild('x', NS_USER)) out.c('x', { xmlns: NS_USER });
  sendTo(target, out);
}
