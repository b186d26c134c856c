// RFC 6121 §3: presence subscriptions. Directory contacts (same or linked domain) are subscribed
// both ways by the admin: a subscribe is answered at once with subscribed (and brings a hidden
// contact back), and unsubscribe/unsubscribed between them are ignored — their subscription is
// not the users' to cancel. Between users of local domains that are not linked, the RFC flow
// applies, with the server acting for both sides (both are ours): subscribe (§3.1: ask on the
// user's item, the request kept for the contact and delivered to its available resources — again
// at every login until answered, §3.1.3), subscribed (§3.1.5–6), unsubscribed (§3.2), unsubscribe
// (§3.3); every state change is a roster push to the side whose item changed. Remote domains get
// <remote-server-not-found/> (no server-to-server); unknown local users an unsubscribed (§3.1.3).
import { Element, parse } from 'ltx';
import type { AccountRow } from '../../../store/index.ts';
import { emptyRosterRow } from '../../../store/roster.ts';
import type { ServerContext } from '../../core/host.ts';
import { parseJid } from '../../core/jid.ts';
import type { Session } from '../../core/session.ts';
import { cloneEl, errorReply } from '../../core/stanza.ts';
import { deliverSubscription, presenceVisibilityChanged, pushContact } from './push.ts';
import { domainOf } from './view.ts';

const isDirectoryPair = (ctx: ServerContext, a: AccountRow, b: AccountRow) => ctx.visibleDomains(a.domain).includes(b.domain);

/** Handles a subscribe / subscribed / unsubscribe / unsubscribed presence that `session` sent. */
export function handleSubscription(ctx: ServerContext, stanza: Element, session: Session, maxItems: number): void {
  const type = stanza.attrs.type!;
  const owner = session.account!;
  const to = parseJid(stanza.attrs.to);
  if (!to) return session.send(errorReply(stanza, 'modify', 'jid-malformed'));
  if (!to.local || to.bare === owner.address) return; // the server itself, or oneself: nothing to subscribe to
  if (!ctx.isLocalDomain(to.domain)) {
    if (type === 'subscribe') session.send(errorReply(stanza, 'cancel', 'remote-server-not-found', `${to.domain} is not served here (no server-to-server connections)`));
    return;
  }
  const contact = ctx.account(to.bare);
  if (!contact) {
    // §3.1.3: no such user — the request is denied on its behalf.
    if (type === 'subscribe') session.send(new Element('presence', { type: 'unsubscribed', from: to.bare, to: owner.address }));
    return;
  }
  if (isDirectoryPair(ctx, owner, contact)) {
    if (type === 'subscribe') directorySubscribe(ctx, session, contact);
    return;
  }
  if (type === 'subscribe') subscribe(ctx, stanza, session, contact, maxItems);
  else if (type === 'subscribed') approve(ctx, owner, contact);
  else if (type === 'unsubscribed') cancelInbound(ctx, owner, contact);
  else if (type === 'unsubscribe') cancelOutbound(ctx, owner, contact);
}

/** A colleague is always subscribed: confirm, show where they are, and bring them back if hidden. */
function directorySubscribe(ctx: ServerContext, session: Session, contact: AccountRow): void {
  const owner = session.account!;
  session.send(new Element('presence', { type: 'subscribed', from: contact.address, to: owner.address }));
  const row = ctx.roster.get(owner.id, contact.address);
  if (row?.hidden) {
    ctx.roster.put({ ...row, hidden: false });
    pushContact(ctx, owner, contact.address);
    presenceVisibilityChanged(ctx, owner.address, contact.address, true);
    if (session.available) return;
  }
  for (const s of ctx.router.sessionsOf(contact.address)) {
    if (!s.presence) continue;
    const p = cloneEl(s.presence);
    p.attrs.to = session.jid!.full;
    session.send(p);
  }
}

/** §3.1.2–3.1.3: the owner asks to see the contact's presence. */
function subscribe(ctx: ServerContext, stanza: Element, session: Session, contact: AccountRow, maxItems: number): void {
  const owner = session.account!;
  const mine = ctx.roster.get(owner.id, contact.address);
  if (mine?.subTo) {
    // Already subscribed: the contact's server answers for it (§3.1.3).
    deliverSubscription(ctx, 'subscribed', contact.address, owner.address);
    return;
  }
  if (!mine && ctx.roster.count(owner.id) >= maxItems) {
    return session.send(errorReply(stanza, 'cancel', 'resource-constraint', `your contact list may hold at most ${maxItems} personal entries`));
  }
  // The request as the contact will see it: from the owner's bare JID, with its status/nick text.
  const request = cloneEl(stanza);
  Object.assign(request.attrs, { from: owner.address, to: contact.address });
  ctx.roster.transaction(() => {
    ctx.roster.put({ ...(mine ?? emptyRosterRow(owner.id, contact.address)), inRoster: true, askOut: true });
    const theirs = ctx.roster.get(contact.id, owner.address) ?? emptyRosterRow(contact.id, owner.address);
    ctx.roster.put({ ...theirs, pendingIn: request.toString() });
  });
  pushContact(ctx, owner, contact.address);
  deliverSubscription(ctx, 'subscribe', owner.address, contact.address, request);
}

/** §3.1.5–3.1.6: the owner lets the contact see its presence (only when the contact asked: no pre-approval). */
function approve(ctx: ServerContext, owner: AccountRow, contact: AccountRow): void {
  const mine = ctx.roster.get(owner.id, contact.address);
  if (!mine?.pendingIn) return;
  ctx.roster.transaction(() => {
    ctx.roster.put({ ...mine, pendingIn: null, subFrom: true, inRoster: true });
    const theirs = ctx.roster.get(contact.id, owner.address) ?? emptyRosterRow(contact.id, owner.address);
    ctx.roster.put({ ...theirs, subTo: true, askOut: false, inRoster: true });
  });
  pushContact(ctx, owner, contact.address);
  pushContact(ctx, contact, owner.address);
  deliverSubscription(ctx, 'subscribed', owner.address, contact.address);
  presenceVisibilityChanged(ctx, contact.address, owner.address, true);
}

/** §3.2: the owner refuses the contact's request, or revokes the contact's subscription. */
export function cancelInbound(ctx: ServerContext, owner: AccountRow, contact: AccountRow): void {
  const mine = ctx.roster.get(owner.id, contact.address);
  const theirs = ctx.roster.get(contact.id, owner.address);
  const hadFrom = mine?.subFrom === true;
  if (!hadFrom && !mine?.pendingIn && !theirs?.subTo && !theirs?.askOut) return;
  ctx.roster.transaction(() => {
    if (mine) ctx.roster.put({ ...mine, subFrom: false, pendingIn: null });
    if (theirs) ctx.roster.put({ ...theirs, subTo: false, askOut: false });
  });
  if (hadFrom && mine?.inRoster) pushContact(ctx, owner, contact.address);
  if (theirs?.inRoster && (theirs.subTo || theirs.askOut)) pushContact(ctx, contact, owner.address);
  deliverSubscription(ctx, 'unsubscribed', owner.address, contact.address);
  if (hadFrom) presenceVisibilityChanged(ctx, contact.address, owner.address, false);
}

/** §3.3: the owner stops seeing the contact's presence (or withdraws its pending request). */
export function cancelOutbound(ctx: ServerContext, owner: AccountRow, contact: AccountRow): void {
  const mine = ctx.roster.get(owner.id, contact.address);
  const theirs = ctx.roster.get(contact.id, owner.address);
  const hadTo = mine?.subTo === true;
  const told = theirs?.subFrom === true || !!theirs?.pendingIn;
  if (!hadTo && !mine?.askOut && !told) return;
  ctx.roster.transaction(() => {
    if (mine) ctx.roster.put({ ...mine, subTo: false, askOut: false });
    if (theirs) ctx.roster.put({ ...theirs, subFrom: false, pendingIn: null });
  });
  if (mine?.inRoster && (hadTo || mine.askOut)) pushContact(ctx, owner, contact.address);
  if (theirs?.inRoster && theirs.subFrom) pushContact(ctx, contact, owner.address);
  if (told) deliverSubscription(ctx, 'unsubscribe', owner.address, contact.address);
  if (hadTo) presenceVisibilityChanged(ctx, owner.address, contact.address, false);
}

/** §3.1.3: requests still waiting for the user's answer are delivered again when a resource becomes available. */
export function redeliverPending(ctx: ServerContext, session: Session): void {
  const owner = session.account!;
  const visible = ctx.visibleDomains(owner.domain);
  for (const row of ctx.roster.rows(owner.id)) {
    if (!row.pendingIn || visible.includes(domainOf(row.jid))) continue;
    const request = parse(row.pendingIn);
    request.attrs.to = owner.address;
    session.send(request);
  }
}
