// Stable uids for Maildir messages (Maildir has none of its own; Dovecot keeps dovecot-uidlist
// for the same reason). Keyed by the file's unique name, the part before ":2,".
import type { Db } from './db.ts';

export function createMaildirUidStore(db: Db) {
  const all = db.prepare('SELECT key, uid FROM maildir_uids WHERE account_id = ? AND folder = ?');
  const insert = db.prepare('INSERT OR IGNORE INTO maildir_uids (account_id, folder, key, uid) VALUES (?, ?, ?, ?)');
  const del = db.prepare('DELETE FROM maildir_uids WHERE account_id = ? AND folder = ? AND key = ?');
  const delFolder = db.prepare('DELETE FROM maildir_uids WHERE account_id = ? AND folder = ?');
  const apply = db.transaction(
    (accountId: number, folder: string, added: [string, number][], removed: string[], after: () => void) => {
      for (const [key, uid] of added) insert.run(accountId, folder, key, uid);
      for (const key of removed) del.run(accountId, folder, key);
      after();
    },
  );
  return {
    load(accountId: number, folder: string): Map<string, number> {
      const map = new Map<string, number>();
      for (const r of all.iterate(accountId, folder) as Iterable<{ key: string; uid: number }>) map.set(r.key, r.uid);
      return map;
    },
    /** Records added and removed keys, and runs `after` (the folder_state update) in the same transaction. */
    apply(accountId: number, folder: string, added: [string, number][], removed: string[], after: () => void = () => {}): void {
      apply(accountId, folder, added, removed, after);
    },
    dropFolder(accountId: number, folder: string): void {
      delFolder.run(accountId, folder);
    },
  };
}
export type MaildirUidStore = ReturnType<typeof createMaildirUidStore>;
