// The SEM spool's journal (gateway/src/im/spool/spool.ts explains the protocol): one row per
// claimed file whose delivery is committed, written in the SAME transaction as the delivery's
// effect (offline row, archive row), so after a crash "delivered" and "not yet" are told apart
// by the row alone. A row lives from that commit until its file is unlinked (then a later
// commit forgets it). Beside it one state row: the central IM log's size at the last commit (the
// mark — a line after it can only be the one of a delivery that crashed between logging and
// committing), a running count and the current problem, which `spool status` shows.
import type { Db } from './db.ts';

export type SpoolOutcome = 'live' | 'offline';

export interface SpoolJournalRow {
  /** The claimed file's name in work/ (unique per claim). */
  name: string;
  /** SHA-256 of the file's bytes, hex. */
  hash: string;
  outcome: SpoolOutcome;
  deliveredAt: number;
}

/** Where the central IM log ended at the last commit: the file's UTC day and its size in bytes. */
export interface SpoolLogMark {
  day: string;
  offset: number;
}

export interface SpoolState extends SpoolLogMark {
  delivered: number;
  lastDeliveredAt: number | null;
  problem: string | null;
  updatedAt: number;
}

export function createSpoolJournal(db: Db) {
  const insert = db.prepare('INSERT OR REPLACE INTO spool_journal (name, hash, outcome, delivered_at) VALUES (?, ?, ?, ?)');
  const get = db.prepare('SELECT name, hash, outcome, delivered_at FROM spool_journal WHERE name = ?');
  const del = db.prepare('DELETE FROM spool_journal WHERE name = ?');
  const names = db.prepare('SELECT name FROM spool_journal ORDER BY name');
  const state = db.prepare('SELECT log_day, log_offset, delivered, last_delivered_at, problem, updated_at FROM spool_state WHERE id = 1');
  const upsertMark = db.prepare(
    `INSERT INTO spool_state (id, log_day, log_offset, updated_at) VALUES (1, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET log_day = excluded.log_day, log_offset = excluded.log_offset, updated_at = excluded.updated_at`,
  );
  const counted = db.prepare('UPDATE spool_state SET log_day = ?, log_offset = ?, delivered = delivered + 1, last_delivered_at = ?, problem = NULL, updated_at = ? WHERE id = 1');
  const setProblem = db.prepare('UPDATE spool_state SET problem = ?, updated_at = ? WHERE id = 1');
  const forgetMany = db.transaction((list: readonly string[]) => {
    for (const n of list) del.run(n);
  });
  const delivered = db.transaction((row: Omit<SpoolJournalRow, 'deliveredAt'>, mark: SpoolLogMark, forget: readonly string[], now: number) => {
    insert.run(row.name, row.hash, row.outcome, now);
    if (counted.run(mark.day, mark.offset, now, now).changes === 0) {
      upsertMark.run(mark.day, mark.offset, now);
      counted.run(mark.day, mark.offset, now, now);
    }
    for (const n of forget) del.run(n);
  });

  return {
    /**
     * Records that claimed file `row.name` was delivered, moves the log mark, and forgets rows
     * whose files are gone. Meant to run inside the transaction that stores the delivery's effect.
     */
    delivered(row: Omit<SpoolJournalRow, 'deliveredAt'>, mark: SpoolLogMark, forget: readonly string[] = [], now = Date.now()): void {
      delivered(row, mark, forget, now);
    },
    get(name: string): SpoolJournalRow | undefined {
      const r = get.get(name) as { name: string; hash: string; outcome: SpoolOutcome; delivered_at: number } | undefined;
      return r && { name: r.name, hash: r.hash, outcome: r.outcome, deliveredAt: r.delivered_at };
    },
    /** Every journalled name (recovery: rows whose files are gone are forgotten). */
    names(): string[] {
      return (names.all() as { name: string }[]).map((r) => r.name);
    },
    /** Forgets the rows of files that were unlinked. */
    forget(list: readonly string[]): void {
      if (list.length) forgetMany.immediate(list);
    },
    state(): SpoolState | undefined {
      const r = state.get() as { log_day: string; log_offset: number; delivered: number; last_delivered_at: number | null; problem: string | null; updated_at: number } | undefined;
      return r && { day: r.log_day, offset: r.log_offset, delivered: r.delivered, lastDeliveredAt: r.last_delivered_at, problem: r.problem, updatedAt: r.updated_at };
    },
    /** Moves the log mark without a delivery (at start, after recovery). */
    setMark(mark: SpoolLogMark, now = Date.now()): void {
      upsertMark.run(mark.day, mark.offset, now);
    },
    /**
     * Checkpoints the WAL now (PASSIVE: never waits for readers). SQLite otherwise checkpoints
     * inside whichever COMMIT pushes the WAL past 1,000 pages — with fsyncs, milliseconds — and
     * the spool wants its commits short (spool.ts: the window between commit and socket write).
     */
    checkpoint(): void {
      db.pragma('wal_checkpoint(PASSIVE)');
    },
    /** What keeps files waiting right now (null: nothing), for `spool status` in another process. */
    setProblem(problem: string | null, now = Date.now()): void {
      setProblem.run(problem, now);
    },
  };
}
export type SpoolJournal = ReturnType<typeof createSpoolJournal>;
