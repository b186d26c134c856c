// Opens the gateway's SQLite database (better-sqlite3) and migrates it. WAL mode lets the
// CLI write while `serve` runs on the same data folder; `dataVersion()` tells the server
// that another process committed (PRAGMA data_version), so changes apply without restart.
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

const MIGRATIONS: string[] = [
  `
  CREATE TABLE domains (
    name TEXT PRIMARY KEY,
    im_enabled INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    local TEXT NOT NULL,
    domain TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX accounts_domain ON accounts(domain);
  CREATE TABLE device_tokens (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    hash BLOB NOT NULL UNIQUE,
    label TEXT,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
  );
  CREATE TABLE enroll_tokens (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    revoked_at INTEGER
  );
  CREATE TABLE folder_state (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    next_uid INTEGER NOT NULL DEFAULT 1,
    alerted_uid INTEGER NOT NULL DEFAULT 0,
    acked_uid INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, folder)
  ) WITHOUT ROWID;
  CREATE TABLE maildir_uids (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    folder TEXT NOT NULL,
    key TEXT NOT NULL,
    uid INTEGER NOT NULL,
    PRIMARY KEY (account_id, folder, key)
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE offline_messages (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    stanza TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX offline_messages_account ON offline_messages(account_id, id);
  `,
  `
  ALTER TABLE accounts ADD COLUMN scram_sha1 TEXT;
  ALTER TABLE accounts ADD COLUMN scram_sha256 TEXT;
  `,
  `
  CREATE TABLE muc_rooms (
    jid TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    members_only INTEGER NOT NULL DEFAULT 0,
    public INTEGER NOT NULL DEFAULT 1,
    change_subject INTEGER NOT NULL DEFAULT 0,
    max_history INTEGER NOT NULL DEFAULT 20,
    subject TEXT NOT NULL DEFAULT '',
    subject_by TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
  );
  CREATE TABLE muc_affiliations (
    room TEXT NOT NULL REFERENCES muc_rooms(jid) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    affiliation TEXT NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast')),
    PRIMARY KEY (room, jid)
  ) WITHOUT ROWID;
  CREATE TABLE muc_history (
    id INTEGER PRIMARY KEY,
    room TEXT NOT NULL REFERENCES muc_rooms(jid) ON DELETE CASCADE,
    stanza TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX muc_history_room ON muc_history(room, id);
  `,
  `
  CREATE TABLE archive (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    peer TEXT NOT NULL,
    stanza TEXT NOT NULL
  );
  CREATE INDEX archive_owner ON archive(owner);
  CREATE INDEX archive_owner_peer ON archive(owner, peer);
  CREATE INDEX archive_peer ON archive(peer);
  `,
  `
  CREATE TABLE upload_slots (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    filename TEXT NOT NULL,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    uploaded_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX upload_slots_owner ON upload_slots(owner, uploaded_at);
  CREATE INDEX upload_slots_uploaded ON upload_slots(uploaded_at);
  `,
  `
  CREATE TABLE domain_links (
    a TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
    b TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
  ) WITHOUT ROWID;
  CREATE INDEX domain_links_b ON domain_links(b);
  CREATE TABLE roster_items (
    owner_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    in_roster INTEGER NOT NULL DEFAULT 0,
    hidden INTEGER NOT NULL DEFAULT 0,
    name TEXT,
    groups TEXT,
    sub_to INTEGER NOT NULL DEFAULT 0,
    sub_from INTEGER NOT NULL DEFAULT 0,
    ask_out INTEGER NOT NULL DEFAULT 0,
    pending_in TEXT,
    PRIMARY KEY (owner_id, jid)
  ) WITHOUT ROWID;
  CREATE INDEX roster_items_jid ON roster_items(jid);
  `,
  `
  CREATE TABLE spool_journal (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('live', 'offline')),
    delivered_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE spool_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    log_day TEXT NOT NULL,
    log_offset INTEGER NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    last_delivered_at INTEGER,
    problem TEXT,
    updated_at INTEGER NOT NULL
  );
  `,
  `
  CREATE TABLE alert_rules (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    rules TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE alert_watch (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    since INTEGER NOT NULL
  );
  `,
  `
  CREATE TABLE calendar_reminders (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    recurrence_id INTEGER NOT NULL,
    trigger_at INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'late', 'skipped', 'failed')),
    done_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, uid, recurrence_id, trigger_at)
  ) WITHOUT ROWID;
  CREATE INDEX calendar_reminders_trigger ON calendar_reminders(trigger_at);
  `,
  `
  CREATE TABLE credential_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ends TEXT NOT NULL CHECK (ends IN ('device', 'devices', 'password', 'account', 'domain-im')),
    reason TEXT NOT NULL CHECK (reason IN ('signed-out', 'password-changed', 'account-removed', 'im-off')),
    account_id INTEGER,
    device_id INTEGER,
    domain TEXT,
    created_at INTEGER NOT NULL
  );
  ALTER TABLE upload_slots ADD COLUMN account_id INTEGER;
  ALTER TABLE upload_slots ADD COLUMN device_id INTEGER;
  ALTER TABLE upload_slots ADD COLUMN revoked_at INTEGER;
  `,
  // Failed-login counters and the addresses an account signed in from (directory/login-guard.ts).
  `
  CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    account TEXT,
    failures INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    next_at INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX login_throttle_account ON login_throttle(account);
  CREATE INDEX login_throttle_window ON login_throttle(window_start);
  CREATE TABLE login_familiar (
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    last_ok INTEGER NOT NULL,
    PRIMARY KEY (account, client)
  ) WITHOUT ROWID;
  `,
  // PEP (XEP-0163): each user's personal pubsub nodes and their items (store/pep.ts), and
  // private XML storage (XEP-0049) for namespaces that are not bookmarks.
  `
  CREATE TABLE pep_nodes (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    node TEXT NOT NULL,
    access_model TEXT NOT NULL,
    persist_items INTEGER NOT NULL,
    max_items INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, node)
  ) WITHOUT ROWID;
  CREATE TABLE pep_items (
    seq INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    node TEXT NOT NULL,
    item_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    UNIQUE (account_id, node, item_id),
    FOREIGN KEY (account_id, node) REFERENCES pep_nodes(account_id, node) ON DELETE CASCADE
  );
  CREATE TABLE private_xml (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    ns TEXT NOT NULL,
    xml TEXT NOT NULL,
    PRIMARY KEY (account_id, ns)
  ) WITHOUT ROWID;
  `,
  // Blocking Command (XEP-0191): each user's blocklist, JIDs as the client gave them (normalised).
  `
  CREATE TABLE blocklist (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, jid)
  ) WITHOUT ROWID;
  `,
  // The platform a device token was issued to (`token list`, the admin console's devices).
  `
  ALTER TABLE device_tokens ADD COLUMN platform TEXT;
  `,
  // Admin console (gateway/src/admin/): the admin flag, the users page's search (prefix LIKE on
  // NOCASE indexes: SQLite's LIKE is case-insensitive, so only a NOCASE index serves it), and each
  // admin's TOTP secret (RFC 6238) — kept apart from the account row so no query of accounts, and
  // so no log line of one, ever carries it.
  `
  ALTER TABLE accounts ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX accounts_address_nocase ON accounts(address COLLATE NOCASE);
  CREATE INDEX accounts_name_nocase ON accounts(display_name COLLATE NOCASE);
  CREATE INDEX accounts_admin ON accounts(is_admin) WHERE is_admin = 1;
  CREATE TABLE admin_totp (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    last_step INTEGER NOT NULL DEFAULT 0,
    enrolled_at INTEGER NOT NULL
  );
  `,
  // Desktop updates per domain (provisioning/update-feed.ts): off | notify | automatic.
  `
  ALTER TABLE domains ADD COLUMN updates TEXT NOT NULL DEFAULT 'notify' CHECK (updates IN ('off', 'notify', 'automatic'));
  `,
  // Edited in the admin console: the admin's alert rules (one row; while it exists it overrides
  // im.alerts.rules of the config file) and a domain's own webmail URL template (NULL: the config's).
  `
  CREATE TABLE admin_alert_rules (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    rules TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  ALTER TABLE domains ADD COLUMN webmail_url TEXT;
  `,
  // The address a device token was last used from (the admin console's devices, `token list`):
  // written with last_used_at, at most once a minute per device or when the address changes.
  `
  ALTER TABLE device_tokens ADD COLUMN last_address TEXT;
  `,
  // A feed into the central IM log from another server's archive (xmpp.mode=external: ejabberd's
  // mod_mam table; im/im-log-feed.ts): the last archive id logged, and while a batch is being
  // written, its last id and the log files' sizes before it (so a restart tells written from not).
  `
  CREATE TABLE im_log_feed (
    source TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL,
    pending_upto INTEGER,
    pending_sizes TEXT,
    updated_at INTEGER NOT NULL
  );
  `,
];

export function openDb(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'herald.db');
  // Password hashes, SCRAM keys and message archives: made 0600 before SQLite opens it, because
  // SQLite gives the -wal and -shm files the database file's own mode (os_unix.c findCreateFileMode).
  closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`database schema version ${version} is newer than this gateway (${MIGRATIONS.length}); upgrade Herald`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** Changes whenever another connection (the CLI) commits to the database. */
export function dataVersion(db: Db): number {
  return db.pragma('data_version', { simple: true }) as number;
}
