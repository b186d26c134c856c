// RFC 6121 §2.1.6 roster pushes to a user's interested resources, and the presence side effects
// of roster changes (§3.1.5, §3.2.2, §3.3.3): who starts or stops seeing whom is told at once.
import { randomBytes } from 'node:crypto';
import { Element } from 'ltx';
import type { AccountRow } from '../../../store/index.ts';
import type { ServerContext } from '../../core/host.ts';
import { cloneEl, NS } from '../../core/stanza.ts';
import { itemElement, itemFor, liveDirectory, removeElement, rosterVersion } from './view.ts';

/**
 * Sends `items` (item or remove elements) to every resource of `owner` that asked for the roster.
 * Only the last push carries the roster's new version: the earlier ones get versions no roster
 * ever has, so a client cut off between two pushes asks again and gets the whole roster
 * (RFC 6121 §2.6.3: a version stands for the roster including that push).
 */
export function pushItems(ctx: ServerContext, owner: AccountRow, items: Element[]): void {
  if (!items.length) return;
  const sessions = ctx.router.sessionsOf(owner.address).filter((s) => s.rosterRequested);
  if (!sessions.length) return;
  const ver = rosterVersion(ctx, owner, ctx.roster.rows(owner.id));
  for (const s of sessions) {
    items.forEach((item, i) => {
      const push = new Element('iq', { type: 'set', id: `push-${randomBytes(6).toString('base64url')}`, to: s.jid!.full });
      push.c('query', { xmlns: NS.roster, ver: i === items.length - 1 ? ver : `${ver}-${i}` }).cnode(cloneEl(item));
      s.send(push);
    });
  }
}

/** Pushes `owner`'s current item for `contact` — or its removal when it is no longer on the roster. */
export function pushContact(ctx: ServerContext, owner: AccountRow, contact: string): void {
  const item = itemFor(owner, contact, ctx.roster.get(owner.id, contact), liveDirectory(ctx));
  pushItems(ctx, owner, [item ? itemElement(item) : removeElement(contact)]);
}

/**
 * `viewer` starts (`now` true) or stops receiving `contact`'s presence: the viewer's available
 * resources get the contact's current presence, or unavailable from each of its resources —
 * through the outbox, behind any of the contact's presence still queued for them (core/outbox.ts).
 */
export function presenceVisibilityChanged(ctx: ServerContext, viewer: string, contact: string, now: boolean): void {
  const to = ctx.router.sessionsOf(viewer).filter((s) => s.available);
  if (!to.length) return;
  for (const c of ctx.router.sessionsOf(contact)) {
    if (!c.presence) continue;
    ctx.outbox.broadcast(now ? c.presence : new Element('presence', { type: 'unavailable', from: c.jid!.full }), to);
  }
}

/** A subscription stanza from `from` to `to` (bare JIDs), delivered to `to`'s available resources (RFC 6121 §3). */
export function deliverSubscription(ctx: ServerContext, type: string, from: string, to: string, template?: Element): void {
  for (const s of ctx.router.sessionsOf(to)) {
    if (!s.available) continue;
    const p = template ? cloneEl(template) : new Element('presence');
    Object.assign(p.attrs, { type, from, to });
    s.send(p);
  }
}
