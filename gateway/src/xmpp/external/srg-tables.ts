// mod_shared_roster's members in ejabberd's SQL database (`db_type: sql`, ejabberd 23.01's
// mod_shared_roster_sql with `new_sql_schema: true`), written by the gateway in bulk.
//
// Why: through the HTTP API every member is one srg_user_add, and ejabberd's cost per call grows with
// the group (it pushes the new member to every member and every member to the new one, bumping each
// one's roster version): a first sync of thousands of users took hours (README "Running IM on an
// ejabberd cluster"). Rows written here cost microseconds each. ejabberd sees them at once because
// the generated configuration turns mod_shared_roster's cache off (`use_cache: false`): every read
// (a roster fetch, a presence's subscription check) asks the database, on every node of a cluster.
// Rows written here push nothing to connected clients: ejabberd-roster.ts writes only large changes
// (the first sync, an import) this way and small ones still through the API, which pushes.
//
// The tables are ejabberd's own (priv/sql/lite.new.sql and sql/pg.new.sql): sr_user(jid, server_host,
// grp) with jid = "user@host" (mod_shared_roster_sql:make_jid_s) and server_host = the group's host.
// Groups (sr_group, whose opts are an Erlang term) stay ejabberd's: srg_create through the API.
//
// SQLite (one node, xmpp.external.archiveDb, in WAL mode): ejabberd's SQLite driver sets no busy
// timeout, so while the gateway holds the write lock an insert of ejabberd's fails at once (see
// `kind`). Writes are chunked into short transactions (CHUNK rows, a few milliseconds each), and made
// only while nobody is connected (ejabberd-roster.ts).
import Database from 'better-sqlite3';
import { archiveDbPath } from './ejabberd-archive.ts';
import { PG_SRG_SCHEMA, SQLITE_SRG_SCHEMA } from './srg-schema.ts';

export interface SrgTables {
  /**
   * 'sqlite': ejabberd's SQLite driver sets no busy timeout, so its insert during one of our write
   * transactions fails — measured: a chat message delivered then is missing from mod_mam's archive
   * (ejabberd logs `database is locked`) and so from the central IM log. ejabberd-roster.ts therefore
   * writes SQLite in bulk only while ejabberd has no session at all.
   */
  kind: 'sqlite' | 'pg';
  /** The group's members (bare addresses, lower case). */
  members(host: string, group: string): Promise<string[]>;
  add(host: string, group: string, jids: string[]): Promise<void>;
  remove(host: string, group: string, jids: string[]): Promise<void>;
  close(): Promise<void>;
}

const CHUNK = 500;

const chunks = <T>(a: T[]) => Array.from({ length: Math.ceil(a.length / CHUNK) }, (_, i) => a.slice(i * CHUNK, (i + 1) * CHUNK));

/** On the single node's SQLite file (xmpp.external.archiveDb); makes the tables if they are missing. */
export function openSqliteSrgTables(file: string): SrgTables {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.exec(SQLITE_SRG_SCHEMA);
  const members = db.prepare('SELECT jid FROM sr_user WHERE server_host = ? AND grp = ?').pluck();
  const insert = db.prepare('INSERT OR IGNORE INTO sr_user (jid, server_host, grp) VALUES (?, ?, ?)');
  const del = db.prepare('DELETE FROM sr_user WHERE jid = ? AND server_host = ? AND grp = ?');
  const write = (stmt: Database.Statement, host: string, group: string, jids: string[]) => {
    for (const part of chunks(jids)) db.transaction(() => part.forEach((j) => stmt.run(j, host, group)))();
  };
  return {
    kind: 'sqlite',
    members: async (host, group) => (members.all(host, group) as string[]).map((j) => j.toLowerCase()),
    add: async (host, group, jids) => write(insert, host, group, jids),
    remove: async (host, group, jids) => write(del, host, group, jids),
    close: async () => void db.close(),
  };
}

/** On a cluster's PostgreSQL database (xmpp.external.archiveUrl); the tables come with `ejabberd config`. */
export async function openPgSrgTables(url: string): Promise<SrgTables> {
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 60_000, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined); // an idle connection dropped: the next query reconnects
  await pool.query(PG_SRG_SCHEMA);
  // One statement per chunk (unnest of an array parameter): 10,000 rows are 20 round trips.
  const write = async (sql: string, host: string, group: string, jids: string[]) => {
    for (const part of chunks(jids)) await pool.query(sql, [part, host, group]);
  };
  return {
    kind: 'pg',
    members: async (host, group) => (await pool.query<{ jid: string }>('SELECT jid FROM sr_user WHERE server_host = $1 AND grp = $2', [host, group])).rows.map((r) => r.jid.toLowerCase()),
    add: (host, group, jids) => write('INSERT INTO sr_user (jid, server_host, grp) SELECT j, $2, $3 FROM unnest($1::text[]) AS j ON CONFLICT DO NOTHING', host, group, jids),
    remove: (host, group, jids) => write('DELETE FROM sr_user WHERE server_host = $2 AND grp = $3 AND jid = ANY($1::text[])', host, group, jids),
    close: () => pool.end(),
  };
}

/** xmpp.external's SQL database for ejabberd (the archive's, which mod_shared_roster shares), the file's path absolute. */
export function externalSql(settings: { dataDir: string; xmpp: { external: { archiveDb?: string; archiveUrl?: string } } }): { archiveDb?: string; archiveUrl?: string } {
  const x = settings.xmpp.external;
  return { ...(x.archiveDb && { archiveDb: archiveDbPath(x.archiveDb, settings.dataDir) }), ...(x.archiveUrl && { archiveUrl: x.archiveUrl }) };
}

/** The tables where the settings put mod_shared_roster (see ejabberd-config.ts), or undefined: Mnesia, API only. */
export async function srgTablesOf(x: { archiveDb?: string; archiveUrl?: string }): Promise<SrgTables | undefined> {
  if (x.archiveUrl) return openPgSrgTables(x.archiveUrl);
  if (x.archiveDb) return openSqliteSrgTables(x.archiveDb);
  return undefined;
}
