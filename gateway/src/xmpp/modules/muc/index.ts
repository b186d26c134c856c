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
// rooms.ts) with configuration, subject and affiliations (their messages: the archive), and alive
// without occupants.
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
// ends).
// Room archives (XEP-0313 MAM on the room's JID, XEP-0359 stanza-ids) and history on join served
// from them: archive.ts.
//
// This file wires the parts: room.ts (state), occupants.ts (presence), groupchat.ts (messages,
// subject), archive.ts (archive, history, MAM queries), invitations.ts, owner.ts (muc#owner),
// admin.ts (muc#admin), disco.ts.
import type { Element } from 'ltx';
import type { Component, ServerContext, XmppModule } from '../../core/host.ts';
import type { Jid } from '../../core/jid.ts';
import type { Session } from '../../core/session.ts';
import { errorReply, iqResult, NS, payloadOf } from '../../core/stanza.ts';
import { NS_MAM } from '../mam-query.ts';
import { admin } from './admin.ts';
import { archiveQuery, importLegacyHistory } from './archive.ts';
import { roomInfo, roomItems, serviceInfo, serviceItems } from './disco.ts';
import { groupchat, privateMessage } from './groupchat.ts';
import { decline, invite } from './invitations.ts';
import { presence, sessionClosed } from './occupants.ts';
import { owner } from './owner.ts';
import { mucRooms, type MucRooms } from './rooms-admin.ts';
import {
  affiliation,
  CONFERENCE_PREFIX,
  key,
  NS_ADMIN,
  NS_OWNER,
  NS_USER,
  occupantOf,
  Refusal,
  refuse,
  roomFromStore,
  type MucDeps,
  type MucState,
  type Room,
} from './room.ts';

export { CONFERENCE_PREFIX, NS_MUC } from './room.ts';

export function createMucModule(deps: MucDeps & { expose?: (rooms: MucRooms) => void }): XmppModule {
  return {
    name: 'muc',
    setup(host, ctx) {
      importLegacyHistory(deps, ctx.log);
      const rooms = new Map<string, Room>();
      for (const r of deps.store.rooms.list()) rooms.set(r.jid, roomFromStore(r));
      const muc = new Muc(ctx, deps, rooms);
      host.components.push(muc);
      deps.expose?.(mucRooms(muc));
      host.closed.push((session) => muc.sessionClosed(session));
      // The shared archive writer is flushed at shutdown whoever else uses it.
      if (deps.archive) host.stopping.push(() => deps.archive!.stop());
      ctx.log.info({ rooms: rooms.size }, 'MUC: persistent rooms loaded');
    },
  };
}

class Muc implements Component, MucState {
  readonly name = 'muc';

  constructor(
    readonly ctx: ServerContext,
    readonly deps: MucDeps,
    readonly rooms: Map<string, Room>,
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
      if (stanza.name === 'presence') presence(this, stanza, to, session);
      else if (stanza.name === 'message') this.message(stanza, to, session);
      else this.iq(stanza, to, session);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      if (!isResponse) session.send(errorReply(stanza, e.type, e.condition, e.message));
    }
  }

  sessionClosed(session: Session): void {
    sessionClosed(this, session);
  }

  private message(stanza: Element, to: Jid, session: Session): void {
    const type = stanza.attrs.type ?? 'normal';
    if (type === 'error') return;
    if (!to.local) refuse('cancel', 'service-unavailable', 'messages go to a room, not to the conference service');
    const room = this.rooms.get(to.bare);
    const full = session.jid!.full;
    const me = room && occupantOf(room, full);
    if (!room) return refuse('cancel', 'item-not-found', `there is no room ${to.bare}`);
    // XEP-0045 §10.1.1: a locked room has no occupants but its owner, who is configuring it.
    if (room.locked && !me) return refuse('cancel', 'item-not-found', `${to.bare} is being created; try again when its owner has configured it`);
    if (to.resource) return privateMessage(this, room, me, stanza, to.resource, session);
    if (type === 'groupchat') return groupchat(this, room, me, stanza, session);
    const x = stanza.getChild('x', NS_USER);
    if (x?.getChild('invite')) return invite(this, room, me, x, stanza, session);
    if (x?.getChild('decline')) return decline(this, room, x, session);
    refuse('modify', 'bad-request', 'messages to a room are type "groupchat"');
  }

  private iq(iq: Element, to: Jid, session: Session): void {
    const type = iq.attrs.type;
    if (type === 'result' || type === 'error') return; // the component asks nothing
    if (!iq.attrs.id || (type !== 'get' && type !== 'set')) refuse('modify', 'bad-request', 'an iq needs an id and type get or set');
    const payload = payloadOf(iq);
    const ns = payload?.attrs.xmlns;
    const full = session.jid!.full;
    const reply = (el?: Element) => session.send(iqResult(iq, el));
    if (!to.local) {
      if (type === 'get' && ns === NS.discoInfo) return reply(serviceInfo());
      if (type === 'get' && ns === NS.discoItems) return reply(serviceItems(this, to.domain));
      if (type === 'get' && ns === NS.ping) return reply();
      return refuse('cancel', 'service-unavailable', `${ns ?? 'this request'} is not supported by the conference service`);
    }
    const room = this.rooms.get(to.bare);
    const me = room && occupantOf(room, full);
    if (to.resource) {
      // XEP-0410: a client pings its own occupant JID to learn whether it is still in the room.
      if (ns === NS.ping && me && key(me.nick) === key(to.resource)) return reply();
      if (ns === NS.ping) refuse('modify', 'not-acceptable', 'you are not in this room under that nickname');
      return refuse('cancel', 'service-unavailable', 'requests to occupants are not forwarded');
    }
    if (!room || (room.locked && affiliation(room, session.jid!.bare) !== 'owner')) return refuse('cancel', 'item-not-found', `there is no room ${to.bare}`);
    if (type === 'get' && ns === NS.discoInfo) return reply(roomInfo(room, !!this.deps.archive));
    if (type === 'get' && ns === NS.discoItems) return reply(roomItems(room, session, me));
    if (type === 'get' && ns === NS.ping) return reply();
    if (ns === NS_OWNER) return reply(owner(this, room, iq, payload!, session));
    if (ns === NS_ADMIN) return reply(admin(this, room, iq, payload!, session, me));
    if (ns === NS_MAM) return session.send(archiveQuery(this, room, iq, session));
    refuse('cancel', 'service-unavailable', `${ns ?? 'this request'} is not supported by rooms`);
  }
}
