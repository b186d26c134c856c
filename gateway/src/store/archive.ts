// Message archives (XEP-0313 MAM): the stanzas users exchanged, kept for `xmpp.archiveDays`.
//
// One row per archived message, visible in every archive it belongs to:
//   - a 1:1 message is ONE row, owner = the sender's bare JID, peer = the recipient's bare JID; it
//     is in both users' archives (owner = U, or peer = U), so it is written and stored once;
//   - a room message (MUC) is one row with owner = the room's JID and peer = the sender's
//     occupant JID (room@service/nick). It must never be a bare JID: a row whose peer is a user's
//     bare JID is in that user's personal archive. `with` on a room archive matches the peer.
// The row id is the archive id: the time the server received the message in microseconds since
// the epoch, made strictly increasing (nextId) — unique, never reused, chronological (XEP-0313
// §4.2 and §5.2) — so start/end and paging are rowid ranges and retention is a rowid-range
// delete. The only indexes are (owner), (owner, peer) and (peer), each ordered by rowid (SQLite
// appends it to every index entry): every query page is an index range scan.
import type Database from 'better-sqlite3';
import type { Db } from './db.ts';

export interface ArchiveRow {
  /** The archive id (µs since the epoch); clients see it as a decimal string. */
  id: number;
  owner: string;
  peer: string;
  /** The message as it was received, serialized. */
  stanza: string;
}

/** A message to archive with the time it was received (ms since the epoch) instead of an id. */
export interface ReceivedRow {
  at: number;
  owner: string;
  peer: string;
  stanza: string;
}

/** What a query selects (paging bounds come on top of it; `count` is of this). */
export interface ArchiveFilter {
  /** The archive: a user's bare JID or a room's JID. */
  archive: string;
  /** Only messages with this peer (exact match: a bare JID in a personal archive). */
  with?: string;
  /** Received at or after / at or before (ms since the epoch). */
  start?: number;
  end?: number;
  /** Exclusive id bounds: XEP-0313 after-id / before-id. */
  after?: number;
  before?: number;
  /** Only these ids. */
  ids?: number[];
}

export interface ArchivePage {
  /** Oldest first. */
  rows: ArchiveRow[];
  /** More rows match beyond the page in the direction of paging. */
  more: boolean;
}

/** When an archived message was received (ms since the epoch). */
export const archivedAt = (id: number) => Math.floor(id / 1000);
/** The first archive id of millisecond `ms` (imports, tests: rows received then). */
export const archiveIdAt = (ms: number) => ms * 1000;
/** An archive id as clients send it back, or undefined when it cannot be one. */
export const parseArchiveId = (s: string): number | undefined => (/^\d{1,16}$/.test(s) ? Number(s) : undefined);

/** Rows deleted per statement when purging, so a big purge never holds the write lock for long. */
const PURGE_BATCH = 5000;
const COLS = 'id, owner, peer, stanza';

interface Branch {
  where: string;
  params: (string | number)[];
}

/** The filter as one or two index-friendly branches (never an OR across two indexes). */
function branches(f: ArchiveFilter, paging: { after?: number; before?: number }): Branch[] {
  const a = f.archive;
  let parts: Branch[];
  if (f.with === undefined) {
    // Sent (or a room's own rows) + received; a message to oneself is only in the first.
    parts = [
      { where: 'owner = ?', params: [a] },
      { where: 'peer = ? AND owner <> ?', params: [a, a] },
    ];
  } else if (f.with === a) {
    parts = [{ where: 'owner = ? AND peer = ?', params: [a, a] }];
  } else {
    parts = [
      { where: 'owner = ? AND peer = ?', params: [a, f.with] },
      { where: 'owner = ? AND peer = ?', params: [f.with, a] },
    ];
  }
  const lo = Math.max(f.after ?? -1, paging.after ?? -1, f.start === undefined ? -1 : archiveIdAt(f.start) - 1);
  const hi = Math.min(f.before ?? Infinity, paging.before ?? Infinity, f.end === undefined ? Infinity : archiveIdAt(f.end + 1));
  const extra: string[] = [];
  const params: number[] = [];
  const and = (cond: string, ...values: number[]) => {
    extra.push(cond);
    params.push(...values);
  };
  if (lo >= 0) and('id > ?', lo);
  if (hi !== Infinity) and('id < ?', hi);
  if (f.ids) and(`id IN (${f.ids.map(() => '?').join(', ') || 'NULL'})`, ...f.ids);
  return parts.map((p) => ({ where: [p.where, ...extra].join(' AND '), params: [...p.params, ...params] }));
}

export function createArchiveStore(db: Db) {
  const insert = db.prepare('INSERT INTO archive (id, owner, peer, stanza) VALUES (@id, @owner, @peer, @stanza)');
  const insertMany = db.transaction((rows: ArchiveRow[]) => {
    for (const r of rows) insert.run(r);
  });
  const maxId = db.prepare('SELECT max(id) AS id FROM archive');
  const idTaken = db.prepare('SELECT 1 FROM archive WHERE id = ?');
  const inArchive = db.prepare('SELECT 1 FROM archive WHERE id = ? AND (owner = ? OR peer = ?)');
  const purgeBatch = db.prepare(`DELETE FROM archive WHERE id IN (SELECT id FROM archive WHERE id < ? ORDER BY id LIMIT ${PURGE_BATCH})`);
  const clearBatch = db.prepare(`DELETE FROM archive WHERE id IN (SELECT id FROM archive WHERE owner = ? LIMIT ${PURGE_BATCH})`);
  // Queries differ in which filters they use: one prepared statement per shape, made on first use.
  const statements = new Map<string, Database.Statement<unknown[]>>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare<unknown[]>(sql)));
    return s;
  };
  let last: number | undefined;
  const addReceived = db.transaction((rows: ReceivedRow[]) => {
    let prev = -1;
    for (const r of [...rows].sort((a, b) => a.at - b.at)) {
      let id = Math.max(archiveIdAt(r.at), prev + 1);
      while (idTaken.get(id)) id++;
      insert.run({ id, owner: r.owner, peer: r.peer, stanza: r.stanza });
      prev = id;
      if (last !== undefined) last = Math.max(last, id);
    }
  });

  return {
    /**
     * The archive id of a message received now: µs since the epoch, above every id given out
     * (also when the clock steps back). Only this process writes archives.
     */
    nextId(): number {
      last ??= (maxId.get() as { id: number | null }).id ?? 0;
      last = Math.max(Date.now() * 1000, last + 1);
      return last;
    },
    /** Archives messages (one transaction: callers batch what arrived together). */
    add(rows: ArchiveRow[]): void {
      if (!rows.length) return;
      insertMany.immediate(rows);
      if (last !== undefined) for (const r of rows) last = Math.max(last, r.id);
    },
    /**
     * Archives messages received at known times (ms since the epoch; imports): each gets the first
     * free id of its millisecond or after, so the order by time holds and no id is given twice.
     */
    addReceived(rows: ReceivedRow[]): void {
      if (rows.length) addReceived.immediate(rows);
    },
    /** Whether message `id` is in `archive` (a query naming one that is not → item-not-found). */
    has(archive: string, id: number): boolean {
      return inArchive.get(id, archive, archive) !== undefined;
    },
    /**
     * Up to `max` rows of the filter, oldest first: from the start (or after `after`), or with
     * `backward` the last ones (before `before`). `more` tells whether the page was cut short.
     */
    page(f: ArchiveFilter, p: { max: number; after?: number; before?: number; backward?: boolean }): ArchivePage {
      const dir = p.backward ? 'DESC' : 'ASC';
      const parts = branches(f, p);
      const one = (b: Branch) => `SELECT ${COLS} FROM archive WHERE ${b.where} ORDER BY id ${dir} LIMIT ?`;
      const [a, b] = parts as [Branch, Branch | undefined];
      const sql = b ? `SELECT * FROM (${one(a)}) UNION ALL SELECT * FROM (${one(b)}) ORDER BY id ${dir} LIMIT ?` : one(a);
      const limit = p.max + 1;
      const params = b ? [...a.params, limit, ...b.params, limit, limit] : [...a.params, limit];
      const rows = prepared(sql).all(...params) as ArchiveRow[];
      const more = rows.length > p.max;
      if (more) rows.pop();
      if (p.backward) rows.reverse();
      return { rows, more };
    },
    /** How many rows match the filter (RSM <count/>). */
    count(f: ArchiveFilter): number {
      const parts = branches(f, {});
      const sql = `SELECT ${parts.map((b) => `(SELECT count(*) FROM archive WHERE ${b.where})`).join(' + ')} AS n`;
      return (prepared(sql).get(...parts.flatMap((b) => b.params)) as { n: number }).n;
    },
    /** Deletes every row received before `before` (ms since the epoch); returns how many. */
    purge(before: number): number {
      let total = 0;
      for (;;) {
        const n = purgeBatch.run(archiveIdAt(before)).changes;
        total += n;
        if (n < PURGE_BATCH) return total;
      }
    },
    /** Deletes the rows `owner` owns (a destroyed room's archive), in batches like purge(). */
    clear(owner: string): number {
      let total = 0;
      for (;;) {
        const n = clearBatch.run(owner).changes;
        total += n;
        if (n < PURGE_BATCH) return total;
      }
    },
  };
}
export type ArchiveStore = ReturnType<typeof createArchiveStore>;
