// XEP-0045 §7.8.2, §7.8.3: mediated invitations and declines, sent on by the room.
import { Element, parse } from 'ltx';
import { parseJid } from '../../core/jid.ts';
import type { Session } from '../../core/session.ts';
import { NS } from '../../core/stanza.ts';
import { affiliation, isoStamp, NS_USER, persist, RANK, refuse, type MucState, type Occupant, type Room } from './room.ts';

/** Delivers a message from the room to a user (bare JID: every available client, or offline storage). */
function toUser(m: MucState, el: Element, bare: string): void {
  const account = m.ctx.account(bare);
  if (!account) return;
  const online = m.ctx.router.availableOf(bare);
  for (const s of online) s.send(el);
  if (online.length) return;
  const stamped = parse(el.toString());
  stamped.cnode(new Element('delay', { xmlns: NS.delay, from: account.domain, stamp: isoStamp(Date.now()) }).t('Offline storage'));
  if (!m.deps.store.offline.add(account.id, stamped.toString(), m.deps.offlineQuota)) {
    refuse('wait', 'resource-constraint', `${bare} is offline and their offline message store is full`);
  }
}

/** Mediated invitation (XEP-0045 §7.8.2): the room sends it on, from itself. */
export function invite(m: MucState, room: Room, me: Occupant | undefined, x: Element, stanza: Element, session: Session): void {
  if (!me) refuse('modify', 'not-acceptable', 'only occupants may invite to this room');
  const myAff = affiliation(room, session.jid!.bare);
  if (room.config.membersOnly && RANK[myAff] < RANK.admin) refuse('auth', 'forbidden', 'only owners and admins may invite to a members-only room');
  const invites = x.getChildren('invite').map((i) => {
    const to = parseJid(i.attrs.to);
    if (!to) return refuse('modify', 'jid-malformed', `cannot invite "${i.attrs.to ?? ''}"`);
    const account = m.ctx.account(to.bare);
    if (!account || account.domain !== room.domain) refuse('modify', 'not-acceptable', `${to.bare} cannot join rooms of ${room.domain}`);
    return { to, reason: i.getChildText('reason') };
  });
  for (const { to, reason } of invites) {
    if (room.config.membersOnly && affiliation(room, to.bare) === 'none') {
      room.affiliations.set(to.bare, 'member');
      persist(m, room);
    }
    const msg = new Element('message', { from: room.jid, to: to.bare, id: stanza.attrs.id });
    const inv = msg.c('x', { xmlns: NS_USER }).c('invite', { from: session.jid!.full });
    if (reason) inv.c('reason').t(reason);
    const exact = to.resource ? m.ctx.router.get(to.bare, to.resource) : undefined;
    if (exact) exact.send(msg);
    else toUser(m, msg, to.bare);
  }
}

export function decline(m: MucState, room: Room, x: Element, session: Session): void {
  const d = x.getChild('decline')!;
  const to = parseJid(d.attrs.to);
  if (!to) return refuse('modify', 'jid-malformed', 'decline to whom?');
  const msg = new Element('message', { from: room.jid, to: to.bare });
  const dec = msg.c('x', { xmlns: NS_USER }).c('decline', { from: session.jid!.bare });
  const reason = d.getChildText('reason');
  if (reason) dec.c('reason').t(reason);
  toUser(m, msg, to.bare);
}
