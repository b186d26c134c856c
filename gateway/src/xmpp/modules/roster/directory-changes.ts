// RFC 6121 §2.1.6: roster pushes for changes made outside any session — users added, renamed or
// removed and domains linked or unlinked with the CLI (seen through the server's data_version
// poll). The module keeps a snapshot of the directory as rosters were last computed from it; on
// a change, each online user's items for the accounts that changed (and for every account of a
// domain whose link to theirs changed) are computed before and after, and the differences are
// pushed; who starts or stops seeing whom gets the presence that goes with it.
import type { Element } from 'ltx';
import type { AccountRow, Store } from '../../../store/index.ts';
import type { ServerContext } from '../../core/host.ts';
import { presenceVisibilityChanged, pushItems } from './push.ts';
import { domainOf, itemElement, itemFor, receivesPresence, removeElement, rowMap, type DirectoryView, type ViewItem } from './view.ts';

interface Snapshot {
  /** domain → address → display name */
  accounts: Map<string, Map<string, string>>;
  /** domain → linked domains */
  links: Map<string, string[]>;
}

function capture(store: Store): Snapshot {
  const accounts = new Map<string, Map<string, string>>();
  for (const a of store.accounts.list()) {
    let m = accounts.get(a.domain);
    if (!m) accounts.set(a.domain, (m = new Map()));
    m.set(a.address, a.displayName);
  }
  const links = new Map<string, string[]>();
  for (const [a, b] of store.domainLinks.list()) {
    links.set(a, [...(links.get(a) ?? []), b]);
    links.set(b, [...(links.get(b) ?? []), a]);
  }
  return { accounts, links };
}

const EMPTY = new Map<string, string>();

function viewOf(s: Snapshot): DirectoryView {
  return {
    visible: (d) => [d, ...(s.links.get(d) ?? [])],
    nameOf: (address) => s.accounts.get(domainOf(address))?.get(address),
    members: (d) => s.accounts.get(d) ?? EMPTY,
  };
}

const sameList = (a: string[] = [], b: string[] = []) => a.length === b.length && a.every((x) => b.includes(x));
const key = (i: ViewItem | undefined) => (i ? JSON.stringify(i) : '');

export function createDirectoryWatch(ctx: ServerContext, store: Store) {
  let snap: Snapshot | undefined;

  return {
    /** Starts tracking at the first roster request (nobody needs pushes before). */
    ensure(): void {
      snap ??= capture(store);
    },

    changed(): void {
      if (!snap) return;
      const before = snap;
      const after = (snap = capture(store));
      const changed = new Set<string>();
      for (const [d, now] of after.accounts) {
        const was = before.accounts.get(d);
        for (const [address, name] of now) if (was?.get(address) !== name) changed.add(address);
      }
      for (const [d, was] of before.accounts) {
        const now = after.accounts.get(d);
        for (const address of was.keys()) if (!now?.has(address)) changed.add(address);
      }
      const relinked = new Set<string>();
      for (const d of new Set([...before.links.keys(), ...after.links.keys()])) if (!sameList(before.links.get(d), after.links.get(d))) relinked.add(d);
      if (!changed.size && !relinked.size) return;

      const [vb, va] = [viewOf(before), viewOf(after)];
      const work: { owner: AccountRow; items: Element[]; visibility: [string, boolean][] }[] = [];
      for (const resources of ctx.router.all()) {
        const owner = resources.values().next().value?.account;
        if (!owner || !after.accounts.get(owner.domain)?.has(owner.address)) continue;
        const candidates = new Set(changed);
        if (relinked.has(owner.domain)) {
          const [b, a] = [vb.visible(owner.domain), va.visible(owner.domain)];
          for (const d of [...b.filter((x) => !a.includes(x)), ...a.filter((x) => !b.includes(x))]) {
            for (const address of vb.members(d).keys()) candidates.add(address);
            for (const address of va.members(d).keys()) candidates.add(address);
          }
        }
        if (!candidates.size) continue;
        const rows = rowMap(store.roster.rows(owner.id));
        const job = { owner, items: [] as Element[], visibility: [] as [string, boolean][] };
        for (const address of candidates) {
          const [ib, ia] = [itemFor(owner, address, rows.get(address), vb), itemFor(owner, address, rows.get(address), va)];
          if (key(ib) === key(ia)) continue;
          job.items.push(ia ? itemElement(ia) : removeElement(address));
          if (receivesPresence(ib) !== receivesPresence(ia)) job.visibility.push([address, receivesPresence(ia)]);
        }
        if (job.items.length) work.push(job);
      }
      // Rows about deleted accounts go before the pushes, so the versions pushed are the ones a
      // later roster request computes.
      store.roster.removeDangling();
      for (const { owner, items, visibility } of work) {
        pushItems(ctx, owner, items);
        for (const [contact, now] of visibility) presenceVisibilityChanged(ctx, owner.address, contact, now);
      }
    },
  };
}
