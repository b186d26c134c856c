// RFC 6121 §2.1 and §2.6: what one user's roster holds — the directory (their domain and the
// domains an admin linked to it) with their personal rows on top — its version, and who sees
// whose presence because of it.
import { createHash } from 'node:crypto';
import { Element } from 'ltx';
import type { AccountRow, RosterRow } from '../../../store/index.ts';
import type { ServerContext } from '../../core/host.ts';

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface ViewItem {
  jid: string;
  name: string;
  subscription: Subscription;
  /** ask="subscribe": the owner's subscription request awaits an answer. */
  ask: boolean;
  groups: string[];
}

/** The directory as a roster sees it: live (the server's current state) or a snapshot (before a change). */
export interface DirectoryView {
  /** A domain and the domains linked to it. */
  visible(domain: string): readonly string[];
  /** A local account's display name; undefined when there is no such account. */
  nameOf(address: string): string | undefined;
  /** The accounts of a domain: address → display name. */
  members(domain: string): ReadonlyMap<string, string>;
}

export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1);

const memberMaps = new WeakMap<AccountRow[], Map<string, string>>();
const digests = new WeakMap<AccountRow[], string>();

/** address → name of a domain's accounts, built once per directory read (ctx.domainUsers caches the array). */
function membersOf(users: AccountRow[]): Map<string, string> {
  let m = memberMaps.get(users);
  if (!m) memberMaps.set(users, (m = new Map(users.map((a) => [a.address, a.displayName]))));
  return m;
}

export function liveDirectory(ctx: ServerContext): DirectoryView {
  return {
    visible: (d) => ctx.visibleDomains(d),
    nameOf: (address) => membersOf(ctx.domainUsers(domainOf(address))).get(address),
    members: (d) => membersOf(ctx.domainUsers(d)),
  };
}

const subscriptionOf = (r: RosterRow): Subscription => (r.subTo ? (r.subFrom ? 'both' : 'to') : r.subFrom ? 'from' : 'none');

/**
 * The item `owner` sees for `address`, if any. A directory contact: subscribed both ways, the
 * directory's name and the contact's domain as group unless the owner set their own, absent when
 * hidden. Anyone else: only when the owner has it as a personal item, with the stored subscription.
 */
export function itemFor(owner: AccountRow, address: string, row: RosterRow | undefined, dir: DirectoryView): ViewItem | undefined {
  if (address === owner.address) return undefined;
  const name = dir.nameOf(address);
  if (name === undefined) return undefined;
  const domain = domainOf(address);
  if (dir.visible(owner.domain).includes(domain)) {
    if (row?.hidden) return undefined;
    return { jid: address, name: row?.name ?? name, subscription: 'both', ask: false, groups: row?.groups ?? [domain] };
  }
  if (!row?.inRoster) return undefined;
  return { jid: address, name: row.name ?? name, subscription: subscriptionOf(row), ask: row.askOut, groups: row.groups ?? [domain] };
}

/** The whole roster of `owner`: directory contacts first (by domain, then address), then personal ones. */
export function computeView(owner: AccountRow, rows: ReadonlyMap<string, RosterRow>, dir: DirectoryView): ViewItem[] {
  const out: ViewItem[] = [];
  const visible = dir.visible(owner.domain);
  for (const d of visible) {
    for (const address of dir.members(d).keys()) {
      const item = itemFor(owner, address, rows.get(address), dir);
      if (item) out.push(item);
    }
  }
  for (const row of rows.values()) {
    if (visible.includes(domainOf(row.jid))) continue;
    const item = itemFor(owner, row.jid, row, dir);
    if (item) out.push(item);
  }
  return out;
}

export const rowMap = (rows: RosterRow[]): Map<string, RosterRow> => new Map(rows.map((r) => [r.jid, r]));

function digest(users: AccountRow[]): string {
  let d = digests.get(users);
  if (!d) {
    const h = createHash('sha1');
    for (const a of users) h.update(`${a.address}\0${a.displayName}\n`);
    digests.set(users, (d = h.digest('base64url')));
  }
  return d;
}

/**
 * The roster version (RFC 6121 §2.6): a hash of everything the roster is computed from — the
 * linked domains, the accounts of every domain it draws on, and the owner's rows — so it changes
 * whenever the roster may have, and equal versions mean equal rosters. Cheap: per-domain digests
 * are computed once per directory read.
 */
export function rosterVersion(ctx: ServerContext, owner: AccountRow, rows: RosterRow[]): string {
  const visible = ctx.visibleDomains(owner.domain);
  const domains = new Set(visible);
  const h = createHash('sha1');
  h.update(`${visible.join(',')}\n`);
  for (const r of rows) {
    if (!r.inRoster && !r.hidden) continue;
    domains.add(domainOf(r.jid));
    h.update(JSON.stringify([r.jid, r.inRoster, r.hidden, r.name, r.groups, r.subTo, r.subFrom, r.askOut]));
  }
  for (const d of [...domains].sort()) h.update(`\n${d}=${digest(ctx.domainUsers(d))}`);
  return h.digest('base64url').slice(0, 16);
}

export function itemElement(i: ViewItem): Element {
  const el = new Element('item', { jid: i.jid, name: i.name, subscription: i.subscription });
  if (i.ask) el.attrs.ask = 'subscribe';
  for (const g of i.groups) el.c('group').t(g);
  return el;
}

export const removeElement = (jid: string): Element => new Element('item', { jid, subscription: 'remove' });

/** Whether the item means its owner receives the contact's presence. */
export const receivesPresence = (i: ViewItem | undefined): boolean => i?.subscription === 'to' || i?.subscription === 'both';

/** Whether `viewer` receives `contact`'s presence: a directory contact they did not hide, or a personal subscription. */
export function receives(ctx: ServerContext, viewer: AccountRow, contact: string): boolean {
  if (contact === viewer.address) return true;
  const row = ctx.roster.get(viewer.id, contact);
  if (ctx.visibleDomains(viewer.domain).includes(domainOf(contact))) return !row?.hidden;
  return row?.subTo === true;
}

/** The users (bare JIDs) who receive `account`'s presence (RFC 6121 §4.2.2 broadcast). */
export function presenceAudience(ctx: ServerContext, account: AccountRow): string[] {
  const visible = ctx.visibleDomains(account.domain);
  const veto = new Set<string>();
  const out: string[] = [];
  for (const w of ctx.roster.watchers(account.address)) {
    if (visible.includes(domainOf(w.address))) {
      if (w.hidden) veto.add(w.address);
    } else if (w.subTo) out.push(w.address);
  }
  for (const d of visible) for (const a of ctx.domainUsers(d)) if (a.id !== account.id && !veto.has(a.address)) out.push(a.address);
  return out;
}

/** The users (bare JIDs) whose presence `account` receives (answered at its initial presence, RFC 6121 §4.2.3). */
export function presenceSources(ctx: ServerContext, account: AccountRow): string[] {
  const visible = ctx.visibleDomains(account.domain);
  const rows = ctx.roster.rows(account.id);
  const hidden = new Set(rows.filter((r) => r.hidden).map((r) => r.jid));
  const out: string[] = [];
  for (const d of visible) for (const a of ctx.domainUsers(d)) if (a.id !== account.id && !hidden.has(a.address)) out.push(a.address);
  for (const r of rows) if (r.subTo && !visible.includes(domainOf(r.jid))) out.push(r.jid);
  return out;
}
