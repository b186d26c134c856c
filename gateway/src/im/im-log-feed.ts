// The central IM log fed from another server's archive (xmpp.mode=external: ejabberd's mod_mam
// table, read by xmpp/external/archive-tail.ts), exactly once across crashes. Each archive row has
// an increasing id; a cursor in Herald's store (store/im-log-feed.ts) says up to which id the log
// has the lines. A batch of rows is written in three steps:
//   1. begin: the batch's last id and the size of every log file it will append to (one commit);
//   2. the lines, appended in id order by synchronous write(2)s (im-log.ts's flush policy);
//   3. commit: the cursor moves to the batch's last id and the pending batch is forgotten.
// A kill -9 between 1 and 3 leaves the pending batch in the store. The next run reads the same rows
// again and, per file, the complete lines after the recorded size: a row whose exact line is there
// was written (the line holds the archive's own timestamp, so it is the same text again); the rest
// are written now. So no line is lost and none is written twice. A line cut short by the crash has
// no newline and never matches: its row is written again after it (the torn part stays, malformed,
// skipped and counted by search, as for the embedded server's log).
// A line's time is the archive's timestamp (when ejabberd accepted the message), so a line goes in
// the file of that UTC day even when it is logged later (a backlog after the gateway was down).
import { closeSync, fstatSync, openSync } from 'node:fs';
import path from 'node:path';
import type { ImLogFeedStore } from '../store/index.ts';
import { readFrom } from './read-from.ts';
import { createImLog, formatImLogLine, imLogFileName, utcDay, type ImLogEntry } from './im-log.ts';

/** One archive row: its id, when it was accepted, and its line (null: a row with nothing to log). */
export interface FeedRow {
  id: number;
  time: Date;
  entry: ImLogEntry | null;
}

/** What is read of one log file after its recorded size: a batch's lines, no more. */
const MAX_READ = 64 * 1024 * 1024;


const sizeOf = (file: string) => {
  try {
    const fd = openSync(file, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
};

export function createImLogFeed(o: { dir: string; store: ImLogFeedStore; source: string }) {
  const { dir, store, source } = o;
  // The line's time is the row's, not the clock's: im-log.ts asks `now` once per append.
  let at = new Date(0);
  const imLog = createImLog({ dir, now: () => at });
  let state = store.state(source);

  return {
    /** The last archive id whose line is in the log. */
    lastId: () => state.lastId,
    /** After a crash mid-batch: the rows up to this id must be written (again) before any later one. */
    pendingUpto: () => state.pending?.upto ?? null,
    /**
     * Appends the rows' lines (ids ascending, after lastId(); with a pending batch exactly the rows up
     * to pendingUpto()) and moves the cursor to `upto` (default: the last row's id; given when rows
     * of a pending batch were deleted from the archive meanwhile). Throws ImLogWriteError when the log cannot be written;
     * the batch then stays pending and the next call writes what is missing.
     */
    write(rows: readonly FeedRow[], upto = rows[rows.length - 1]?.id ?? state.lastId): void {
      if (upto <= state.lastId) return;
      const lines = rows.map((r) => (r.entry ? { file: imLogFileName(utcDay(r.time)), text: formatImLogLine(r.entry, r.time), row: r } : undefined));
      // Lines of an interrupted batch that are in the log already, per file: count of each exact line.
      let written: Map<string, Map<string, number>> | undefined;
      if (state.pending) {
        written = new Map();
        for (const [file, size] of Object.entries(state.pending.sizes)) {
          const counts = new Map<string, number>();
          const text = readFrom(path.join(dir, file), size, MAX_READ);
          // Only complete lines: the last piece has no newline (empty, or cut short by the crash).
          const parts = text.split('\n');
          parts.pop();
          for (const p of parts) if (p) counts.set(`${p}\n`, (counts.get(`${p}\n`) ?? 0) + 1);
          written.set(file, counts);
        }
      } else {
        const sizes: Record<string, number> = {};
        for (const l of lines) if (l && sizes[l.file] === undefined) sizes[l.file] = sizeOf(path.join(dir, l.file));
        store.begin(source, upto, sizes);
        state = { lastId: state.lastId, pending: { upto, sizes } };
      }
      for (const l of lines) {
        if (!l) continue;
        const seen = written?.get(l.file);
        const n = seen?.get(l.text) ?? 0;
        if (n > 0) {
          seen!.set(l.text, n - 1);
          continue;
        }
        at = l.row.time;
        imLog.append(l.row.entry!);
      }
      store.commit(source, upto);
      state = { lastId: upto, pending: null };
    },
    close: () => imLog.close(),
  };
}
export type ImLogFeed = ReturnType<typeof createImLogFeed>;
