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
  updatedAt: number;
}

interface Raw {
  id: number;
  address: string;
  local: string;
  domain: string;
  display_name: string;
  password_hash: string | null;
  updated_at: number;
}
const toRow = (r: Raw): AccountRow => ({
  id: r.id,
  address: r.address,
  local: r.local,
  domain: r.domain,
  displayName: r.display_name,
  passwordHash: r.password_hash,
  updatedAt: r.updated_at,
});
const COLS = 'id, address, local, domain, display_name, password_hash, updated_at';

export function createAccountStore(db: Db) {
  const insert = db.prepare(
    'INSERT INTO accounts (address, local, domain, display_name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const byAddress = db.prepare(`SELECT ${COLS} FROM accounts WHERE address = ?`);
  const byId = db.prepare(`SELECT ${COLS} FROM accounts WHERE id = ?`);
  const all = db.prepare(`SELECT ${COLS} FROM accounts ORDER BY domain, local`);
  const inDomain = db.prepare(`SELECT ${COLS} FROM accounts WHERE domain = ? ORDER BY local`);
  const del = db.prepare('DELETE FROM accounts WHERE address = ?');
  const setHash = db.prepare('UPDATE accounts SET password_hash = ?, updated_at = ? WHERE address = ?');
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
    setPasswordHash(address: string, hash: string | null): boolean {
      return setHash.run(hash, Date.now(), address).changes === 1;
    },
  };
}
export type AccountStore = ReturnType<typeof createAccountStore>;
