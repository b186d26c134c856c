// XEP-0045 §8.4–§8.7, §9: muc#admin — kick (role none), moderator/participant roles, affiliations (ban, member, admin, owner) and their lists.
import { Element } from 'ltx';
import { parseJid } from '../../core/jid.ts';
import type { Session } from '../../core/session.ts';
import { broadcastPresence, remove } from './occupants.ts';
import { affiliation, destroyIfEmpty, key, NS_ADMIN, persist, RANK, refuse, roleFor, type Affiliation, type MucState, type Occupant, type Room } from './room.ts';

export function admin(m: MucState, room: Room, iq: Element, query: Element, session: Session, me: Occupant | undefined): Element | undefined {
  const bare = session.jid!.bare;
  const myAff = affiliation(room, bare);
  const items = query.getChildren('item');
  if (!items.length) refuse('modify', 'bad-request', 'an admin request needs an <item/>');
  if (iq.attrs.type === 'get') return adminList(room, items[0]!, myAff, me);

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
      const targetAff = affiliation(room, target.bare);
      if (role === 'none') {
        if (RANK[targetAff] >= RANK.admin) refuse('cancel', 'not-allowed', 'owners and admins cannot be kicked');
        actions.push(() => remove(m, room, target, 307, me!.nick, reason));
      } else if (role === 'moderator' || role === 'participant') {
        if (RANK[myAff] < RANK.admin) refuse('auth', 'forbidden', 'only owners and admins may grant or revoke moderator');
        if (RANK[targetAff] >= RANK.admin && role !== 'moderator') refuse('cancel', 'not-allowed', 'owners and admins are always moderators');
        actions.push(() => {
          target.role = role;
          broadcastPresence(room, target, { actor: me!.nick, reason });
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
      const targetAff = affiliation(room, jid);
      if (RANK[myAff] < RANK.admin) refuse('auth', 'forbidden', 'only owners and admins may change affiliations');
      if (myAff !== 'owner' && (RANK[targetAff] >= RANK.admin || RANK[a] >= RANK.admin)) refuse('auth', 'forbidden', 'only owners may change owners and admins');
      if (targetAff === 'owner' && a !== 'owner' && [...room.affiliations.values()].filter((x) => x === 'owner').length === 1) {
        refuse('cancel', 'conflict', 'a room needs an owner: make someone else owner first');
      }
      actions.push(() => setAffiliation(m, room, jid, a, me?.nick, reason));
    } else refuse('modify', 'bad-request', 'an admin item changes either a role or an affiliation');
  }
  for (const act of actions) act();
  return undefined;
}

function setAffiliation(m: MucState, room: Room, jid: string, a: Affiliation, actor?: string, reason?: string): void {
  if (a === 'none') room.affiliations.delete(jid);
  else room.affiliations.set(jid, a);
  persist(m, room);
  m.ctx.log.info({ room: room.jid, jid, affiliation: a }, 'MUC: affiliation changed');
  for (const o of [...room.occupants.values()]) {
    if (o.bare !== jid) continue;
    if (a === 'outcast') remove(m, room, o, 301, actor, reason);
    else if (a === 'none' && room.config.membersOnly) remove(m, room, o, 321, actor, reason);
    else {
      o.role = roleFor(a);
      broadcastPresence(room, o, { actor, reason });
    }
  }
  destroyIfEmpty(m, room);
}

function adminList(room: Room, item: Element, myAff: Affiliation, me: Occupant | undefined): Element {
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
      if (o.role === wantRole) q.c('item', { role: o.role, nick: o.nick, jid: o.jid, affiliation: affiliation(room, o.bare) });
    }
    return q;
  }
  return refuse('modify', 'bad-request', 'ask for an affiliation or a role list');
}
