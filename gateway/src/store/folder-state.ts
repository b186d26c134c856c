// Per user and folder: UIDVALIDITY, the next maildir uid, the highest uid already alerted
// (so a restart never alerts twice) and the acknowledged watermark behind `new`.
import type { Db } from './db.ts';

export interface FolderStateRow {
  folder: string;
  uidValidity: number;
  nextUid: number;
  alertedUid: number;
  ackedUid: number;
}

export function createFolderStateStore(db: Db) {
  const get = db.prepare(
    'SELECT folder, uidvalidity, next_uid, alerted_uid, acked_uid FROM folder_state WHERE account_id = ? AND folder = ?',
  );
  const all = db.prepare('SELECT folder, uidvalidity, next_uid, alerted_uid, acked_uid FROM folder_state WHERE account_id = ?');
  const upsert = db.prepare(`INSERT INTO folder_state (account_id, folder, uidvalidity, next_uid, alerted_uid, acked_uid)
    VALUES (@accountId, @folder, @uidValidity, @nextUid, @alertedUid, @ackedUid)
    ON CONFLICT (account_id, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, next_uid = excluded.next_uid,
      alerted_uid = excluded.alerted_uid, acked_uid = excluded.acked_uid`);
  const setAlerted = db.prepare(
    'UPDATE folder_state SET alerted_uid = max(alerted_uid, ?) WHERE account_id = ? AND folder = ?',
  );
  const setAcked = db.prepare('UPDATE folder_state SET acked_uid = max(acked_uid, ?) WHERE account_id = ? AND folder = ?');
  const del = db.prepare('DELETE FROM folder_state WHERE account_id = ? AND folder = ?');
  type Raw = { folder: string; uidvalidity: number; next_uid: number; alerted_uid: number; acked_uid: number };
  const toRow = (r: Raw): FolderStateRow => ({
    folder: r.folder,
    uidValidity: r.uidvalidity,
    nextUid: r.next_uid,
    alertedUid: r.alerted_uid,
    ackedUid: r.acked_uid,
  });
  return {
    get(accountId: number, folder: string): FolderStateRow | undefined {
      const r = get.get(accountId, folder) as Raw | undefined;
      return r && toRow(r);
    },
    all(accountId: number): FolderStateRow[] {
      return (all.all(accountId) as Raw[]).map(toRow);
    },
    put(accountId: number, row: FolderStateRow): void {
      upsert.run({ accountId, ...row });
    },
    markAlerted(accountId: number, folder: string, uid: number): void {
      setAlerted.run(uid, accountId, folder);
    },
    /** Advances (never lowers) the acknowledged watermark. */
    markAcked(accountId: number, folder: string, uid: number): void {
      setAcked.run(uid, accountId, folder);
    },
    remove(accountId: number, folder: string): void {
      del.run(accountId, folder);
    },
  };
}
export type FolderStateStore = ReturnType<typeof createFolderStateStore>;
