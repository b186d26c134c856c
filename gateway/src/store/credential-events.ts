// The credential journal: one row for every change that ends a credential (a device signed out,
// a password changed, an account removed, IM switched off for a domain), written in the same
// transaction as the change itself (directory/credentials.ts). The server reads the rows above
// the last one it saw and ends whatever live thing used the credential — whichever process
// (this one, or the CLI on the same data folder) made the change. AUTOINCREMENT: an id is never
// used twice, even after the newest rows were pruned, so "above the last seen id" stays true.
import type { Db } from './db.ts';

/** What ended: one device token, all of an account's, its password, the account, a domain's IM. */
export type CredentialEnds = 'device' | 'devices' | 'password' | 'account' | 'domain-im';
/** Why, in the words the holders show (the stream error text, the close reason). */
export type CredentialReason = 'signed-out' | 'password-changed' | 'account-removed' | 'im-off';

export interface CredentialEventRow {
  id: number;
  ends: CredentialEnds;
  reason: CredentialReason;
  accountId: number | null;
  deviceId: number | null;
  domain: string | null;
  createdAt: number;
}

interface Raw {
  id: number;
  ends: CredentialEnds;
  reason: CredentialReason;
  account_id: number | null;
  device_id: number | null;
  domain: string | null;
  created_at: number;
}

/** Rows are kept this long: the server reads them within a second; a day is room for a paused process. */
export const CREDENTIAL_EVENT_KEEP_MS = 24 * 3600_000;

export function createCredentialEventStore(db: Db) {
  const insert = db.prepare('INSERT INTO credential_events (ends, reason, account_id, device_id, domain, created_at) VALUES (?, ?, ?, ?, ?, ?)');
  const after = db.prepare('SELECT * FROM credential_events WHERE id > ? ORDER BY id LIMIT 1000');
  const last = db.prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'credential_events'), 0) AS id");
  const prune = db.prepare('DELETE FROM credential_events WHERE created_at < ?');
  return {
    /** Call inside the transaction of the change it records. Old rows are pruned on the way. */
    append(e: Omit<CredentialEventRow, 'id' | 'createdAt'>, now = Date.now()): void {
      prune.run(now - CREDENTIAL_EVENT_KEEP_MS);
      insert.run(e.ends, e.reason, e.accountId, e.deviceId, e.domain, now);
    },
    /** Rows above `id`, oldest first (at most 1000 at a time). */
    after(id: number): CredentialEventRow[] {
      return (after.all(id) as Raw[]).map((r) => ({
        id: r.id,
        ends: r.ends,
        reason: r.reason,
        accountId: r.account_id,
        deviceId: r.device_id,
        domain: r.domain,
        createdAt: r.created_at,
      }));
    },
    /** The highest id ever written (0 for none): a server starts reading above it. */
    lastId(): number {
      return (last.get() as { id: number }).id;
    },
  };
}
export type CredentialEventStore = ReturnType<typeof createCredentialEventStore>;
