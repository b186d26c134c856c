// WAL checkpoints off the event loop (issue 12: no event-loop stall over 20 ms while people chat).
// SQLite checkpoints by itself inside whichever COMMIT pushes the WAL past `wal_autocheckpoint`
// pages (1,000 by default, https://sqlite.org/wal.html#automatic_checkpoint): it copies up to ~4 MB
// of pages into the database file and fsyncs it, synchronously, on the thread that committed —
// here the event loop, in the middle of an archive batch or a login, for tens of milliseconds on a
// busy disk. The serving gateway turns that off on its connection and checkpoints from a worker
// thread with a connection of its own, PASSIVE (https://sqlite.org/c3ref/wal_checkpoint_v2.html:
// "as many frames as possible without waiting for any database readers or writers"): in WAL mode
// a checkpoint runs beside the writer, so the event loop keeps committing meanwhile (its commits
// never fsync: synchronous = NORMAL, db.ts).
// The worker (an isolate of its own: ~15 MiB of RSS) runs only while there is something to
// checkpoint: every CHECKPOINT_MS the event loop stat()s the WAL file (libuv's pool; no descriptor
// of ours on SQLite's files: closing one would drop the process's POSIX locks on that file,
// https://sqlite.org/howtocorrupt.html section 2.2,
// and reading the -shm file that way showed as seconds of the event loop in a CPU profile), and
// starts the worker when it was written after the last checkpoint and holds 1,000 frames (as often
// as SQLite's own automatic checkpoint would: a checkpoint a second rewrote the same hot pages and
// fsynced each time), or when the first such write is MAX_AGE_MS old (a quiet server's WAL gets
// written back; when nobody wrote for QUIET_MS and the WAL is small, without a worker). The worker
// ends after LINGER_MS without a checkpoint to do: a server at rest carries no second isolate
// (issue 12: RSS at rest <= 70 MiB), a busy one keeps it.
// If the worker cannot run (or dies), the connection gets its automatic checkpoints back: the WAL
// never grows without bound.
// The WAL is not truncated after a checkpoint (journal_size_limit = WAL_KEEP_BYTES, not 0): the
// commit that starts a checkpointed WAL over — the event loop's, an archive batch — would truncate
// it, and ftruncate() waited for the disk there (ext4 mounted with `discard`: a synchronous discard
// of the freed blocks; 18 ms median, 38 ms at most, 420 ms in 40 s of bench:xmpp, perf sched_switch
// stacks, issue 12). The next commits overwrite it in place instead. So its size only tells how
// many frames were written since it last started over while it grows past its size at the last
// checkpoint; once it is reused in place, frames are checkpointed after BUSY_MS of writes.
// Under writes that never pause the WAL cannot start over at all (a PASSIVE checkpoint never
// catches up with them), so it grows past WAL_KEEP_BYTES — to hundreds of MB in bench:xmpp's
// 24,000 msgs/s steps, ~5 KB of frames per archived message. The first commit after the lull would
// truncate it on the event loop (a 308 ms stall measured in bench:xmpp); so the worker, once its
// checkpoint has caught up in a lull (LULL_MS without writes), truncates it itself (TRUNCATE,
// without waiting for anyone). Not solved: a commit during that truncation waits for it, and every
// start-over syncs the new WAL header on the committing connection (unless synchronous = OFF).
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../config/logger.ts';
import type { Db } from './db.ts';

export const CHECKPOINT_MS = 1000;
/** SQLite's default (pages): checkpointed past it; restored on the connection when the worker cannot run. */
const AUTO_CHECKPOINT_PAGES = 1000;
/** Frames waiting less than that are checkpointed after this long anyway (a quiet server's WAL gets written back). */
const MAX_AGE_MS = 60_000;
/** The WAL file is kept up to this size after a checkpoint, and reused in place (see above). */
export const WAL_KEEP_BYTES = 64 * 1024 * 1024;
/** A WAL reused in place, written to for this long since the last checkpoint (and still being written): checkpointed. */
const BUSY_MS = 3000;
/**
 * A WAL past WAL_KEEP_BYTES not written for this long is truncated by the worker. Not sooner: the
 * truncation holds SQLite's write lock, and a commit on the event loop meanwhile waits for it
 * (asked whenever the checkpoint caught up, it stalled bench:xmpp's busiest steps by up to 180 ms).
 */
const LULL_MS = 2000;
/** Nobody wrote to the database for this long, and the WAL holds fewer frames than QUIET_FRAMES: checkpointed on the event loop. */
const QUIET_MS = 10_000;
const QUIET_FRAMES = 256;
/** File times are coarse (the kernel's tick): a write this close before a checkpoint counts as after it. */
const MTIME_SLACK_MS = 50;
/** The worker ends after this long without a checkpoint to do (started again when one is due). */
export const LINGER_MS = 30_000;

// CommonJS, evaluated in the worker (eval: no file of its own to ship beside the bundle): one
// PASSIVE checkpoint when it starts and one at each 'now'.
// 'shrink' (asked in a lull: see LULL_MS): a WAL past keepBytes whose frames are all checkpointed
// is truncated here (TRUNCATE, without waiting: busy_timeout 0, so it gives up at once when anyone
// is writing or reading the WAL); otherwise the next commit on the event loop truncates it
// (100-300 ms after bench:xmpp's steps).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 0 });
const walSize = () => { try { return statSync(workerData.file + '-wal').size; } catch { return 0; } };
const run = (shrink) => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    let truncated = false;
    if (shrink && r.log > 0 && r.checkpointed === r.log && walSize() > workerData.keepBytes) {
      const [t] = db.pragma('wal_checkpoint(TRUNCATE)');
      truncated = t.busy === 0;
    }
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed, truncated });
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message || e) });
  }
};
parentPort.on('message', (m) => {
  if (m === 'now' || m === 'shrink') return run(m === 'shrink');
  db.close();
  parentPort.close();
});
run(workerData.first === 'shrink');
`;

export interface WalCheckpointer {
  /** Checkpoints as soon as the worker can (tests; a quiet moment). */
  now(): void;
  /** Ends the worker (the connection's automatic checkpoints come back). */
  stop(): void;
  /**
   * Checkpoints done so far, the WAL's size in pages at the last one, failed ones, how many times
   * the WAL was looked at, and whether the worker is running now.
   */
  stats(): { checkpoints: number; walPages: number; failed: number; looks: number; truncations: number; worker: boolean };
}

export interface WalCheckpointerOptions {
  everyMs?: number;
  lingerMs?: number;
  maxAgeMs?: number;
  quietMs?: number;
  lullMs?: number;
  /** The WAL's size kept after a checkpoint (tests make it small). */
  walKeepBytes?: number;
}

/** The WAL file's size and last write; undefined when there is none. stat(): no descriptor of ours on SQLite's files. */
async function walFile(wal: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const st = await stat(wal);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

export function startWalCheckpointer(db: Db, log: Logger, o: WalCheckpointerOptions = {}): WalCheckpointer {
  const everyMs = o.everyMs ?? CHECKPOINT_MS;
  const lingerMs = o.lingerMs ?? LINGER_MS;
  const maxAgeMs = o.maxAgeMs ?? MAX_AGE_MS;
  const quietMs = o.quietMs ?? QUIET_MS;
  const keepBytes = o.walKeepBytes ?? WAL_KEEP_BYTES;
  const lullMs = o.lullMs ?? LULL_MS;
  const file = db.name;
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const frameBytes = (db.pragma('page_size', { simple: true }) as number) + 24; // https://sqlite.org/walformat.html
  const stats = { checkpoints: 0, walPages: 0, failed: 0, looks: 0, truncations: 0 };
  let stopped = false;
  /** Automatic checkpoints are back on the connection for good (the worker could not run). */
  let fallen = false;
  let worker: Worker | undefined;
  /** A checkpoint was asked of the worker and not answered yet. */
  let pending = false;
  let lastWork = 0;
  /** When the last checkpoint was asked for (ms), and since when the WAL has had writes after it. */
  let checkpointedAt = 0;
  /** The WAL file's size when the last checkpoint was asked for: growing past it, it holds new frames past that many. */
  let sizeAtCheckpoint = 0;
  let dirtySince: number | undefined;
  let looking = false;

  const restore = (why: string, err?: unknown) => {
    fallen = true;
    clearInterval(timer);
    if (!db.open) return;
    db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    if (!stopped) log.warn({ err: err instanceof Error ? err.message : err }, `WAL checkpoints back on the event loop: ${why}`);
  };

  const retire = () => {
    const w = worker;
    worker = undefined;
    pending = false;
    w?.postMessage('stop');
  };

  const checkpoint = (walSize: number, kind: 'now' | 'shrink' = 'now') => {
    lastWork = checkpointedAt = Date.now();
    sizeAtCheckpoint = walSize;
    dirtySince = undefined;
    if (worker) {
      if (!pending) worker.postMessage(kind);
      pending = true;
      return;
    }
    let w: Worker;
    try {
      w = new Worker(WORKER, { eval: true, workerData: { sqlite, file, keepBytes, first: kind } });
    } catch (e) {
      restore('the checkpoint worker cannot start', e);
      return;
    }
    w.unref();
    worker = w;
    pending = true; // it checkpoints as it starts
    w.on('message', (m: { log?: number; checkpointed?: number; truncated?: boolean; error?: string }) => {
      if (w === worker) pending = false;
      if (m.error) {
        // A failed checkpoint is tried again at the next look; the WAL keeps what it has meanwhile.
        if (stats.failed++ % 60 === 0) log.warn({ err: m.error }, 'WAL checkpoint failed (tried again every second)');
      } else if (m.log !== undefined) {
        stats.checkpoints++;
        stats.walPages = m.log;
        if (m.truncated) stats.truncations++;
      }
    });
    // Only the running worker's end matters: a retired one was told to end.
    w.on('error', (e) => w === worker && restore('the checkpoint worker failed', e));
    w.on('exit', () => w === worker && !stopped && restore('the checkpoint worker ended'));
  };

  // A few frames on a database nobody wrote to for quietMs (what a quiet server's last writes
  // leave): checkpointed here, not worth a worker (~15 MiB for LINGER_MS). Nobody is chatting, so
  // the fsync that holds the event loop holds nobody up.
  const quietCheckpoint = (walSize: number) => {
    checkpointedAt = Date.now();
    sizeAtCheckpoint = walSize;
    dirtySince = undefined;
    try {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
      stats.checkpoints++;
      stats.walPages = r!.log;
    } catch (e) {
      if (stats.failed++ % 60 === 0) log.warn({ err: (e as Error).message }, 'WAL checkpoint failed (tried again every second)');
    }
  };

  const look = async () => {
    if (looking || stopped || fallen) return;
    looking = true;
    try {
      const wal = await walFile(`${file}-wal`);
      stats.looks++;
      if (stopped || fallen) return;
      const now = Date.now();
      // Written after the last checkpoint was asked for (a write just before it may be counted
      // again: one more PASSIVE checkpoint, which finds little to do).
      if (wal && wal.size > 32 && wal.mtimeMs > checkpointedAt - MTIME_SLACK_MS) dirtySince ??= now;
      // At most the frames since the WAL last started over (or since before the last checkpoint,
      // when it could not finish): a WAL reused in place keeps its size (WAL_KEEP_BYTES above).
      const frames = wal ? Math.max(0, Math.floor((wal.size - 32) / frameBytes)) : 0;
      // Growing past its size at the last checkpoint, it holds that many new frames at least; reused
      // in place, it is checkpointed once it has been written to for BUSY_MS and still is (a
      // steady load; a write now and then waits for maxAgeMs, as few frames do).
      const many = frames >= AUTO_CHECKPOINT_PAGES && wal !== undefined && (wal.size > sizeAtCheckpoint || (dirtySince !== undefined && now - dirtySince >= BUSY_MS && now - wal.mtimeMs < 2 * everyMs));
      if (wal && wal.size > keepBytes && now - wal.mtimeMs >= lullMs && !pending) checkpoint(wal.size, 'shrink');
      else if (dirtySince !== undefined && frames < QUIET_FRAMES && !worker && wal && now - wal.mtimeMs >= quietMs && now - dirtySince >= maxAgeMs) quietCheckpoint(wal.size);
      else if (dirtySince !== undefined && (many || now - dirtySince >= maxAgeMs)) checkpoint(wal?.size ?? 0);
      else if (worker && !pending && now - lastWork >= lingerMs) retire();
    } finally {
      looking = false;
    }
  };

  const timer = setInterval(() => void look(), everyMs);
  timer.unref();
  db.pragma('wal_autocheckpoint = 0');
  // The WAL is overwritten in place after a checkpoint, not truncated by the commit that starts
  // it over (above; https://sqlite.org/pragma.html#pragma_journal_size_limit).
  db.pragma(`journal_size_limit = ${keepBytes}`);
  return {
    now: () => {
      if (!stopped && !fallen) checkpoint(sizeAtCheckpoint);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      retire();
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    },
    stats: () => ({ ...stats, worker: worker !== undefined }),
  };
}
