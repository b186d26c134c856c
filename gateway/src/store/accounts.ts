// User accounts (`local@domain`). password_hash is null for accounts whose password lives
// elsewhere (imap directory backend).
import type { Db } from './db.ts';

export interface AccountRow {
  id: number;
  address: string;
  local: string;
  domain: string;
  displayName: string;
  passwordHash: string | null;
  /** SCRAM stored keys (directory/scram.ts format), null when the password is not ours. */
  scramSha1: string | null;
  scramSha256: string | null;
  updatedAt: number;
}

interface Raw {
  id: number;
  address: string;
  local: string;
  domain: string;
  display_name: string;
  password_hash: string | null;
  scram_sha1: string | null;
  scram_sha256: string | null;
  updated_at: number;
}
const toRow = (r: Raw): AccountRow => ({
  id: r.id,
  address: r.address,
  local: r.local,
  domain: r.domain,
  displayName: r.display_name,
  passwordHash: r.password_hash,
  scramSha1: r.scram_sha1,
  scramSha256: r.scram_sha256,
  updatedAt: r.updated_at,
});
const COLS = 'id, address, local, domain, display_name, password_hash, scram_sha1, scram_sha256, updated_at';

export function createAccountStore(db: Db) {
  const insert = db.prepare(
    'INSERT INTO accounts (address, local, domain, display_name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const byAddress = db.prepare(`SELECT ${COLS} FROM accounts WHERE address = ?`);
  const byId = db.prepare(`SELECT ${COLS} FROM accounts WHERE id = ?`);
  const all = db.prepare(`SELECT ${COLS} FROM accounts ORDER BY domain, local`);
  const inDomain = db.prepare(`SELECT ${COLS} FROM accounts WHERE domain = ? ORDER BY local`);
  const del = db.prepare('DELETE FROM accounts WHERE address = ?');
  const setHash = db.prepare('UPDATE accounts SET password_hash = ?, scram_sha1 = ?, scram_sha256 = ?, updated_at = ? WHERE address = ?');
  return {
    add(a: { address: string; local: string; domain: string; displayName: string; passwordHash: string | null }): AccountRow {
      const now = Date.now();
      const info = insert.run(a.address, a.local, a.domain, a.displayName, a.passwordHash, now, now);
      return toRow(byId.get(info.lastInsertRowid) as Raw);
    },
    byAddress(address: string): AccountRow | undefined {
      const r = byAddress.get(address) as Raw | undefined;
      return r && toRow(r);
    },
    byId(id: number): AccountRow | undefined {
      const r = byId.get(id) as Raw | undefined;
      return r && toRow(r);
    },
    list(domain?: string): AccountRow[] {
      return ((domain ? inDomain.all(domain) : all.all()) as Raw[]).map(toRow);
    },
    remove(address: string): boolean {
      return del.run(address).changes === 1;
    },
    /** Sets the password's scrypt hash and its SCRAM keys together (or clears all three). */
    setPasswordHash(address: string, hash: string | null, scram: { sha1: string; sha256: string } | null = null): boolean {
      return setHash.run(hash, scram?.sha1 ?? null, scram?.sha256 ?? null, Date.now(), address).changes === 1;
    },
  };
}
export type AccountStore = ReturnType<typeof createAccountStore>;
