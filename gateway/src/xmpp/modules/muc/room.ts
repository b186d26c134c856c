// XEP-0045 §4–§5, §10.9: room and occupant state — affiliations, roles, persistence and the lifetime of temporary rooms.
import type { Element } from 'ltx';
import type { Store } from '../../../store/index.ts';
import type { RoomAffiliation, RoomConfig, StoredRoom } from '../../../store/rooms.ts';
import type { ServerContext } from '../../core/host.ts';
import type { Session } from '../../core/session.ts';
import type { ErrorType, StanzaErrorCondition } from '../../core/stanza.ts';
import type { MessageLogger } from '../message.ts';
import type { ArchiveWriter } from '../mam-writer.ts';
import { broadcast } from './broadcast.ts';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_USER = `${NS_MUC}#user`;
export const NS_ADMIN = `${NS_MUC}#admin`;
export const NS_OWNER = `${NS_MUC}#owner`;
export const NS_ROOMCONFIG = `${NS_MUC}#roomconfig`;
export const NS_ROOMINFO = `${NS_MUC}#roominfo`;
export const NS_DATA = 'jabber:x:data';
export const NS_OOB = 'jabber:x:oob';

/** The conference component of user domain d is `conference.d`. */
export const CONFERENCE_PREFIX = 'conference.';
export const DEFAULT_HISTORY = 20;
export const MAX_HISTORY = 100;

export type Affiliation = RoomAffiliation | 'none';
export type Role = 'moderator' | 'participant' | 'none';
export const RANK: Record<Affiliation, number> = { outcast: -1, none: 0, member: 1, admin: 2, owner: 3 };

export interface Occupant {
  nick: string;
  bare: string;
  /** The full JID shown to the others (the client that joined or spoke last). */
  jid: string;
  /** Every client of this user joined under this nick: full JID → session. */
  sessions: Map<string, Session>;
  role: Role;
  /** The last presence sent to the room: its show, status etc. are what the others see. */
  presence: Element;
}

export interface Room {
  /** room@conference.domain */
  jid: string;
  /** The users' domain (the room is theirs). */
  domain: string;
  config: RoomConfig;
  persistent: boolean;
  /** Just created, waiting for the owner's configuration (XEP-0045 §10.1): only owners may enter. */
  locked: boolean;
  subject: string;
  subjectBy: string;
  affiliations: Map<string, RoomAffiliation>;
  /** By nick, case-folded (so "Bob" and "bob" cannot both be in a room). */
  occupants: Map<string, Occupant>;
  /**
   * Full JID of each joined client → its occupant, so occupantOf() (every message and presence a
   * client sends to the room) is one lookup, not a walk of every occupant (issue 12). Added to by
   * addClient(); an entry whose occupant left or lost that client is ignored and dropped on read.
   */
  clients: Map<string, Occupant>;
  /** The last messages, for history on join — only while archiving is off (else the archive has them: archive.ts). */
  history: { stanza: Element; at: number }[];
  createdAt: number;
}

export interface MucDeps {
  store: Store;
  logMessage: MessageLogger;
  offlineQuota: number;
  /** Room archives (archive.ts) go through the writer of every archive; undefined = archiving is off. */
  archive: ArchiveWriter | undefined;
}

/** What every part of the MUC component works on: the server, its collaborators and the rooms. */
export interface MucState {
  readonly ctx: ServerContext;
  readonly deps: MucDeps;
  readonly rooms: Map<string, Room>;
}

export const key = (nick: string) => nick.normalize('NFC').toLowerCase();
export const isoStamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export class Refusal extends Error {
  constructor(
    readonly type: ErrorType,
    readonly condition: StanzaErrorCondition,
    text: string,
  ) {
    super(text);
  }
}
/** Ends handling of a stanza with an error reply to its sender. */
export function refuse(type: ErrorType, condition: StanzaErrorCondition, text: string): never {
  throw new Refusal(type, condition, text);
}

export function defaultConfig(): RoomConfig {
  return { name: '', description: '', membersOnly: false, public: true, changeSubject: false, maxHistory: DEFAULT_HISTORY };
}

/** A persistent room as loaded from the store, without occupants. */
export function roomFromStore(r: StoredRoom): Room {
  const at = r.jid.indexOf('@');
  return {
    jid: r.jid,
    domain: r.jid.slice(at + 1 + CONFERENCE_PREFIX.length),
    config: r.config,
    persistent: true,
    locked: false,
    subject: r.subject,
    subjectBy: r.subjectBy,
    affiliations: r.affiliations,
    occupants: new Map(),
    clients: new Map(),
    history: [],
    createdAt: r.createdAt,
  };
}

export function affiliation(room: Room, bare: string): Affiliation {
  return room.affiliations.get(bare) ?? 'none';
}

export function roleFor(aff: Affiliation): Role {
  return aff === 'owner' || aff === 'admin' ? 'moderator' : aff === 'outcast' ? 'none' : 'participant';
}

export function occupantOf(room: Room, full: string): Occupant | undefined {
  const o = room.clients.get(full);
  if (!o) return undefined;
  // Still this occupant's client, and the occupant still in the room under its nick (a kick, a
  // leave or a destroyed room need not have touched the index).
  if (o.sessions.has(full) && room.occupants.get(key(o.nick)) === o) return o;
  room.clients.delete(full);
  return undefined;
}

/** `session` (full JID `full`) joins as (a client of) `o`: the one way clients enter a room. */
export function addClient(room: Room, o: Occupant, full: string, session: Session): void {
  o.sessions.set(full, session);
  room.clients.set(full, o);
}

/**
 * Sends `el` to every client of an occupant, each its own copy addressed to it (a client may hold
 * a stanza back, XEP-0352, or keep it for resending, XEP-0198: one element re-addressed for the
 * next client would reach it with someone else's `to`).
 */
export function sendTo(o: Occupant, el: Element): void {
  if (o.sessions.size !== 1) return broadcast([o], el);
  for (const [full, s] of o.sessions) {
    el.attrs.to = full;
    s.send(el);
  }
}

export function toSession(el: Element, full: string): Element {
  el.attrs.to = full;
  return el;
}

export function persist(m: MucState, room: Room): void {
  if (!room.persistent) return;
  m.deps.store.rooms.save({ jid: room.jid, config: room.config, subject: room.subject, subjectBy: room.subjectBy, affiliations: room.affiliations, createdAt: room.createdAt });
}

/** A temporary room with nobody in it is gone (XEP-0045 §10.9), and its archive with it. */
export function destroyIfEmpty(m: MucState, room: Room): void {
  if (room.occupants.size === 0 && !room.persistent) {
    m.rooms.delete(room.jid);
    forgetArchive(m, room.jid);
    m.ctx.log.info({ room: room.jid }, 'MUC: temporary room destroyed (last occupant left)');
  }
}

/**
 * Deletes a room's archive (archive.ts): the room is gone, or a room is created under a name
 * whose earlier temporary room ended with a shutdown (its messages are not the new room's).
 */
export function forgetArchive(m: MucState, room: string): void {
  const n = m.deps.archive?.clear(room) ?? 0;
  if (n) m.ctx.log.info({ room, count: n }, 'MUC: room archive deleted');
}
