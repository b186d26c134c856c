// ejabberd's message archive on PostgreSQL (xmpp.external.archiveUrl): mod_mam with `db_type: sql`,
// `sql_type: pgsql`, `new_sql_schema: true` (ejabberd 23.01), shared by every node of a cluster —
// which one SQLite file cannot be (README "The central IM log from ejabberd": 'database is locked',
// rows lost with two nodes).
//
// createPgArchiveSchema() makes the two tables mod_mam uses, as ejabberd's sql/pg.new.sql has them
// (Debian's package ships only the SQLite files, and ejabberd 23.01 does not create tables itself),
// plus a unique index on `id` that pg.new.sql lacks: the gateway reads the archive by id.
//
// openPgArchive() is the gateway's reader: a pool of one connection, parameterised queries. Unlike
// SQLite's, PostgreSQL's ids can become visible OUT OF ORDER (a transaction that took id 101 from
// the sequence may commit after the one that took 102), so `id > cursor` alone could pass 101 for
// good: pg-archive-tail.ts deals with that.
// pg is loaded on first use: only a cluster's gateway (xmpp.external.archiveUrl) needs it, and
// loaded at start it cost every other gateway's RSS at rest (issue 12).
const loadPg = async () => (await import('pg')).default;
import type { MamRow } from './mam-row.ts';
import { PG_SRG_SCHEMA } from './srg-schema.ts';

export const PG_ARCHIVE_SCHEMA = `
CREATE TABLE IF NOT EXISTS archive (
    username text NOT NULL,
    server_host text NOT NULL,
    timestamp BIGINT NOT NULL,
    peer text NOT NULL,
    bare_peer text NOT NULL,
    xml text NOT NULL,
    txt text,
    id BIGSERIAL,
    kind text,
    nick text,
    created_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS i_archive_sh_username_timestamp ON archive USING btree (server_host, username, timestamp);
CREATE INDEX IF NOT EXISTS i_archive_sh_username_peer ON archive USING btree (server_host, username, peer);
CREATE INDEX IF NOT EXISTS i_archive_sh_username_bare_peer ON archive USING btree (server_host, username, bare_peer);
CREATE INDEX IF NOT EXISTS i_archive_sh_timestamp ON archive USING btree (server_host, timestamp);
CREATE UNIQUE INDEX IF NOT EXISTS i_archive_id_herald ON archive USING btree (id);
CREATE TABLE IF NOT EXISTS archive_prefs (
    username text NOT NULL,
    server_host text NOT NULL,
    def text NOT NULL,
    always text NOT NULL,
    never text NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    PRIMARY KEY (server_host, username)
);
`;

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** The parts ejabberd's sql_* options need, from a postgres:// URL. */
export function pgUrlParts(url: string): { server: string; port: number; database: string; username: string; password: string } {
  const u = new URL(url);
  return {
    server: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 5432,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

/** Makes mod_mam's and mod_shared_roster's tables and indexes if they are missing (idempotent: IF NOT EXISTS). */
export async function createPgArchiveSchema(url: string): Promise<void> {
  const pg = await loadPg();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(PG_ARCHIVE_SCHEMA + PG_SRG_SCHEMA); // with mod_shared_roster's tables (srg-schema.ts)
  } finally {
    await client.end();
  }
}

export interface PgArchiveReader {
  /** Up to `limit` rows with id > `after`, in id order. */
  after(after: number, limit: number): Promise<MamRow[]>;
  /** Every row with `after` < id ≤ `upto`, in id order. */
  between(after: number, upto: number): Promise<MamRow[]>;
  /** The highest id in the table (0 when none). */
  maxId(): Promise<number>;
  close(): Promise<void>;
}

const COLUMNS = 'id, username, server_host, timestamp, peer, xml, kind, nick';
// BIGINT comes back as a string from pg: ids and microsecond timestamps fit a double (< 2^53).
const toRow = (r: Record<string, unknown>): MamRow => ({ ...(r as unknown as MamRow), id: Number(r.id), timestamp: Number(r.timestamp) });

export function openPgArchive(url: string): PgArchiveReader {
  const pool = loadPg().then((pg) => {
    const p = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 60_000, connectionTimeoutMillis: 10_000 });
    // An idle connection dropped by the server is an error event on the pool: the next query reconnects.
    p.on('error', () => undefined);
    return p;
  });
  const query = async (sql: string, params: unknown[] = []) => (await (await pool).query(sql, params)).rows as Record<string, unknown>[];
  return {
    after: async (a, limit) => (await query(`SELECT ${COLUMNS} FROM archive WHERE id > $1 ORDER BY id LIMIT $2`, [a, limit])).map(toRow),
    between: async (a, upto) => (await query(`SELECT ${COLUMNS} FROM archive WHERE id > $1 AND id <= $2 ORDER BY id`, [a, upto])).map(toRow),
    maxId: async () => Number((await query('SELECT coalesce(max(id), 0) AS m FROM archive'))[0]?.m ?? 0),
    close: async () => (await pool).end(),
  };
}
