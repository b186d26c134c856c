import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../config/logger.ts';
import { openDb } from './db.ts';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.ts';

const waitFor = async (what: string, ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('the event loop never checkpoints the WAL: a worker does, PASSIVE, while commits go on; stop() gives SQLite its own checkpoints back', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-wal-'));
  const db = openDb(dir);
  try {
    db.exec('CREATE TABLE t (x BLOB)');
    const auto = () => db.pragma('wal_autocheckpoint', { simple: true }) as number;
    assert.equal(auto(), 1000, "SQLite's default before");
    const cp = startWalCheckpointer(db, createLogger('silent', { pretty: false }), { everyMs: 20 });
    assert.equal(auto(), 0, 'no checkpoint inside a commit on the event loop');
    // 3,000 pages (12 MB) in 30 commits: past the 1,000 pages at which a commit would checkpoint.
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const blob = Buffer.alloc(400 * 1024, 7);
    for (let i = 0; i < 30; i++) insert.run(blob);
    const wal = path.join(dir, 'herald.db-wal');
    // The worker sees 3,000 frames waiting (past SQLite's 1,000) and copies them into the database
    // file, which grows to hold the 12 MB...
    await waitFor('the worker to checkpoint the commits', () => cp.stats().checkpoints > 0 && statSync(path.join(dir, 'herald.db')).size > 12e6);
    // ...and the next commits start the WAL over instead of growing it.
    const walAfter = statSync(wal).size;
    for (let i = 0; i < 5; i++) insert.run(blob);
    assert.ok(statSync(wal).size <= walAfter, `the WAL is reused (${statSync(wal).size} > ${walAfter} bytes)`);
    assert.equal(cp.stats().failed, 0);
    cp.stop();
    assert.equal(auto(), 1000, 'automatic checkpoints back');
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The process's threads (Linux): a worker is a thread of its own, with an isolate of its own. */
const threads = () => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);

test('no checkpoint worker while the WAL has nothing to checkpoint: one starts past 1,000 frames or when frames wait too long, and ends when idle', { skip: !existsSync('/proc/self/status') }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-wal-'));
  const db = openDb(dir);
  try {
    db.exec('CREATE TABLE t (x BLOB)');
    db.pragma('wal_checkpoint(TRUNCATE)'); // nothing waits
    const before = threads();
    const cp = startWalCheckpointer(db, createLogger('silent', { pretty: false }), { everyMs: 20, lingerMs: 200, maxAgeMs: 1500 });
    // The WAL was looked at (it could have started the worker) and nothing waits: no worker, no thread.
    await waitFor('a few looks at the WAL', () => cp.stats().looks >= 3);
    assert.equal(cp.stats().worker, false, 'a worker with nothing to checkpoint');
    assert.equal(threads(), before, 'a thread with nothing to checkpoint');
    // A few frames (under 1,000) wait less than maxAgeMs: still none.
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(100));
    const looks = cp.stats().looks;
    await waitFor('looks at the WAL with a few frames', () => cp.stats().looks >= looks + 3);
    assert.equal(cp.stats().checkpoints, 0);
    // ...and are checkpointed once they waited maxAgeMs.
    await waitFor('the worker to checkpoint frames that waited too long', () => cp.stats().checkpoints === 1);
    // With nothing more to do it ends after lingerMs: the thread goes.
    await waitFor('the idle worker to end', () => !cp.stats().worker && threads() === before);
    // 3,000 pages at once: a worker again, at once (not after maxAgeMs).
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const blob = Buffer.alloc(400 * 1024, 7);
    for (let i = 0; i < 30; i++) insert.run(blob);
    await waitFor('a worker for the 3,000 frames', () => cp.stats().checkpoints === 2, 1200);
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'an idle worker ending is no failure: checkpoints stay off the event loop');
    assert.equal(cp.stats().failed, 0);
    cp.stop();
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a quiet database with a few frames waiting is checkpointed without a worker', { skip: !existsSync('/proc/self/status') }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-wal-'));
  const db = openDb(dir);
  try {
    db.exec('CREATE TABLE t (x BLOB)');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const before = threads();
    const cp = startWalCheckpointer(db, createLogger('silent', { pretty: false }), { everyMs: 20, lingerMs: 200, maxAgeMs: 300, quietMs: 300 });
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(100));
    let workerSeen = false;
    await waitFor('the few frames to be checkpointed', () => {
      workerSeen ||= cp.stats().worker || threads() !== before;
      return cp.stats().checkpoints === 1;
    });
    assert.equal(workerSeen, false, 'a worker (a thread) for a few frames on a quiet database');
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
    cp.stop();
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A database with a checkpointer and 12 MB just committed in 30 commits (past SQLite's 1,000 pages);
 * `fn` gets what it needs; the checkpointer, the database and the folder go afterwards.
 */
async function afterBigCommits(
  opts: Parameters<typeof startWalCheckpointer>[2],
  fn: (t: { cp: WalCheckpointer; db: ReturnType<typeof openDb>; insert: (blob: Buffer) => void; wal: string; dbFile: string }) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-wal-'));
  const db = openDb(dir);
  try {
    db.exec('CREATE TABLE t (x BLOB)');
    const cp = startWalCheckpointer(db, createLogger('silent', { pretty: false }), opts);
    const stmt = db.prepare('INSERT INTO t VALUES (?)');
    const insert = (blob: Buffer) => void stmt.run(blob);
    const blob = Buffer.alloc(400 * 1024, 7);
    for (let i = 0; i < 30; i++) insert(blob);
    try {
      await fn({ cp, db, insert, wal: path.join(dir, 'herald.db-wal'), dbFile: path.join(dir, 'herald.db') });
    } finally {
      cp.stop();
    }
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Issue 12: the commit that starts a checkpointed WAL over is the event loop's; with
// journal_size_limit = 0 it truncated the file there, and ftruncate() waited for the disk (a
// synchronous discard on an ext4 mounted with `discard`: up to 38 ms in bench:xmpp).
test('the commit that starts the WAL over after a checkpoint does not truncate it: the file is reused in place', () =>
  afterBigCommits({ everyMs: 20 }, async ({ cp, db, insert, wal, dbFile }) => {
    const full = statSync(wal).size;
    await waitFor('the worker to checkpoint the commits', () => cp.stats().checkpoints > 0 && statSync(dbFile).size > 12e6);
    insert(Buffer.alloc(100)); // starts the WAL over
    assert.equal(statSync(wal).size, full, 'the WAL file keeps its size (no ftruncate in the commit)');
    assert.equal(db.pragma('journal_size_limit', { simple: true }), 64 * 1024 * 1024);
  }));

test('a WAL grown past the size kept is truncated by the worker in a lull, not by the next commit on the event loop', () =>
  afterBigCommits({ everyMs: 20, walKeepBytes: 1024 * 1024, lullMs: 200 }, async ({ cp, db, insert, wal }) => {
    assert.ok(statSync(wal).size > 12e6, '12 MB of WAL, past the 1 MiB kept');
    // No commit from here on: only the worker can make the file small.
    await waitFor('the worker to truncate the WAL', () => cp.stats().truncations > 0);
    assert.equal(statSync(wal).size, 0, 'truncated by the worker');
    assert.equal(db.prepare('SELECT count(*) FROM t').pluck().get(), 30, 'nothing lost');
    insert(Buffer.alloc(100)); // and the WAL goes on from the start
    assert.ok(statSync(wal).size < 64 * 1024);
  }));

test('a WAL reused in place is checkpointed after a few seconds of steady writes, not only after maxAgeMs', () =>
  afterBigCommits({ everyMs: 20 }, async ({ cp, insert, wal: walFile, dbFile }) => {
    await waitFor('the first checkpoint', () => cp.stats().checkpoints === 1 && statSync(dbFile).size > 12e6);
    const wal = statSync(walFile).size;
    // A steady trickle of small commits: the file does not grow, so its size cannot tell how many
    // frames it holds; they are checkpointed after BUSY_MS (3 s), well before maxAgeMs (60 s).
    const writer = setInterval(() => insert(Buffer.alloc(100)), 10);
    try {
      await waitFor('a checkpoint of the WAL reused in place', () => cp.stats().checkpoints === 2, 10_000);
    } finally {
      clearInterval(writer);
    }
    assert.equal(statSync(walFile).size, wal, 'reused in place, not grown');
    assert.equal(cp.stats().failed, 0);
  }));
