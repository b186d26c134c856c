// herald.db holds password hashes, SCRAM keys and message archives: 0600 with its -wal and -shm even
// under a umask of 022 (SQLite gives the -wal/-shm the database file's mode), in a 0700 folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDb } from './db.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-db-mode-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the database, its -wal and -shm are 0600 and its folder 0700 under umask 022', () => {
  const old = process.umask(0o022);
  try {
    const dir = path.join(root, 'data');
    const db = openDb(dir);
    db.exec('CREATE TABLE t (x)');
    db.prepare('INSERT INTO t VALUES (1)').run();
    const modes = Object.fromEntries(['.', ...readdirSync(dir)].map((f) => [f, (statSync(path.join(dir, f)).mode & 0o777).toString(8)]));
    db.close();
    assert.deepEqual(modes, { '.': '700', 'herald.db': '600', 'herald.db-wal': '600', 'herald.db-shm': '600' });
  } finally {
    process.umask(old);
  }
});
