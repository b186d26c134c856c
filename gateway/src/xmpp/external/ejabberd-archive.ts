// ejabberd's message archive as an SQLite file (xmpp.external.archiveDb): mod_mam with
// `db_type: sql`, `sql_type: sqlite`, `new_sql_schema: true` (ejabberd 23.01).
//
// createArchiveDb() makes the file before ejabberd first opens it, with the two tables mod_mam uses
// (`archive`, `archive_prefs`: ejabberd's priv/sql/lite.new.sql, unchanged), mod_shared_roster's two
// (srg-schema.ts) and in WAL mode. ejabberd
// would make it itself, but in rollback-journal mode, where a reader holds a shared lock that makes
// ejabberd's next write fail with SQLITE_BUSY — and mod_mam delivers a message whose archiving failed,
// so it would be missing from the central IM log. journal_mode=WAL is stored in the file, so
// ejabberd (which never sets it) works in WAL too, and readers never block it (sqlite.org/wal.html).
//
// openArchive() is the gateway's read-only view: the rows after an id, in id order. With SQLite the
// writers are serialized, so an id is only ever visible after every smaller one (no gaps that fill
// later, as a PostgreSQL sequence could have).
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import type { MamRow } from './mam-row.ts';
import { SQLITE_SRG_SCHEMA } from './srg-schema.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS archive (
    username text NOT NULL,
    server_host text NOT NULL,
    timestamp BIGINT UNSIGNED NOT NULL,
    peer text NOT NULL,
    bare_peer text NOT NULL,
    xml text NOT NULL,
    txt text,
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind text,
    nick text,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS i_archive_sh_username_timestamp ON archive (server_host, username, timestamp);
CREATE INDEX IF NOT EXISTS i_archive_sh_username_peer ON archive (server_host, username, peer);
CREATE INDEX IF NOT EXISTS i_archive_sh_username_bare_peer ON archive (server_host, username, bare_peer);
CREATE INDEX IF NOT EXISTS i_archive_sh_timestamp ON archive (server_host, timestamp);
CREATE TABLE IF NOT EXISTS archive_prefs (
    username text NOT NULL,
    server_host text NOT NULL,
    def text NOT NULL,
    always text NOT NULL,
    never text NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (server_host, username)
);
`;

/** The archive file from its setting (`%data%` = the data folder), absolute. */
export const archiveDbPath = (setting: string, dataDir: string) => path.resolve(setting.replaceAll('%data%', dataDir));

/** Makes the archive file (WAL, mod_mam's tables) if it does not exist; says whether it did. */
export function createArchiveDb(file: string): boolean {
  if (existsSync(file)) return false;
  // Group-writable: ejabberd's nodes (their own user) write it, the gateway reads it.
  closeSync(openSync(file, 'a', 0o660));
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    db.exec(SQLITE_SRG_SCHEMA); // mod_shared_roster's tables (srg-schema.ts)
  } finally {
    db.close();
  }
  return true;
}

export interface ArchiveReader {
  /** Up to `limit` rows with id > `after`, in id order. */
  after(after: number, limit: number): MamRow[];
  /** Every row with `after` < id ≤ `upto`, in id order. */
  between(after: number, upto: number): MamRow[];
  /** The highest id ever given (sqlite_sequence; 0 when none). */
  maxId(): number;
  /** `wal`, or `delete` etc. when ejabberd made the file itself (see createArchiveDb). */
  journalMode(): string;
  close(): void;
}

const COLUMNS = 'id, username, server_host, timestamp, peer, xml, kind, nick';

export function openArchive(file: string): ArchiveReader {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const after = db.prepare(`SELECT ${COLUMNS} FROM archive WHERE id > ? ORDER BY id LIMIT ?`);
  const between = db.prepare(`SELECT ${COLUMNS} FROM archive WHERE id > ? AND id <= ? ORDER BY id`);
  const max = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'archive'`).pluck();
  return {
    after: (a, limit) => after.all(a, limit) as MamRow[],
    between: (a, upto) => between.all(a, upto) as MamRow[],
    maxId: () => (max.get() as number | undefined) ?? 0,
    journalMode: () => String(db.pragma('journal_mode', { simple: true })),
    close: () => db.close(),
  };
}
