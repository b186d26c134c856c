// Mail domains served by the gateway, with the per-domain IM switch and desktop update mode.
import type { Db } from './db.ts';

/** How the domain's desktops take new versions from the gateway's update feed. */
export const UPDATE_MODES = ['off', 'notify', 'automatic'] as const;
export type UpdateMode = (typeof UPDATE_MODES)[number];

export interface DomainRow {
  name: string;
  imEnabled: boolean;
  updates: UpdateMode;
  /** The domain's own webmail URL template (set in the console or `domain set --webmail`); null: the config's. */
  webmailUrl: string | null;
  createdAt: number;
}

export function createDomainStore(db: Db) {
  const insert = db.prepare('INSERT INTO domains (name, im_enabled, created_at) VALUES (?, ?, ?)');
  const get = db.prepare('SELECT name, im_enabled, updates, webmail_url, created_at FROM domains WHERE name = ?');
  const all = db.prepare('SELECT name, im_enabled, updates, webmail_url, created_at FROM domains ORDER BY name');
  const setIm = db.prepare('UPDATE domains SET im_enabled = ? WHERE name = ?');
  const del = db.prepare('DELETE FROM domains WHERE name = ?');
  const setUpd = db.prepare('UPDATE domains SET updates = ? WHERE name = ?');
  const setWebmail = db.prepare('UPDATE domains SET webmail_url = ? WHERE name = ?');
  const names = db.prepare('SELECT name FROM domains').pluck();
  // The names, for has(): asked for every stanza to another domain (a room service, an upload
  // service, a contact), which was a SELECT each (issue 12). Dropped on this process's own changes
  // and by forget() when another process (the CLI) committed (PRAGMA data_version, main.ts).
  let known: Set<string> | undefined;
  const toRow = (r: { name: string; im_enabled: number; updates: UpdateMode; webmail_url: string | null; created_at: number }): DomainRow => ({
    name: r.name,
    imEnabled: r.im_enabled === 1,
    updates: r.updates,
    webmailUrl: r.webmail_url,
    createdAt: r.created_at,
  });
  return {
    add(name: string, imEnabled = true): void {
      known = undefined;
      insert.run(name, imEnabled ? 1 : 0, Date.now());
    },
    /** Whether `name` is a domain served here (exact, as get()); cached, see `known`. */
    has(name: string): boolean {
      known ??= new Set(names.all() as string[]);
      return known.has(name);
    },
    /** Drops the cached names: another process may have added or removed domains. */
    forget(): void {
      known = undefined;
    },
    get(name: string): DomainRow | undefined {
      const r = get.get(name) as Parameters<typeof toRow>[0] | undefined;
      return r && toRow(r);
    },
    list(): DomainRow[] {
      return (all.all() as Parameters<typeof toRow>[0][]).map(toRow);
    },
    setImEnabled(name: string, on: boolean): boolean {
      return setIm.run(on ? 1 : 0, name).changes === 1;
    },
    /** Removes a domain without accounts (accounts.domain is ON DELETE RESTRICT); its links go with it. */
    remove(name: string): boolean {
      known = undefined;
      return del.run(name).changes === 1;
    },
    setUpdates(name: string, mode: UpdateMode): boolean {
      return setUpd.run(mode, name).changes === 1;
    },
    /** The domain's own webmail URL template; null goes back to the config's. */
    setWebmailUrl(name: string, template: string | null): boolean {
      return setWebmail.run(template, name).changes === 1;
    },
  };
}
export type DomainStore = ReturnType<typeof createDomainStore>;
