// Blocking Command (XEP-0191): the JIDs each user blocked, kept across restarts. The XMPP module
// (xmpp/modules/blocking.ts) holds them in memory and writes through here.
import type { Db } from './db.ts';

export function createBlocklistStore(db: Db) {
  const all = db.prepare('SELECT a.address AS address, b.jid AS jid FROM blocklist b JOIN accounts a ON a.id = b.account_id ORDER BY b.account_id, b.created_at, b.jid');
  const insert = db.prepare('INSERT OR IGNORE INTO blocklist (account_id, jid, created_at) VALUES (?, ?, ?)');
  const del = db.prepare('DELETE FROM blocklist WHERE account_id = ? AND jid = ?');
  const clear = db.prepare('DELETE FROM blocklist WHERE account_id = ?');
  const add = db.transaction((accountId: number, jids: readonly string[]) => {
    const now = Date.now();
    for (const j of jids) insert.run(accountId, j, now);
  });
  const remove = db.transaction((accountId: number, jids: readonly string[]) => {
    for (const j of jids) del.run(accountId, j);
  });
  return {
    /** Every blocklist, by the owner's bare address (loaded once at start). */
    all(): Map<string, string[]> {
      const out = new Map<string, string[]>();
      for (const r of all.all() as { address: string; jid: string }[]) {
        let l = out.get(r.address);
        if (!l) out.set(r.address, (l = []));
        l.push(r.jid);
      }
      return out;
    },
    add(accountId: number, jids: readonly string[]): void {
      add.immediate(accountId, jids);
    },
    remove(accountId: number, jids: readonly string[]): void {
      remove.immediate(accountId, jids);
    },
    clear(accountId: number): void {
      clear.run(accountId);
    },
  };
}
export type BlocklistStore = ReturnType<typeof createBlocklistStore>;
