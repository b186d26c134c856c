// Messages kept for users who are offline (RFC 6121 §8.5.2.1.1), as serialized stanzas, oldest
// first, with a per-user quota so one flooded account cannot fill the disk.
import type { Db } from './db.ts';

export interface OfflineRow {
  id: number;
  stanza: string;
  createdAt: number;
}

export function createOfflineStore(db: Db) {
  const count = db.prepare('SELECT count(*) AS n FROM offline_messages WHERE account_id = ?');
  const insert = db.prepare('INSERT INTO offline_messages (account_id, stanza, created_at) VALUES (?, ?, ?)');
  const list = db.prepare('SELECT id, stanza, created_at FROM offline_messages WHERE account_id = ? ORDER BY id');
  const del = db.prepare('DELETE FROM offline_messages WHERE account_id = ? AND id <= ?');
  const add = db.transaction((accountId: number, stanza: string, quota: number): boolean => {
    if ((count.get(accountId) as { n: number }).n >= quota) return false;
    insert.run(accountId, stanza, Date.now());
    return true;
  });
  return {
    /** Stores a stanza; false when the user's quota is full (nothing stored). */
    add(accountId: number, stanza: string, quota: number): boolean {
      return add.immediate(accountId, stanza, quota);
    },
    /** How many messages wait for the user (a sender can check the quota before logging a message). */
    count(accountId: number): number {
      return (count.get(accountId) as { n: number }).n;
    },
    list(accountId: number): OfflineRow[] {
      return (list.all(accountId) as { id: number; stanza: string; created_at: number }[]).map((r) => ({ id: r.id, stanza: r.stanza, createdAt: r.created_at }));
    },
    /** Removes what was delivered (up to and including `lastId`). */
    remove(accountId: number, lastId: number): void {
      del.run(accountId, lastId);
    },
  };
}
export type OfflineStore = ReturnType<typeof createOfflineStore>;
