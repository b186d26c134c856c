// The cursor of a feed into the central IM log from another server's archive (im/im-log-feed.ts
// explains the protocol): the last archive id whose line is in the log, and — between "about to
// write a batch" and "the batch is written" — the batch's last id and the size of every log file it
// writes to, as they were before it. Each call is one small transaction (WAL, synchronous=NORMAL).
import type { Db } from './db.ts';

export interface ImLogFeedState {
  lastId: number;
  /** Set while a batch may be partly in the log: its last archive id and the log files' sizes before it. */
  pending: { upto: number; sizes: Record<string, number> } | null;
}

export function createImLogFeedStore(db: Db) {
  const get = db.prepare('SELECT last_id, pending_upto, pending_sizes FROM im_log_feed WHERE source = ?');
  const begin = db.prepare(
    `INSERT INTO im_log_feed (source, last_id, pending_upto, pending_sizes, updated_at) VALUES (?, 0, ?, ?, ?)
     ON CONFLICT (source) DO UPDATE SET pending_upto = excluded.pending_upto, pending_sizes = excluded.pending_sizes, updated_at = excluded.updated_at`,
  );
  const commit = db.prepare(
    `INSERT INTO im_log_feed (source, last_id, pending_upto, pending_sizes, updated_at) VALUES (?, ?, NULL, NULL, ?)
     ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id, pending_upto = NULL, pending_sizes = NULL, updated_at = excluded.updated_at`,
  );
  return {
    state(source: string): ImLogFeedState {
      const r = get.get(source) as { last_id: number; pending_upto: number | null; pending_sizes: string | null } | undefined;
      if (!r) return { lastId: 0, pending: null };
      return { lastId: r.last_id, pending: r.pending_upto === null ? null : { upto: r.pending_upto, sizes: JSON.parse(r.pending_sizes ?? '{}') as Record<string, number> } };
    },
    /** A batch up to archive id `upto` is about to be appended to files of these sizes. */
    begin(source: string, upto: number, sizes: Record<string, number>): void {
      begin.run(source, upto, JSON.stringify(sizes), Date.now());
    },
    /** Every line up to archive id `lastId` is in the log. */
    commit(source: string, lastId: number): void {
      commit.run(source, lastId, Date.now());
    },
  };
}
export type ImLogFeedStore = ReturnType<typeof createImLogFeedStore>;
