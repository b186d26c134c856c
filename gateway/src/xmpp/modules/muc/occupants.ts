// XEP-0045 §7.1–§7.2, §7.6, §7.14, §9.2: occupant presence — join, presence change, nick change, leave, removal, status codes.
import { Element } from 'ltx';
import type { Jid } from '../../core/jid.ts';
import type { Session } from '../../core/session.ts';
import { cloneEl } from '../../core/stanza.ts';
import { historyFor } from './archive.ts';
import { broadcast } from './broadcast.ts';
import { subjectMessage } from './groupchat.ts';
import {
  affiliation,
  defaultConfig,
  destroyIfEmpty,
  forgetArchive,
  key,
  NS_MUC,
  NS_USER,
  occupantOf,
  addClient,
  refuse,
  roleFor,
  sendTo,
  toSession,
  type MucState,
  type Occupant,
  type Room,
} from './room.ts';

export interface PresenceOpts {
  unavailable?: boolean;
  /** Status codes for everyone, and only for the occupant itself (beside 110). */
  codes?: number[];
  selfCodes?: number[];
  /** Nick change (303): the new nick. */
  newNick?: string;
  actor?: string;
  reason?: string;
  status?: string;
}

/** An occupant's presence as the others see it, or as itself does (`self`: 110 and `selfCodes`). */
export function occupantPresence(room: Room, o: Occupant, self: boolean, opts: PresenceOpts = {}): Element {
  const p = new Element('presence', { from: `${room.jid}/${o.nick}`, type: opts.unavailable ? 'unavailable' : undefined });
  if (!opts.unavailable) {
    for (const c of o.presence.getChildElements()) {
      const muc = c.name === 'x' && (c.attrs.xmlns === NS_MUC || c.attrs.xmlns === NS_USER);
      if (!muc && c.name !== 'priority' && c.name !== 'error') p.cnode(cloneEl(c));
    }
  } else if (opts.status) p.c('status').t(opts.status);
  const x = p.c('x', { xmlns: NS_USER });
  const item = x.c('item', { affiliation: affiliation(room, o.bare), role: opts.unavailable ? 'none' : o.role, jid: o.jid, nick: opts.newNick });
  if (opts.actor) item.c('actor', { nick: opts.actor });
  if (opts.reason) item.c('reason').t(opts.reason);
  const codes = [...(opts.codes ?? []), ...(self ? [110, ...(opts.selfCodes ?? [])] : [])];
  for (const code of codes) x.c('status', { code: String(code) });
  return p;
}

/** Sends `o`'s presence to every occupant (`o` itself gets its self-presence). */
export function broadcastPresence(room: Room, o: Occupant, opts: PresenceOpts = {}): void {
  broadcast(room.occupants.values(), occupantPresence(room, o, false, opts), o);
  sendTo(o, occupantPresence(room, o, true, opts));
}

export function presence(m: MucState, stanza: Element, to: Jid, session: Session): void {
  const type = stanza.attrs.type;
  if (!to.local) return; // presence to the service itself means nothing
  if (type !== undefined && type !== 'unavailable') return; // no subscriptions to rooms; errors ignored
  const full = session.jid!.full;
  const room = m.rooms.get(to.bare);
  const me = room && occupantOf(room, full);
  if (type === 'unavailable') {
    if (room && me) leave(m, room, me, full, stanza.getChildText('status') ?? undefined);
    return;
  }
  if (!to.resource) refuse('modify', 'jid-malformed', 'join with a nickname: room@service/nick');
  if (room && me) {
    if (key(me.nick) === key(to.resource)) {
      me.presence = stanza;
      me.jid = full;
      return broadcastPresence(room, me);
    }
    return changeNick(room, me, to.resource);
  }
  join(m, room, to, stanza, session);
}

function join(m: MucState, existing: Room | undefined, to: Jid, stanza: Element, session: Session): void {
  const full = session.jid!.full;
  const bare = session.jid!.bare;
  const nick = to.resource;
  let room = existing;
  const created = !room;
  if (!room) {
    room = {
      jid: to.bare,
      domain: session.account!.domain,
      config: defaultConfig(),
      persistent: false,
      // An initial presence without the MUC <x/> (groupchat 1.0 clients) gets an instant room.
      locked: !!stanza.getChild('x', NS_MUC),
      subject: '',
      subjectBy: '',
      affiliations: new Map([[bare, 'owner']]),
      occupants: new Map(),
      clients: new Map(),
      history: [],
      createdAt: Date.now(),
    };
    m.rooms.set(room.jid, room);
    forgetArchive(m, room.jid);
    m.ctx.log.info({ room: room.jid, owner: bare }, 'MUC: room created');
  }
  const aff = affiliation(room, bare);
  if (room.locked && aff !== 'owner') refuse('cancel', 'item-not-found', 'this room is being created; try again when its owner has configured it');
  if (aff === 'outcast') refuse('auth', 'forbidden', 'you are banned from this room');
  if (room.config.membersOnly && aff === 'none') refuse('auth', 'registration-required', 'this room is for members only');
  const taken = room.occupants.get(key(nick));
  if (taken && taken.bare !== bare) refuse('cancel', 'conflict', `the nickname "${nick}" is in use in this room`);

  const selfCodes = [100, 170, ...(created ? [201] : [])];
  if (taken) {
    // Another client of the same user joins under the same nick: it shares the occupant.
    addClient(room, taken, full, session);
    for (const other of room.occupants.values()) if (other !== taken) session.send(toSession(occupantPresence(room, other, false), full));
    session.send(toSession(occupantPresence(room, taken, true, { selfCodes }), full));
  } else {
    const o: Occupant = { nick, bare, jid: full, sessions: new Map(), role: roleFor(aff), presence: stanza };
    for (const other of room.occupants.values()) session.send(toSession(occupantPresence(room, other, false), full));
    room.occupants.set(key(nick), o);
    addClient(room, o, full, session);
    broadcastPresence(room, o, { selfCodes });
  }
  for (const h of historyFor(m, room, stanza.getChild('x', NS_MUC)?.getChild('history'))) session.send(toSession(h, full));
  session.send(toSession(subjectMessage(room), full));
}

function changeNick(room: Room, me: Occupant, nick: string): void {
  const taken = room.occupants.get(key(nick));
  if (taken && taken !== me) refuse('cancel', 'conflict', `the nickname "${nick}" is in use in this room`);
  // XEP-0045 §7.6: unavailable with 303 and the new nick, then available under the new nick.
  broadcastPresence(room, me, { unavailable: true, codes: [303], newNick: nick });
  room.occupants.delete(key(me.nick));
  me.nick = nick;
  room.occupants.set(key(nick), me);
  broadcastPresence(room, me);
}

/** One client of an occupant leaves (or its session ended); the nick goes with its last client. */
export function leave(m: MucState, room: Room, o: Occupant, full: string, status?: string): void {
  const session = o.sessions.get(full);
  o.sessions.delete(full);
  room.clients.delete(full);
  if (o.sessions.size > 0) {
    if (o.jid === full) o.jid = o.sessions.keys().next().value!;
    session?.send(toSession(occupantPresence(room, o, true, { unavailable: true, status }), full));
    return;
  }
  room.occupants.delete(key(o.nick));
  broadcast(room.occupants.values(), occupantPresence(room, o, false, { unavailable: true, status }));
  session?.send(toSession(occupantPresence(room, o, true, { unavailable: true, status }), full));
  destroyIfEmpty(m, room);
}

/** Throws an occupant out (kick 307, ban 301, members-only 321/322): everyone is told, itself too. */
export function remove(m: MucState, room: Room, o: Occupant, code: number, actor?: string, reason?: string): void {
  room.occupants.delete(key(o.nick));
  for (const full of o.sessions.keys()) room.clients.delete(full);
  const opts = { unavailable: true, codes: [code], actor, reason };
  broadcast(room.occupants.values(), occupantPresence(room, o, false, opts));
  sendTo(o, occupantPresence(room, o, true, opts));
  m.ctx.log.info({ room: room.jid, occupant: o.bare, code }, 'MUC: occupant removed');
}

/** A client whose session ended leaves every room it is in. */
export function sessionClosed(m: MucState, session: Session): void {
  const full = session.jid?.full;
  if (!full) return;
  for (const room of [...m.rooms.values()]) {
    const o = occupantOf(room, full);
    if (o) leave(m, room, o, full);
  }
}
