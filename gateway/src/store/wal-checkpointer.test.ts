import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../config/logger.ts';
import { openDb } from './db.ts';
import { startWalCheckpointer } from './wal-checkpointer.ts';

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
    const cp = startWalCheckpointer(db, createLogger('silent', { pretty: false }), 20);
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
