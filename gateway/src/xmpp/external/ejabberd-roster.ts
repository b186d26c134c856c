// "Contacts = the domain" on ejabberd: mod_shared_roster groups (mod_admin_extra's srg_* commands),
// computed from Herald's domains, users and domain links.
//
// ejabberd 23.01 with external authentication cannot use the `@all@` member: it lists a host's
// users from the auth backend, and extauth has no "list users". So membership is explicit:
//   - per domain D, group `herald` on host D: D's users, shown to themselves and to D's link groups;
//   - per link D–L, group `link-L` on host D: L's users (members may be of another host), shown
//     to D's `herald` group. (23.01 does not resolve `group@otherhost` in displayed groups.)
// Groups must exist before members are added (a displayed group missing then crashes
// srg_user_add), so every srg_create comes first. srg_create on an existing group replaces its
// options and keeps its members: running the commands again is harmless.
//
// With mod_shared_roster on SQL (xmpp.external.archiveDb or .archiveUrl set: srg-tables.ts) the members
// are read from the table, and a group's change of BULK_FROM members or more (the first sync of a
// domain, an import) is written into it in bulk — on SQLite only while ejabberd has no session; smaller
// changes (and on SQLite any while someone is connected) go through srg_user_add and srg_user_del,
// which push the change to connected clients.
import { HeraldError } from '../../protocol/errors.ts';
import type { Store } from '../../store/index.ts';
import type { SrgTables } from './srg-tables.ts';

export interface RosterSource {
  domains: string[];
  /** Users (bare addresses) per domain. */
  users: Map<string, string[]>;
  /** Linked domains per domain (symmetric). */
  links: Map<string, string[]>;
}

/** Herald's side, read from the store (a few indexed queries, also for 10,000 users). */
export function rosterSourceOf(store: Pick<Store, 'domains' | 'accounts' | 'domainLinks'>): RosterSource {
  const domains = store.domains.list().map((d) => d.name);
  const users = new Map(domains.map((d) => [d, store.accounts.list(d).map((a) => a.address)]));
  const links = new Map(domains.map((d) => [d, store.domainLinks.linkedTo(d)]));
  return { domains, users, links };
}

/**
 * A cheap summary of what the shared roster depends on, for `serve`'s data_version poll: that moves
 * for every commit of another process (extauth's login bookkeeping too), the roster only when this
 * does. Account ids only grow (a new row gets max(id)+1), so count, sum and the newest row's
 * address change whenever the set of accounts does; domains and links are few.
 */
export function rosterFingerprint(store: Pick<Store, 'db'>): string {
  const row = store.db
    .prepare(
      `SELECT (SELECT count(*) || ':' || total(id) || ':' || ifnull(max(id), 0) FROM accounts)
          || '|' || ifnull((SELECT address FROM accounts ORDER BY id DESC LIMIT 1), '')
          || '|' || ifnull((SELECT group_concat(name, ',') FROM (SELECT name FROM domains ORDER BY name)), '')
          || '|' || ifnull((SELECT group_concat(a || '+' || b, ',') FROM (SELECT a, b FROM domain_links ORDER BY a, b)), '') AS f`,
    )
    .get() as { f: string };
  return row.f;
}

export interface SrgCommand {
  command: 'srg_create' | 'srg_user_add' | 'srg_user_del' | 'srg_delete';
  args: Record<string, string>;
}

export const DOMAIN_GROUP = 'herald';
export const linkGroupOf = (linked: string) => `link-${linked}`;

/** The groups each host should have, with their members (bare addresses). */
export function rosterGroups(src: RosterSource): Map<string, Map<string, { label: string; display: string[]; members: string[] }>> {
  const hosts = new Map<string, Map<string, { label: string; display: string[]; members: string[] }>>();
  for (const d of src.domains) {
    const linked = (src.links.get(d) ?? []).filter((l) => src.domains.includes(l)).sort();
    const groups = new Map<string, { label: string; display: string[]; members: string[] }>();
    groups.set(DOMAIN_GROUP, { label: d, display: [DOMAIN_GROUP, ...linked.map(linkGroupOf)], members: [...(src.users.get(d) ?? [])].sort() });
    for (const l of linked) groups.set(linkGroupOf(l), { label: l, display: [], members: [...(src.users.get(l) ?? [])].sort() });
    hosts.set(d, groups);
  }
  return hosts;
}

/** Every srg_create, then every srg_user_add: what makes the groups from nothing (or again). */
export function rosterCommands(src: RosterSource): SrgCommand[] {
  const creates: SrgCommand[] = [];
  const adds: SrgCommand[] = [];
  for (const [host, groups] of rosterGroups(src)) {
    for (const [group, g] of groups) {
      // ejabberd 23.01 reads `display` as group names separated by the two characters \n.
      creates.push({ command: 'srg_create', args: { group, host, label: g.label, description: `Herald: ${g.label}`, display: g.display.join('\\n') } });
      for (const member of g.members) {
        const at = member.lastIndexOf('@');
        adds.push({ command: 'srg_user_add', args: { user: member.slice(0, at), host: member.slice(at + 1), group, grouphost: host } });
      }
    }
  }
  return [...creates, ...adds];
}

/** Shell-quoted for POSIX sh. */
const sh = (s: string) => (/^[A-Za-z0-9@._\-/]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The commands as ejabberdctl lines (arguments in ejabberd 23.01's order). */
export function asEjabberdctl(commands: SrgCommand[]): string[] {
  const order: Record<SrgCommand['command'], string[]> = {
    srg_create: ['group', 'host', 'label', 'description', 'display'],
    srg_user_add: ['user', 'host', 'group', 'grouphost'],
    srg_user_del: ['user', 'host', 'group', 'grouphost'],
    srg_delete: ['group', 'host'],
  };
  return commands.map((c) => ['ejabberdctl', c.command, ...order[c.command].map((k) => sh(c.args[k]!))].join(' '));
}

export interface RosterSync {
  groupsWritten: number;
  membersAdded: number;
  membersRemoved: number;
  groupsDeleted: number;
  /** Of the members added and removed, how many were written straight into the SQL tables (no push). */
  inBulk: number;
}

/** A group's change from this many members on is written in bulk into the SQL tables (when there are). */
export const BULK_FROM = 20;

/**
 * Brings the shared roster groups of a running ejabberd in step with `src` through its HTTP API
 * (`apiUrl`: http://127.0.0.1:5281/api): groups (re)written, missing members added, members
 * Herald no longer has (removed users, undone links) removed, link groups of undone links deleted.
 * With `tables` (mod_shared_roster on SQL), members are read there and large changes written there.
 */
export async function syncRoster(apiUrl: string, src: RosterSource, o: { tables?: SrgTables; timeoutMs?: number; bulkFrom?: number } = {}): Promise<RosterSync> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const bulkFrom = o.bulkFrom ?? BULK_FROM;
  const call = async <T>(command: string, args: Record<string, string>): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${apiUrl.replace(/\/$/, '')}/${command}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args), signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw new HeraldError('directory_unavailable', `ejabberd's HTTP API at ${apiUrl} cannot be reached: ${(e as Error).cause ? String(((e as Error).cause as Error).message ?? (e as Error).cause) : (e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new HeraldError('directory_unavailable', `ejabberd's ${command} failed (HTTP ${res.status}): ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  };
  const ok = async (c: SrgCommand) => {
    const r = await call<unknown>(c.command, c.args);
    if (r !== 0) throw new HeraldError('directory_unavailable', `ejabberd's ${c.command} ${JSON.stringify(c.args)} answered ${JSON.stringify(r)}`);
  };
  // SQLite: only while ejabberd has no session (srg-tables.ts `kind`: a message archived during our
  // write would be lost to the central IM log). Asked right before each group's write.
  const bulkAllowed = async (t: SrgTables) => {
    if (t.kind !== 'sqlite') return true;
    const r = await call<number | { num_sessions: number }>('connected_users_number', {});
    return (typeof r === 'number' ? r : r.num_sessions) === 0;
  };
  const sync: RosterSync = { groupsWritten: 0, membersAdded: 0, membersRemoved: 0, groupsDeleted: 0, inBulk: 0 };
  const split = (m: string) => ({ user: m.slice(0, m.lastIndexOf('@')), host: m.slice(m.lastIndexOf('@') + 1) });
  const creates = rosterCommands(src).filter((c) => c.command === 'srg_create');
  // Host by host (a group displays only groups of its own host): a host ejabberd does not serve yet
  // (a domain added before `ejabberd config` + reload_config) fails alone, the others are synced.
  const failed: string[] = [];
  for (const [host, groups] of rosterGroups(src)) {
    try {
      for (const c of creates.filter((c) => c.args.host === host)) {
        await ok(c);
        sync.groupsWritten++;
      }
      for (const [group, g] of groups) {
        const current = new Set(o.tables ? await o.tables.members(host, group) : (await call<string[]>('srg_get_members', { group, host })).map((m) => m.toLowerCase()));
        const added = g.members.filter((m) => !current.has(m));
        // A Set, not includes(): 10,000 members must not make 10^8 comparisons on the event loop.
        const wantedMembers = new Set(g.members);
        const removed = [...current].filter((m) => !wantedMembers.has(m));
        if (o.tables && added.length >= bulkFrom && (await bulkAllowed(o.tables))) {
          await o.tables.add(host, group, added);
          sync.inBulk += added.length;
        } else for (const m of added) await ok({ command: 'srg_user_add', args: { ...split(m), group, grouphost: host } });
        sync.membersAdded += added.length;
        if (o.tables && removed.length >= bulkFrom && (await bulkAllowed(o.tables))) {
          await o.tables.remove(host, group, removed);
          sync.inBulk += removed.length;
        } else for (const m of removed) await ok({ command: 'srg_user_del', args: { ...split(m), group, grouphost: host } });
        sync.membersRemoved += removed.length;
      }
      for (const group of await call<string[]>('srg_list', { host })) {
        if (group.startsWith('link-') && !groups.has(group)) {
          await ok({ command: 'srg_delete', args: { group, host } });
          sync.groupsDeleted++;
        }
      }
    } catch (e) {
      failed.push(`${host}: ${(e as Error).message}`);
    }
  }
  if (failed.length) throw new HeraldError('directory_unavailable', `the shared roster of ${failed.length} host(s) is not in step: ${failed.join('; ')}`);
  return sync;
}
