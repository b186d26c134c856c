import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDirStorage } from './dir-storage.ts';

test('writes land in call order, leave no temporary files, and are private to the user', async () => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'herald-storage-')), 'nested', 'userData');
  try {
    const s = createDirStorage(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.write('state.json', JSON.stringify({ i, pad: 'x'.repeat(i * 1000) }))));
    assert.equal(JSON.parse((await s.read('state.json'))!).i, 49, 'the last write wins, not the slowest');
    assert.deepEqual(readdirSync(dir), ['state.json']);
    assert.equal(statSync(path.join(dir, 'state.json')).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    await s.remove('state.json');
    await s.remove('state.json');
    assert.equal(await s.read('state.json'), undefined);
  } finally {
    rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
  }
});
