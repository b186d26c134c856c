// XEP-0045: Multi-User Chat — group conversations on conference.<domain>, a component for every
// served domain. Rooms are colleague rooms: only users of the room's own mail domain may use
// conference.<domain> (anyone else gets <forbidden/>; a members-only room answers
// <registration-required/> to colleagues who are not members). Rooms are non-anonymous (every
// occupant sees real JIDs, status 100) and logged (status 170): every groupchat message with
// content is written to the central IM log (type groupchat, from the sender's full JID, to the
// room's bare JID) before anyone gets it, and refused with <resource-constraint/> when the log
// cannot be written. Private messages between occupants are logged likewise (to the recipient's
// bare JID).
//
// Rooms are ad-hoc — created by the first occupant's join, who becomes owner; locked until the
// owner submits the configuration (an empty submitted form = instant room), destroyed when the
// last occupant leaves — or persistent (muc#roomconfig_persistentroom), kept in SQLite (store/
// rooms.ts) with configuration, subject, affiliations and history, and alive without occupants.
// Implemented: join/leave/presence/nick change with occupant presence and status codes (110, 100,
// 170, 201, nick change 303, kick 307, ban 301, 321/322 for members-only, 104 config change),
// nick conflicts (409, case-insensitive), one nick shared by several clients of a user, history on
// join (<history maxstanzas/maxchars/seconds/since>, XEP-0203 delay), subject (anyone or
// moderators), private messages, mediated invitations and declines (XEP-0249 direct invitations
// are plain messages to the user: message.ts delivers them), muc#owner (configuration form,
// instant room, cancel, destroy), muc#admin (kick = role none, grant moderator/participant,
// affiliations owner/admin/member/outcast/none and their lists), disco#info/#items on the service
// (public persistent rooms) and on rooms (occupants), XEP-0410 self-ping.
// Not implemented: password-protected and moderated rooms (voice, visitors), reserved nicks
// (jabber:iq:register), semi-anonymous rooms, iq forwarding to occupants, leaving rooms on a
// broadcast unavailable presence without closing the stream (rooms are left when the session
// ends), and room MAM (the history kept here is the last messages of a room, not an archive).
import { Element, parse } from 'ltx';
import type { Store } from '../../store/index.ts';
import type { RoomAffiliation, RoomConfig } from '../../store/rooms.ts';
import type { Component, ServerContext, XmppModule } from '../core/host.ts';
import { parseJid, type Jid } from '../core/jid.ts';
import type { Session } from '../core/session.ts';
import { cloneEl, errorReply, iqResult, NS, payloadOf, type ErrorType, type StanzaErrorCondition } from '../core/stanza.ts';
import type { MessageLogger } from './message.ts';

export const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_USER = `${NS_MUC}#user`;
const NS_ADMIN = `${NS_MUC}#admin`;
const NS_OWNER = `${NS_MUC}#owner`;
const NS_ROOMCONFIG = `${NS_MUC}#roomconfig`;
const NS_ROOMINFO = `${NS_MUC}#roominfo`;
const NS_DATA = 'jabber:x:data';
const NS_OOB = 'jabber:x:oob';

/** The conference component of user domain d is `conference.d`. */
export const CONFERENCE_PREFIX = 'conference.';
const DEFAULT_HISTORY = 20;
const MAX_HISTORY = 100;

type Affiliation = RoomAffiliation | 'none';
type Role = 'moderator' | 'participant' | 'none';
const RANK: Record<Affiliation, number> = { outcast: -1, none: 0, member: 1, admin: 2, owner: 3 };

interface Occupant {
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

interface Room {
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
  history: { stanza: Element; at: number }[];
  createdAt: number;
}

interface PresenceOpts {
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

const key = (nick: string) => nick.normalize('NFC').toLowerCase();
const isoStamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

class Refusal extends Error {
  constructor(
    readonly type: ErrorType,
    readonly condition: StanzaErrorCondition,
    text: string,
  ) {
    super(text);
  }
}
/** Ends handling of a stanza with an error reply to its sender. */
function refuse(type: ErrorType, condition: StanzaErrorCondition, text: string): never {
  throw new Refusal(type, condition, text);
}

function defaultConfig(): RoomConfig {
  return { name: '', description: '', membersOnly: false, public: true, changeSubject: false, maxHistory: DEFAULT_HISTORY };
}

export function createMucModule(deps: { store: Store; logMessage: MessageLogger; offlineQuota: number }): XmppModule {
  return {
    name: 'muc',
    setup(host, ctx) {
      const rooms = new Map<string, Room>();
      for (const r of deps.store.rooms.list()) {
        const at = r.jid.indexOf('@');
        rooms.set(r.jid, {
          jid: r.jid,
          domain: r.jid.slice(at + 1 + CONFERENCE_PREFIX.length),
          config: r.config,
          persistent: true,
          locked: false,
          subject: r.subject,
          subjectBy: r.subjectBy,
          affiliations: r.affiliations,
          occupants: new Map(),
          history: r.history.map((h) => ({ stanza: parse(h.stanza), at: h.at })),
          createdAt: r.createdAt,
        });
      }
      const muc = new Muc(ctx, deps, rooms);
      host.components.push(muc);
      host.closed.push((session) => muc.sessionClosed(session));
      ctx.log.info({ rooms: rooms.size }, 'MUC: persistent rooms loaded');
    },
  };
}

class Muc implements Component {
  readonly name = 'muc';

  constructor(
    private readonly ctx: ServerContext,
    private readonly deps: { store: Store; logMessage: MessageLogger; offlineQuota: number },
    private readonly rooms: Map<string, Room>,
  ) {}

  serves(domain: string): boolean {
    return domain.startsWith(CONFERENCE_PREFIX) && this.ctx.isLocalDomain(domain.slice(CONFERENCE_PREFIX.length));
  }

  discoItem(domain: string) {
    return { jid: `${CONFERENCE_PREFIX}${domain}`, name: 'Chatrooms' };
  }

  handle(stanza: Element, to: Jid, session: Session): void {
    const type = stanza.attrs.type;
    const isResponse = type === 'error' || (stanza.name === 'iq' && type === 'result');
    try {
      const domain = to.domain.slice(CONFERENCE_PREFIX.length);
      if (session.account!.domain !== domain) {
        // Presence that is not a join, and responses, are dropped; anything else is told why.
        if (isResponse || (stanza.name === 'presence' && type !== undefined)) return;
        refuse('auth', 'forbidden', `only users of ${domain} can use ${to.domain}`);
      }
      if (stanza.name === 'presence') this.presence(stanza, to, session);
      else if (stanza.name === 'message') this.message(stanza, to, session);
      else this.iq(stanza, to, session);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      if (!isResponse) session.send(errorReply(stanza, e.type, e.condition, e.message));
    }
  }

  sessionClosed(session: Session): void {
    const full = session.jid?.full;
    if (!full) return;
    for (const room of [...this.rooms.values()]) {
      const o = this.occupantOf(room, full);
      if (o) this.leave(room, o, full);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private affiliation(room: Room, bare: string): Affiliation {
    return room.affiliations.get(bare) ?? 'none';
  }

  private roleFor(aff: Affiliation): Role {
    return aff === 'owner' || aff === 'admin' ? 'moderator' : aff === 'outcast' ? 'none' : 'participant';
  }

  private occupantOf(room: Room, full: string): Occupant | undefined {
    for (const o of room.occupants.values()) if (o.sessions.has(full)) return o;
    return undefined;
  }

  private sendTo(o: Occupant, el: Element): void {
    for (const [full, s] of o.sessions) {
      el.attrs.to = full;
      s.send(el);
    }
  }

  /** An occupant's presence as the others see it, or as itself does (`self`: 110 and `selfCodes`). */
  private occupantPresence(room: Room, o: Occupant, self: boolean, opts: PresenceOpts = {}): Element {
    const p = new Element('presence', { from: `${room.jid}/${o.nick}`, type: opts.unavailable ? 'unavailable' : undefined });
    if (!opts.unavailable) {
      for (const c of o.presence.getChildElements()) {
        const muc = c.name === 'x' && (c.attrs.xmlns === NS_MUC || c.attrs.xmlns === NS_USER);
        if (!muc && c.name !== 'priority' && c.name !== 'error') p.cnode(cloneEl(c));
      }
    } else if (opts.status) p.c('status').t(opts.status);
    const x = p.c('x', { xmlns: NS_USER });
    const item = x.c('item', { affiliation: this.affiliation(room, o.bare), role: opts.unavailable ? 'none' : o.role, jid: o.jid, nick: opts.newNick });
    if (opts.actor) item.c('actor', { nick: opts.actor });
    if (opts.reason) item.c('reason').t(opts.reason);
    const codes = [...(opts.codes ?? []), ...(self ? [110, ...(opts.selfCodes ?? [])] : [])];
    for (const code of codes) x.c('status', { code: String(code) });
    return p;
  }

  /** Sends `o`'s presence to every occupant (`o` itself gets its self-presence). */
  private broadcastPresence(room: Room, o: Occupant, opts: PresenceOpts = {}): void {
    for (const other of room.occupants.values()) {
      if (other === o) continue;
      this.sendTo(other, this.occupantPresence(room, o, false, opts));
    }
    this.sendTo(o, this.occupantPresence(room, o, true, opts));
  }

  private subjectMessage(room: Room): Element {
    const m = new Element('message', { type: 'groupchat', from: room.subjectBy ? `${room.jid}/${room.subjectBy}` : room.jid });
    m.c('subject').t(room.subject);
    return m;
  }

  private persist(room: Room): void {
    if (!room.persistent) return;
    this.deps.store.rooms.save({ jid: room.jid, config: room.config, subject: room.subject, subjectBy: room.subjectBy, affiliations: room.affiliations, createdAt: room.createdAt });
  }

  /** A temporary room with nobody in it is gone (XEP-0045 §10.9). */
  private destroyIfEmpty(room: Room): void {
    if (room.occupants.size === 0 && !room.persistent) {
      this.rooms.delete(room.jid);
      this.ctx.log.info({ room: room.jid }, 'MUC: temporary room destroyed (last occupant left)');
    }
  }

  /** Delivers a message from the room to a user (bare JID: every available client, or offline storage). */
  private toUser(el: Element, bare: string): void {
    const account = this.ctx.account(bare);
    if (!account) return;
    const online = this.ctx.router.availableOf(bare);
    for (const s of online) s.send(el);
    if (online.length) return;
    const stamped = parse(el.toString());
    stamped.cnode(new Element('delay', { xmlns: NS.delay, from: account.domain, stamp: isoStamp(Date.now()) }).t('Offline storage'));
    if (!this.deps.store.offline.add(account.id, stamped.toString(), this.deps.offlineQuota)) {
      refuse('wait', 'resource-constraint', `${bare} is offline and their offline message store is full`);
    }
  }

  // ---- presence: join, change, nick change, leave ------------------------------------------------

  private presence(stanza: Element, to: Jid, session: Session): void {
    const type = stanza.attrs.type;
    if (!to.local) return; // presence to the service itself means nothing
    if (type !== undefined && type !== 'unavailable') return; // no subscriptions to rooms; errors ignored
    const full = session.jid!.full;
    const room = this.rooms.get(to.bare);
    const me = room && this.occupantOf(room, full);
    if (type === 'unavailable') {
      if (room && me) this.leave(room, me, full, stanza.getChildText('status') ?? undefined);
      return;
    }
    if (!to.resource) refuse('modify', 'jid-malformed', 'join with a nickname: room@service/nick');
    if (room && me) {
      if (key(me.nick) === key(to.resource)) {
        me.presence = stanza;
        me.jid = full;
        return this.broadcastPresence(room, me);
      }
      return this.changeNick(room, me, to.resource);
    }
    this.join(room, to, stanza, session);
  }

  private join(existing: Room | undefined, to: Jid, stanza: Element, session: Session): void {
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
        history: [],
        createdAt: Date.now(),
      };
      this.rooms.set(room.jid, room);
      this.ctx.log.info({ room: room.jid, owner: bare }, 'MUC: room created');
    }
    const aff = this.affiliation(room, bare);
    if (room.locked && aff !== 'owner') refuse('cancel', 'item-not-found', 'this room is being created; try again when its owner has configured it');
    if (aff === 'outcast') refuse('auth', 'forbidden', 'you are banned from this room');
    if (room.config.membersOnly && aff === 'none') refuse('auth', 'registration-required', 'this room is for members only');
    const taken = room.occupants.get(key(nick));
    if (taken && taken.bare !== bare) refuse('cancel', 'conflict', `the nickname "${nick}" is in use in this room`);

    const selfCodes = [100, 170, ...(created ? [201] : [])];
    if (taken) {
      // Another client of the same user joins under the same nick: it shares the occupant.
      taken.sessions.set(full, session);
      for (const other of room.occupants.values()) if (other !== taken) session.send(this.toSession(this.occupantPresence(room, other, false), full));
      session.send(this.toSession(this.occupantPresence(room, taken, true, { selfCodes }), full));
    } else {
      const o: Occupant = { nick, bare, jid: full, sessions: new Map([[full, session]]), role: this.roleFor(aff), presence: stanza };
      for (const other of room.occupants.values()) session.send(this.toSession(this.occupantPresence(room, other, false), full));
      room.occupants.set(key(nick), o);
      this.broadcastPresence(room, o, { selfCodes });
    }
    for (const h of this.historyFor(room, stanza.getChild('x', NS_MUC)?.getChild('history'))) session.send(this.toSession(h, full));
    session.send(this.toSession(this.subjectMessage(room), full));
  }

  private toSession(el: Element, full: string): Element {
    el.attrs.to = full;
    return el;
  }

  /** The last messages for a joining occupant, as asked (XEP-0045 §7.2.15), delay-stamped. */
  private historyFor(room: Room, req: Element | undefined): Element[] {
    let list = room.history.slice(-room.config.maxHistory);
    if (req) {
      const maxstanzas = Number.parseInt(req.attrs.maxstanzas ?? '', 10);
      if (Number.isFinite(maxstanzas) && maxstanzas >= 0) list = maxstanzas === 0 ? [] : list.slice(-maxstanzas);
      const seconds = Number.parseInt(req.attrs.seconds ?? '', 10);
      if (Number.isFinite(seconds) && seconds >= 0) list = list.filter((h) => h.at >= Date.now() - seconds * 1000);
      const since = req.attrs.since ? Date.parse(req.attrs.since) : Number.NaN;
      if (Number.isFinite(since)) list = list.filter((h) => h.at > since);
      const maxchars = Number.parseInt(req.attrs.maxchars ?? '', 10);
      if (Number.isFinite(maxchars) && maxchars >= 0) {
        let total = 0;
        const kept: typeof list = [];
        for (const h of [...list].reverse()) {
          total += h.stanza.toString().length;
          if (total > maxchars) break;
          kept.unshift(h);
        }
        list = kept;
      }
    }
    return list.map((h) => {
      const m = cloneEl(h.stanza);
      m.cnode(new Element('delay', { xmlns: NS.delay, from: room.jid, stamp: isoStamp(h.at) }));
      return m;
    });
  }

  private changeNick(room: Room, me: Occupant, nick: string): void {
    const taken = room.occupants.get(key(nick));
    if (taken && taken !== me) refuse('cancel', 'conflict', `the nickname "${nick}" is in use in this room`);
    // XEP-0045 §7.6: unavailable with 303 and the new nick, then available under the new nick.
    this.broadcastPresence(room, me, { unavailable: true, codes: [303], newNick: nick });
    room.occupants.delete(key(me.nick));
    me.nick = nick;
    room.occupants.set(key(nick), me);
    this.broadcastPresence(room, me);
  }

  /** One client of an occupant leaves (or its session ended); the nick goes with its last client. */
  private leave(room: Room, o: Occupant, full: string, status?: string): void {
    const session = o.sessions.get(full);
    o.sessions.delete(full);
    if (o.sessions.size > 0) {
      if (o.jid === full) o.jid = o.sessions.keys().next().value!;
      session?.send(this.toSession(this.occupantPresence(room, o, true, { unavailable: true, status }), full));
      return;
    }
    room.occupants.delete(key(o.nick));
    for (const other of room.occupants.values()) this.sendTo(other, this.occupantPresence(room, o, false, { unavailable: true, status }));
    session?.send(this.toSession(this.occupantPresence(room, o, true, { unavailable: true, status }), full));
    this.destroyIfEmpty(room);
  }

  /** Throws an occupant out (kick 307, ban 301, members-only 321/322): everyone is told, itself too. */
  private remove(room: Room, o: Occupant, code: number, actor?: string, reason?: string): void {
    room.occupants.delete(key(o.nick));
    const opts = { unavailable: true, codes: [code], actor, reason };
    for (const other of room.occupants.values()) this.sendTo(other, this.occupantPresence(room, o, false, opts));
    this.sendTo(o, this.occupantPresence(room, o, true, opts));
    this.ctx.log.info({ room: room.jid, occupant: o.bare, code }, 'MUC: occupant removed');
  }

  // ---- messages ----------------------------------------------------------------------------------

  private message(stanza: Element, to: Jid, session: Session): void {
    const type = stanza.attrs.type ?? 'normal';
    if (type === 'error') return;
    if (!to.local) refuse('cancel', 'service-unavailable', 'messages go to a room, not to the conference service');
    const room = this.rooms.get(to.bare);
    const full = session.jid!.full;
    const me = room && this.occupantOf(room, full);
    if (!room || (room.locked && !me)) return refuse('cancel', 'item-not-found', `there is no room ${to.bare}`);
    if (to.resource) return this.privateMessage(room, me, stanza, to.resource, session);
    if (type === 'groupchat') return this.groupchat(room, me, stanza, session);
    const x = stanza.getChild('x', NS_USER);
    if (x?.getChild('invite')) return this.invite(room, me, x, stanza, session);
    if (x?.getChild('decline')) return this.decline(room, x, session);
    refuse('modify', 'bad-request', 'messages to a room are type "groupchat"');
  }

  private contentOf(stanza: Element): { body: string; attachments: string[] } {
    return {
      body: stanza.getChildText('body') ?? '',
      attachments: stanza
        .getChildren('x', NS_OOB)
        .map((x) => x.getChildText('url') ?? '')
        .filter(Boolean),
    };
  }

  /** Writes the central IM log first; a message that cannot be logged is refused. */
  private log(entry: Parameters<MessageLogger>[0]): void {
    try {
      this.deps.logMessage(entry);
    } catch (e) {
      this.ctx.log.error({ err: (e as Error).message }, 'central IM log cannot be written: room message refused');
      refuse('wait', 'resource-constraint', 'the server cannot log messages right now; try again later');
    }
  }

  private groupchat(room: Room, me: Occupant | undefined, stanza: Element, session: Session): void {
    if (!me) return refuse('modify', 'not-acceptable', 'only occupants may send messages to this room; join it first');
    const { body, attachments } = this.contentOf(stanza);
    const subject = stanza.getChild('subject');
    const isSubject = subject !== undefined && !body;
    if (isSubject && me.role !== 'moderator' && !room.config.changeSubject) refuse('auth', 'forbidden', 'only moderators may change the subject of this room');
    if (body || attachments.length) this.log({ type: 'groupchat', from: session.jid!.full, to: room.jid, body, attachments });
    me.jid = session.jid!.full;
    const out = cloneEl(stanza);
    out.attrs.from = `${room.jid}/${me.nick}`;
    delete out.attrs.to;
    for (const d of out.getChildren('delay', NS.delay)) out.remove(d);
    if (isSubject) {
      room.subject = subject.getText();
      room.subjectBy = me.nick;
      this.persist(room);
    } else if (body || attachments.length) {
      const at = Date.now();
      room.history.push({ stanza: cloneEl(out), at });
      if (room.history.length > room.config.maxHistory) room.history.splice(0, room.history.length - room.config.maxHistory);
      if (room.persistent) this.deps.store.rooms.addHistory(room.jid, out.toString(), at, room.config.maxHistory);
    }
    for (const o of room.occupants.values()) this.sendTo(o, out);
  }

  private privateMessage(room: Room, me: Occupant | undefined, stanza: Element, nick: string, session: Session): void {
    const type = stanza.attrs.type ?? 'normal';
    if (type === 'groupchat') refuse('modify', 'bad-request', 'groupchat messages go to the room, not to an occupant');
    if (!me) refuse('modify', 'not-acceptable', 'only occupants may send private messages in this room');
    const target = room.occupants.get(key(nick));
    if (!target) return refuse('cancel', 'item-not-found', `nobody is called "${nick}" in this room`);
    const { body, attachments } = this.contentOf(stanza);
    const logType = type === 'chat' || type === 'headline' ? type : 'normal';
    if (body || attachments.length) this.log({ type: logType, from: session.jid!.full, to: target.bare, body, attachments });
    const out = cloneEl(stanza);
    out.attrs.from = `${room.jid}/${me!.nick}`;
    if (!out.getChild('x', NS_USER)) out.c('x', { xmlns: NS_USER });
    this.sendTo(target, out);
  }

  /** Mediated invitation (XEP-0045 §7.8.2): the room sends it on, from itself. */
  private invite(room: Room, me: Occupant | undefined, x: Element, stanza: Element, session: Session): void {
    if (!me) refuse('modify', 'not-acceptable', 'only occupants may invite to this room');
    const myAff = this.affiliation(room, session.jid!.bare);
    if (room.config.membersOnly && RANK[myAff] < RANK.admin) refuse('auth', 'forbidden', 'only owners and admins may invite to a members-only room');
    const invites = x.getChildren('invite').map((i) => {
      const to = parseJid(i.attrs.to);
      if (!to) return refuse('modify', 'jid-malformed', `cannot invite "${i.attrs.to ?? ''}"`);
      const account = this.ctx.account(to.bare);
      if (!account || account.domain !== room.domain) refuse('modify', 'not-acceptable', `${to.bare} cannot join rooms of ${room.domain}`);
      return { to, reason: i.getChildText('reason') };
    });
    for (const { to, reason } of invites) {
      if (room.config.membersOnly && this.affiliation(room, to.bare) === 'none') {
        room.affiliations.set(to.bare, 'member');
        this.persist(room);
      }
      const m = new Element('message', { from: room.jid, to: to.bare, id: stanza.attrs.id });
      const inv = m.c('x', { xmlns: NS_USER }).c('invite', { from: session.jid!.full });
      if (reason) inv.c('reason').t(reason);
      const exact = to.resource ? this.ctx.router.get(to.bare, to.resource) : undefined;
      if (exact) exact.send(m);
      else this.toUser(m, to.bare);
    }
  }

  private decline(room: Room, x: Element, session: Session): void {
    const d = x.getChild('decline')!;
    const to = parseJid(d.attrs.to);
    if (!to) return refuse('modify', 'jid-malformed', 'decline to whom?');
    const m = new Element('message', { from: room.jid, to: to.bare });
    const dec = m.c('x', { xmlns: NS_USER }).c('decline', { from: session.jid!.bare });
    const reason = d.getChildText('reason');
    if (reason) dec.c('reason').t(reason);
    this.toUser(m, to.bare);
  }

  // ---- iq: disco, owner, admin, ping -------------------------------------------------------------

  private iq(iq: Element, to: Jid, session: Session): void {
    const type = iq.attrs.type;
    if (type === 'result' || type === 'error') return; // the component asks nothing
    if (!iq.attrs.id || (type !== 'get' && type !== 'set')) refuse('modify', 'bad-request', 'an iq needs an id and type get or set');
    const payload = payloadOf(iq);
    const ns = payload?.attrs.xmlns;
    const full = session.jid!.full;
    const reply = (el?: Element) => session.send(iqResult(iq, el));
    if (!to.local) {
      if (type === 'get' && ns === NS.discoInfo) return reply(this.serviceInfo());
      if (type === 'get' && ns === NS.discoItems) return reply(this.serviceItems(to.domain));
      if (type === 'get' && ns === NS.ping) return reply();
      return refuse('cancel', 'service-unavailable', `${ns ?? 'this request'} is not supported by the conference service`);
    }
    const room = this.rooms.get(to.bare);
    const me = room && this.occupantOf(room, full);
    if (to.resource) {
      // XEP-0410: a client pings its own occupant JID to learn whether it is still in the room.
      if (ns === NS.ping && me && key(me.nick) === key(to.resource)) return reply();
      if (ns === NS.ping) refuse('modify', 'not-acceptable', 'you are not in this room under that nickname');
      return refuse('cancel', 'service-unavailable', 'requests to occupants are not forwarded');
    }
    if (!room || (room.locked && this.affiliation(room, session.jid!.bare) !== 'owner')) return refuse('cancel', 'item-not-found', `there is no room ${to.bare}`);
    if (type === 'get' && ns === NS.discoInfo) return reply(this.roomInfo(room));
    if (type === 'get' && ns === NS.discoItems) return reply(this.roomItems(room, session, me));
    if (type === 'get' && ns === NS.ping) return reply();
    if (ns === NS_OWNER) return reply(this.owner(room, iq, payload!, session));
    if (ns === NS_ADMIN) return reply(this.admin(room, iq, payload!, session, me));
    refuse('cancel', 'service-unavailable', `${ns ?? 'this request'} is not supported by rooms`);
  }

  private serviceInfo(): Element {
    const q = new Element('query', { xmlns: NS.discoInfo });
    q.c('identity', { category: 'conference', type: 'text', name: 'Chatrooms' });
    for (const f of [NS_MUC, NS.discoInfo, NS.discoItems, NS.ping]) q.c('feature', { var: f });
    return q;
  }

  private serviceItems(service: string): Element {
    const q = new Element('query', { xmlns: NS.discoItems });
    for (const r of this.rooms.values()) {
      if (r.persistent && r.config.public && !r.locked && r.jid.endsWith(`@${service}`)) q.c('item', { jid: r.jid, name: r.config.name || r.jid.split('@')[0] });
    }
    return q;
  }

  private roomInfo(room: Room): Element {
    const q = new Element('query', { xmlns: NS.discoInfo });
    q.c('identity', { category: 'conference', type: 'text', name: room.config.name || room.jid.split('@')[0] });
    const features = [
      NS_MUC,
      room.persistent ? 'muc_persistent' : 'muc_temporary',
      room.config.public ? 'muc_public' : 'muc_hidden',
      room.config.membersOnly ? 'muc_membersonly' : 'muc_open',
      'muc_nonanonymous',
      'muc_unmoderated',
      'muc_unsecured',
      NS.discoInfo,
      NS.discoItems,
    ];
    for (const f of features) q.c('feature', { var: f });
    const form = q.c('x', { xmlns: NS_DATA, type: 'result' });
    const field = (v: string, value: string, label?: string, type?: string) => form.c('field', { var: v, label, type }).c('value').t(value);
    field('FORM_TYPE', NS_ROOMINFO, undefined, 'hidden');
    field('muc#roominfo_description', room.config.description, 'Description');
    field('muc#roominfo_subject', room.subject, 'Subject');
    field('muc#roominfo_occupants', String(room.occupants.size), 'Number of occupants');
    return q;
  }

  private roomItems(room: Room, session: Session, me: Occupant | undefined): Element {
    const q = new Element('query', { xmlns: NS.discoItems });
    // A members-only room shows who is in it only to its members.
    if (room.config.membersOnly && !me && RANK[this.affiliation(room, session.jid!.bare)] < RANK.member) return q;
    for (const o of room.occupants.values()) q.c('item', { jid: `${room.jid}/${o.nick}`, name: o.nick });
    return q;
  }

  // ---- muc#owner: configuration and destruction --------------------------------------------------

  private owner(room: Room, iq: Element, query: Element, session: Session): Element | undefined {
    if (this.affiliation(room, session.jid!.bare) !== 'owner') refuse('auth', 'forbidden', 'only owners may configure or destroy this room');
    if (iq.attrs.type === 'get') return new Element('query', { xmlns: NS_OWNER }).cnode(this.configForm(room)).up();
    const destroy = query.getChild('destroy');
    if (destroy) {
      this.destroy(room, destroy.getChildText('reason') ?? undefined, destroy.attrs.jid);
      return undefined;
    }
    const form = query.getChild('x', NS_DATA);
    if (form?.attrs.type === 'cancel') {
      if (room.locked) this.destroy(room, 'room creation cancelled');
      return undefined;
    }
    if (form?.attrs.type !== 'submit') return refuse('modify', 'bad-request', 'submit a jabber:x:data form, cancel it, or destroy the room');
    this.applyConfig(room, form);
    return undefined;
  }

  private configForm(room: Room): Element {
    const x = new Element('x', { xmlns: NS_DATA, type: 'form' });
    x.c('title').t(`Configuration of ${room.jid}`);
    const field = (v: string, type: string, label: string | undefined, value: string) => x.c('field', { var: v, type, label }).c('value').t(value).up();
    field('FORM_TYPE', 'hidden', undefined, NS_ROOMCONFIG);
    field('muc#roomconfig_roomname', 'text-single', 'Name', room.config.name);
    field('muc#roomconfig_roomdesc', 'text-single', 'Description', room.config.description);
    field('muc#roomconfig_persistentroom', 'boolean', 'Persistent (stays when everyone has left)', room.persistent ? '1' : '0');
    field('muc#roomconfig_publicroom', 'boolean', 'Listed in the room directory (persistent rooms)', room.config.public ? '1' : '0');
    field('muc#roomconfig_membersonly', 'boolean', 'Members only', room.config.membersOnly ? '1' : '0');
    field('muc#roomconfig_changesubject', 'boolean', 'Everyone may change the subject', room.config.changeSubject ? '1' : '0');
    field('muc#maxhistoryfetch', 'text-single', `Messages of history sent on join (0-${MAX_HISTORY})`, String(room.config.maxHistory));
    field('muc#roomconfig_whois', 'list-single', 'Who may see real addresses (colleague rooms: everyone)', 'anyone').c('option', { label: 'Anyone' }).c('value').t('anyone');
    return x;
  }

  /** Applies a submitted configuration form; fields left out keep their value, unknown ones are ignored. */
  private applyConfig(room: Room, form: Element): void {
    const values = new Map<string, string>();
    for (const f of form.getChildren('field')) if (f.attrs.var) values.set(f.attrs.var, f.getChildText('value') ?? '');
    const bool = (v: string): boolean | undefined => {
      const s = values.get(v);
      if (s === undefined) return undefined;
      if (s === '1' || s === 'true') return true;
      if (s === '0' || s === 'false') return false;
      return refuse('modify', 'not-acceptable', `${v} must be a boolean`);
    };
    const next: RoomConfig = { ...room.config };
    next.name = values.get('muc#roomconfig_roomname') ?? next.name;
    next.description = values.get('muc#roomconfig_roomdesc') ?? next.description;
    next.public = bool('muc#roomconfig_publicroom') ?? next.public;
    next.membersOnly = bool('muc#roomconfig_membersonly') ?? next.membersOnly;
    next.changeSubject = bool('muc#roomconfig_changesubject') ?? next.changeSubject;
    const persistent = bool('muc#roomconfig_persistentroom') ?? room.persistent;
    const history = values.get('muc#maxhistoryfetch') ?? values.get('muc#roomconfig_historylength');
    if (history !== undefined && history !== '') {
      const n = Number(history);
      if (!Number.isInteger(n) || n < 0 || n > MAX_HISTORY) refuse('modify', 'not-acceptable', `muc#maxhistoryfetch must be 0 to ${MAX_HISTORY}`);
      next.maxHistory = n;
    }
    const whois = values.get('muc#roomconfig_whois');
    if (whois !== undefined && whois !== 'anyone') refuse('modify', 'not-acceptable', 'colleague rooms are non-anonymous (muc#roomconfig_whois = anyone)');

    const wasLocked = room.locked;
    room.config = next;
    room.locked = false;
    if (room.history.length > next.maxHistory) room.history.splice(0, room.history.length - next.maxHistory);
    if (persistent && !room.persistent) {
      room.persistent = true;
      this.persist(room);
      for (const h of room.history) this.deps.store.rooms.addHistory(room.jid, h.stanza.toString(), h.at, next.maxHistory);
    } else if (!persistent && room.persistent) {
      room.persistent = false;
      this.deps.store.rooms.remove(room.jid);
    } else if (room.persistent) {
      this.persist(room);
      this.deps.store.rooms.clearHistory(room.jid);
      for (const h of room.history) this.deps.store.rooms.addHistory(room.jid, h.stanza.toString(), h.at, next.maxHistory);
    }
    this.ctx.log.info({ room: room.jid, persistent: room.persistent, membersOnly: next.membersOnly }, wasLocked ? 'MUC: room configured and unlocked' : 'MUC: room configuration changed');
    if (next.membersOnly) {
      for (const o of [...room.occupants.values()]) if (this.affiliation(room, o.bare) === 'none') this.remove(room, o, 322);
    }
    if (!wasLocked) {
      const m = new Element('message', { type: 'groupchat', from: room.jid });
      m.c('x', { xmlns: NS_USER }).c('status', { code: '104' });
      for (const o of room.occupants.values()) this.sendTo(o, m);
    }
    this.destroyIfEmpty(room);
  }

  private destroy(room: Room, reason?: string, alternate?: string): void {
    for (const o of room.occupants.values()) {
      const p = new Element('presence', { from: `${room.jid}/${o.nick}`, type: 'unavailable' });
      const x = p.c('x', { xmlns: NS_USER });
      x.c('item', { affiliation: 'none', role: 'none' });
      const d = x.c('destroy', { jid: alternate });
      if (reason) d.c('reason').t(reason);
      x.c('status', { code: '110' });
      this.sendTo(o, p);
    }
    room.occupants.clear();
    this.rooms.delete(room.jid);
    if (room.persistent) this.deps.store.rooms.remove(room.jid);
    this.ctx.log.info({ room: room.jid, reason }, 'MUC: room destroyed');
  }

  // ---- muc#admin: kick, roles, affiliations (ban) ------------------------------------------------

  private admin(room: Room, iq: Element, query: Element, session: Session, me: Occupant | undefined): Element | undefined {
    const bare = session.jid!.bare;
    const myAff = this.affiliation(room, bare);
    const items = query.getChildren('item');
    if (!items.length) refuse('modify', 'bad-request', 'an admin request needs an <item/>');
    if (iq.attrs.type === 'get') return this.adminList(room, items[0]!, myAff, me);

    // Validate every item first, then apply them all (all or nothing).
    const actions: (() => void)[] = [];
    for (const item of items) {
      const reason = item.getChildText('reason') ?? undefined;
      const role = item.attrs.role;
      const newAff = item.attrs.affiliation;
      if (role !== undefined && newAff === undefined) {
        if (!me || me.role !== 'moderator') refuse('auth', 'forbidden', 'only moderators may change roles');
        const target = item.attrs.nick ? room.occupants.get(key(item.attrs.nick)) : undefined;
        if (!target) return refuse('cancel', 'item-not-found', `nobody is called "${item.attrs.nick ?? ''}" in this room`);
        const targetAff = this.affiliation(room, target.bare);
        if (role === 'none') {
          if (RANK[targetAff] >= RANK.admin) refuse('cancel', 'not-allowed', 'owners and admins cannot be kicked');
          actions.push(() => this.remove(room, target, 307, me!.nick, reason));
        } else if (role === 'moderator' || role === 'participant') {
          if (RANK[myAff] < RANK.admin) refuse('auth', 'forbidden', 'only owners and admins may grant or revoke moderator');
          if (RANK[targetAff] >= RANK.admin && role !== 'moderator') refuse('cancel', 'not-allowed', 'owners and admins are always moderators');
          actions.push(() => {
            target.role = role;
            this.broadcastPresence(room, target, { actor: me!.nick, reason });
          });
        } else if (role === 'visitor') {
          refuse('cancel', 'feature-not-implemented', 'rooms here are unmoderated: there is no voice to revoke');
        } else refuse('modify', 'bad-request', `unknown role "${role}"`);
      } else if (newAff !== undefined && role === undefined) {
        if (!['owner', 'admin', 'member', 'outcast', 'none'].includes(newAff)) refuse('modify', 'bad-request', `unknown affiliation "${newAff}"`);
        const a = newAff as Affiliation;
        const byNick = item.attrs.nick ? room.occupants.get(key(item.attrs.nick)) : undefined;
        const jid = item.attrs.jid ? parseJid(item.attrs.jid)?.bare : byNick?.bare;
        if (!jid) return refuse('modify', item.attrs.jid ? 'jid-malformed' : 'bad-request', 'an affiliation change needs a jid (or the nick of an occupant)');
        const targetAff = this.affiliation(room, jid);
        if (RANK[myAff] < RANK.admin) refuse('auth', 'forbidden', 'only owners and admins may change affiliations');
        if (myAff !== 'owner' && (RANK[targetAff] >= RANK.admin || RANK[a] >= RANK.admin)) refuse('auth', 'forbidden', 'only owners may change owners and admins');
        if (targetAff === 'owner' && a !== 'owner' && [...room.affiliations.values()].filter((x) => x === 'owner').length === 1) {
          refuse('cancel', 'conflict', 'a room needs an owner: make someone else owner first');
        }
        actions.push(() => this.setAffiliation(room, jid, a, me?.nick, reason));
      } else refuse('modify', 'bad-request', 'an admin item changes either a role or an affiliation');
    }
    for (const act of actions) act();
    return undefined;
  }

  private setAffiliation(room: Room, jid: string, a: Affiliation, actor?: string, reason?: string): void {
    if (a === 'none') room.affiliations.delete(jid);
    else room.affiliations.set(jid, a);
    this.persist(room);
    this.ctx.log.info({ room: room.jid, jid, affiliation: a }, 'MUC: affiliation changed');
    for (const o of [...room.occupants.values()]) {
      if (o.bare !== jid) continue;
      if (a === 'outcast') this.remove(room, o, 301, actor, reason);
      else if (a === 'none' && room.config.membersOnly) this.remove(room, o, 321, actor, reason);
      else {
        o.role = this.roleFor(a);
        this.broadcastPresence(room, o, { actor, reason });
      }
    }
    this.destroyIfEmpty(room);
  }

  private adminList(room: Room, item: Element, myAff: Affiliation, me: Occupant | undefined): Element {
    const q = new Element('query', { xmlns: NS_ADMIN });
    const wantAff = item.attrs.affiliation;
    const wantRole = item.attrs.role;
    if (wantAff) {
      if (RANK[myAff] < RANK.admin) refuse('auth', 'forbidden', 'only owners and admins may see affiliation lists');
      if (!['owner', 'admin', 'member', 'outcast'].includes(wantAff)) refuse('modify', 'bad-request', `no list of affiliation "${wantAff}"`);
      for (const [jid, a] of room.affiliations) if (a === wantAff) q.c('item', { affiliation: a, jid });
      return q;
    }
    if (wantRole) {
      if (!me || me.role !== 'moderator') refuse('auth', 'forbidden', 'only moderators may see role lists');
      for (const o of room.occupants.values()) {
        if (o.role === wantRole) q.c('item', { role: o.role, nick: o.nick, jid: o.jid, affiliation: this.affiliation(room, o.bare) });
      }
      return q;
    }
    return refuse('modify', 'bad-request', 'ask for an affiliation or a role list');
  }
}
