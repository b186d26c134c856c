// Mail-to-IM alert rules (gateway/src/im/alerts/): each user's personal rules, stored as the JSON
// list the HTTP API accepted (validated again when read), and per user the time since which the
// rules engine has watched the mailbox — mail that arrived before it never fires a rule (see
// im/alerts/alert-engine.ts), mail after it fires once, across restarts.
import type { Db } from './db.ts';

export function createAlertRuleStore(db: Db) {
  const get = db.prepare('SELECT rules FROM alert_rules WHERE account_id = ?');
  const upsert = db.prepare(
    `INSERT INTO alert_rules (account_id, rules, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at`,
  );
  const del = db.prepare('DELETE FROM alert_rules WHERE account_id = ?');
  const owners = db.prepare('SELECT account_id FROM alert_rules ORDER BY account_id');
  const since = db.prepare('SELECT since FROM alert_watch WHERE account_id = ?');
  const watchAll = db.prepare('SELECT account_id, since FROM alert_watch');
  const watchAdd = db.prepare('INSERT OR IGNORE INTO alert_watch (account_id, since) VALUES (?, ?)');
  const watchDel = db.prepare('DELETE FROM alert_watch WHERE account_id = ?');
  const syncWatch = db.transaction((ids: readonly number[], now: number) => {
    const keep = new Set(ids);
    for (const r of watchAll.all() as { account_id: number }[]) if (!keep.has(r.account_id)) watchDel.run(r.account_id);
    for (const id of ids) watchAdd.run(id, now);
  });

  return {
    /** The user's stored rule list as JSON values (not validated here), [] when there is none. */
    get(accountId: number): unknown[] {
      const r = get.get(accountId) as { rules: string } | undefined;
      if (!r) return [];
      const v: unknown = JSON.parse(r.rules);
      return Array.isArray(v) ? v : [];
    },
    /** Replaces the user's list; an empty list removes the row. */
    put(accountId: number, rules: readonly unknown[]): void {
      if (rules.length === 0) del.run(accountId);
      else upsert.run(accountId, JSON.stringify(rules), Date.now());
    },
    /** Ids of the users who stored personal rules. */
    owners(): number[] {
      return (owners.all() as { account_id: number }[]).map((r) => r.account_id);
    },
    /** Since when (ms) the rules engine watches this user's mail; undefined when it does not. */
    watchedSince(accountId: number): number | undefined {
      return (since.get(accountId) as { since: number } | undefined)?.since;
    },
    /** Exactly these users are watched by the rules engine: new ones from `now`, the others' times kept. */
    setWatched(accountIds: readonly number[], now = Date.now()): void {
      syncWatch.immediate(accountIds, now);
    },
  };
}
export type AlertRuleStore = ReturnType<typeof createAlertRuleStore>;
