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

/**
 * The users (bare JIDs) who receive `account`'s presence now (RFC 6121 §4.2.2 broadcast): of its
 * directory (visible domains) only those online — a presence is for sessions, and both callers
 * (presence broadcast, PEP notifications) look up sessions; walking every account of a domain of
 * thousands for the few online was a cost per broadcast (issue 12). Personal subscribers from
 * other domains come from the roster rows (they may be online, the router says), and a colleague
 * who hid `account` (a `hidden` row) vetoes it as before.
 */
export function presenceAudience(ctx: ServerContext, account: AccountRow): string[] {
  const visible = ctx.visibleDomains(account.domain);
  const veto = new Set<string>();
  const out: string[] = [];
  for (const w of ctx.roster.watchers(account.address)) {
    if (visible.includes(domainOf(w.address))) {
      if (w.hidden) veto.add(w.address);
    } else if (w.subTo) out.push(w.address);
  }
  for (const d of visible) for (const a of ctx.router.onlineIn(d)) if (a !== account.address && !veto.has(a)) out.push(a);
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

/**
 * A domain's directory items, serialized once per directory read (ctx.domainUsers caches the
 * array): a roster get is the same thousands of items for every user of the domain, so each one
 * is the shared string minus the user's own item — not thousands of elements built and serialized
 * per user (5,000 users asking for a 5,000-item roster were 25 M elements).
 */
interface DomainItems {
  xml: string;
  /** Item i is xml.slice(offsets[i], offsets[i + 1]). */
  offsets: number[];
  index: Map<string, number>;
}
const domainItems = new WeakMap<AccountRow[], DomainItems>();

function itemsOf(users: AccountRow[], domain: string): DomainItems {
  let d = domainItems.get(users);
  if (d) return d;
  const parts: string[] = [];
  const offsets = [0];
  const index = new Map<string, number>();
  let at = 0;
  for (const a of users) {
    const s = itemElement({ jid: a.address, name: a.displayName, subscription: 'both', ask: false, groups: [domain] }).toString();
    index.set(a.address, parts.length);
    parts.push(s);
    offsets.push((at += s.length));
  }
  domainItems.set(users, (d = { xml: parts.join(''), offsets, index }));
  return d;
}

/** Written as the XML it holds: a run of roster items serialized elsewhere. */
class RawXml extends Element {
  constructor(private readonly xml: string) {
    super('item');
  }

  write(writer: (s: string) => void): void {
    writer(this.xml);
  }

  override toString(): string {
    return this.xml;
  }
}

/**
 * The items of `owner`'s whole roster as one serialized child for the result's <query/> —
 * exactly computeView()'s items, in its order, as itemElement() writes them — or undefined when
 * the roster is empty. Directory items come from the domain's shared serialization; only the
 * contacts the owner has personal rows for are built one by one.
 */
export function rosterItemsXml(ctx: ServerContext, owner: AccountRow, rows: ReadonlyMap<string, RosterRow>): Element | undefined {
  const dir = liveDirectory(ctx);
  const visible = dir.visible(owner.domain);
  const personalIn = new Set<string>();
  for (const jid of rows.keys()) personalIn.add(domainOf(jid));
  let out = '';
  for (const d of visible) {
    const users = ctx.domainUsers(d);
    const items = itemsOf(users, d);
    const self = items.index.get(owner.address);
    if (!personalIn.has(d)) {
      out += self === undefined ? items.xml : items.xml.slice(0, items.offsets[self]) + items.xml.slice(items.offsets[self + 1]);
      continue;
    }
    users.forEach((a, i) => {
      const row = rows.get(a.address);
      if (!row) {
        if (i !== self) out += items.xml.slice(items.offsets[i], items.offsets[i + 1]);
        return;
      }
      const item = itemFor(owner, a.address, row, dir);
      if (item) out += itemElement(item).toString();
    });
  }
  for (const row of rows.values()) {
    if (visible.includes(domainOf(row.jid))) continue;
    const item = itemFor(owner, row.jid, row, dir);
    if (item) out += itemElement(item).toString();
  }
  return out ? new RawXml(out) : undefined;
}
