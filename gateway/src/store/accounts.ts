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
  /** May use the admin console (admin/admins.ts). */
  isAdmin: boolean;
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
  is_admin: number;
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
  isAdmin: r.is_admin === 1,
});
const COLS = 'id, address, local, domain, display_name, password_hash, scram_sha1, scram_sha256, updated_at, is_admin';
/** LIKE's wildcards in what a person typed are meant literally. */
const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createAccountStore(db: Db) {
  const insert = db.prepare(
    'INSERT INTO accounts (address, local, domain, display_name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const byAddress = db.prepare(`SELECT ${COLS} FROM accounts WHERE address = ?`);
  const byId = db.prepare(`SELECT ${COLS} FROM accounts WHERE id = ?`);
  const all = db.prepare(`SELECT ${COLS} FROM accounts ORDER BY domain, local`);
  const inDomain = db.prepare(`SELECT ${COLS} FROM accounts WHERE domain = ? ORDER BY local`);
  const del = db.prepare('DELETE FROM accounts WHERE address = ?');
  const setAdmin = db.prepare('UPDATE accounts SET is_admin = ?, updated_at = ? WHERE address = ?');
  const admins = db.prepare(`SELECT ${COLS} FROM accounts WHERE is_admin = 1 ORDER BY address`);
  // Prefix matches served by the NOCASE indexes (db.ts): the address, or the display name; the
  // two index range scans are merged by SQLite (MULTI-INDEX OR), no table scan at any size.
  const MATCH = `(address LIKE @q ESCAPE '\\' OR display_name LIKE @q ESCAPE '\\')`;
  const searchPage = db.prepare(`SELECT ${COLS} FROM accounts WHERE ${MATCH} ORDER BY address COLLATE NOCASE LIMIT @limit OFFSET @offset`);
  const searchCount = db.prepare(`SELECT count(*) AS n FROM accounts WHERE ${MATCH}`);
  const page = db.prepare(`SELECT ${COLS} FROM accounts ORDER BY address COLLATE NOCASE LIMIT @limit OFFSET @offset`);
  const count = db.prepare('SELECT count(*) AS n FROM accounts');
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
    /**
     * One page of accounts whose address or display name starts with `text` (case-insensitive),
     * or all of them; `total` counts every match.
     */
    search(text: string, limit: number, offset: number): { rows: AccountRow[]; total: number } {
      const t = text.trim();
      if (!t) return { rows: (page.all({ limit, offset }) as Raw[]).map(toRow), total: (count.get() as { n: number }).n };
      // "smith" finds "John Smith" only by the start of the name: a substring search cannot use an index.
      const args = { q: likePrefix(t) };
      return { rows: (searchPage.all({ ...args, limit, offset }) as Raw[]).map(toRow), total: (searchCount.get(args) as { n: number }).n };
    },
    setAdmin(address: string, on: boolean): boolean {
      return setAdmin.run(on ? 1 : 0, Date.now(), address).changes === 1;
    },
    admins(): AccountRow[] {
      return (admins.all() as Raw[]).map(toRow);
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
