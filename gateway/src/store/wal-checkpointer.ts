// WAL checkpoints off the event loop (issue 12: no event-loop stall over 20 ms while people chat).
// SQLite checkpoints by itself inside whichever COMMIT pushes the WAL past `wal_autocheckpoint`
// pages (1,000 by default, https://sqlite.org/wal.html#automatic_checkpoint): it copies up to ~4 MB
// of pages into the database file and fsyncs it, synchronously, on the thread that committed —
// here the event loop, in the middle of an archive batch or a login, for tens of milliseconds on a
// busy disk. The serving gateway turns that off on its connection and checkpoints from a worker
// thread with a connection of its own, PASSIVE (https://sqlite.org/c3ref/wal_checkpoint_v2.html:
// "as many frames as possible without waiting for any database readers or writers"), looking every
// CHECKPOINT_MS: in WAL mode a checkpoint runs beside the writer, so the event loop keeps
// committing meanwhile (its commits never fsync: synchronous = NORMAL, db.ts).
// If the worker cannot run (or dies), the connection gets its automatic checkpoints back: the WAL
// never grows without bound.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../config/logger.ts';
import type { Db } from './db.ts';

export const CHECKPOINT_MS = 1000;
/** SQLite's default (pages): the worker checkpoints past it; restored on the connection when the worker is gone. */
const AUTO_CHECKPOINT_PAGES = 1000;
/** Frames waiting less than that are checkpointed after this long anyway (a quiet server's WAL gets written back). */
const MAX_AGE_MS = 60_000;

// CommonJS, evaluated in the worker (eval: no file of its own to ship beside the bundle).
// Each tick reads how many WAL frames wait (the wal-index header in the -shm file,
// https://sqlite.org/walformat.html#the_wal_index_file_format: mxFrame at byte 16, nBackfill at
// byte 96) and checkpoints only past workerData.pages of them, or when some wait and
// workerData.maxAgeTicks ticks passed: as often as SQLite's own automatic checkpoint would (a
// checkpoint a second rewrote the same hot pages and fsynced each time), unless the WAL sits idle.
// If the header cannot be read, every tick checkpoints.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
const hdr = Buffer.alloc(100);
let age = 0;
const waiting = () => {
  let fd;
  try {
    fd = fs.openSync(workerData.file + '-shm', 'r');
    if (fs.readSync(fd, hdr, 0, 100, 0) < 100) return Infinity;
    const le = hdr.readUInt32LE(0) === 3007000;
    const u32 = (o) => (le ? hdr.readUInt32LE(o) : hdr.readUInt32BE(o));
    return Math.max(0, u32(16) - u32(96));
  } catch {
    return Infinity;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
};
const run = (force) => {
  const n = force ? Infinity : waiting();
  if (n === 0) return void (age = 0);
  if (n < workerData.pages && ++age < workerData.maxAgeTicks) return;
  age = 0;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message || e) });
  }
};
const timer = setInterval(run, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'now') return run(true);
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage({ ready: true });
`;

export interface WalCheckpointer {
  /** Checkpoints as soon as the worker can (tests; a quiet moment). */
  now(): void;
  /** Ends the worker (the connection's automatic checkpoints come back). */
  stop(): void;
  /** Checkpoints done so far, and the WAL's size in pages at the last one. */
  stats(): { checkpoints: number; walPages: number; failed: number };
}

export function startWalCheckpointer(db: Db, log: Logger, everyMs = CHECKPOINT_MS): WalCheckpointer {
  const file = db.name;
  let stopped = false;
  const stats = { checkpoints: 0, walPages: 0, failed: 0 };
  const restore = (why: string, err?: unknown) => {
    if (!db.open) return;
    db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    if (!stopped) log.warn({ err: err instanceof Error ? err.message : err }, `WAL checkpoints back on the event loop: ${why}`);
  };
  let worker: Worker;
  try {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER, { eval: true, workerData: { sqlite, file, everyMs, pages: AUTO_CHECKPOINT_PAGES, maxAgeTicks: Math.ceil(MAX_AGE_MS / everyMs) } });
  } catch (e) {
    restore('the checkpoint worker cannot start', e);
    return { now() {}, stop() {}, stats: () => ({ ...stats }) };
  }
  worker.unref();
  db.pragma('wal_autocheckpoint = 0');
  worker.on('message', (m: { ready?: true; log?: number; checkpointed?: number; error?: string }) => {
    if (m.error) {
      // A failed checkpoint is tried again at the next tick; the WAL keeps what it has meanwhile.
      if (stats.failed++ % 60 === 0) log.warn({ err: m.error }, 'WAL checkpoint failed (tried again every second)');
    } else if (m.log !== undefined) {
      stats.checkpoints++;
      stats.walPages = m.log;
    }
  });
  worker.on('error', (e) => restore('the checkpoint worker failed', e));
  worker.on('exit', () => restore('the checkpoint worker ended'));
  return {
    now: () => void worker.postMessage('now'),
    stop() {
      if (stopped) return;
      stopped = true;
      restore('stopped');
      worker.postMessage('stop');
    },
    stats: () => ({ ...stats }),
  };
}
