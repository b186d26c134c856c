// One inotify watch per directory, shared by every listener of it; the last one to leave frees it.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../config/logger.ts';
import { createDirWatches } from './dir-watches.ts';

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const waitFor = async (cond: () => boolean, what: string, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('listeners of one directory share one watch; each hears every event; the last close frees it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-dirwatch-'));
  const dirs = createDirWatches({ log: silentLogger });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => dirs.close());
  const heard: string[] = [];
  const a = dirs.watch(dir, (f) => heard.push(`a:${f}`));
  const b = dirs.watch(dir, (f) => heard.push(`b:${f}`));
  assert.ok(a && b);
  assert.equal(dirs.count(), 1);
  mkdirSync(path.join(dir, 'x'));
  await waitFor(() => heard.length === 2, 'both listeners');
  assert.deepEqual(heard.sort(), ['a:x', 'b:x']);
  a.close();
  a.close(); // twice is harmless
  assert.equal(dirs.count(), 1, 'b still listens');
  assert.equal(a.alive, false);
  mkdirSync(path.join(dir, 'y'));
  await waitFor(() => heard.includes('b:y'), 'b alone');
  assert.ok(!heard.includes('a:y'), 'a closed hears nothing');
  b.close();
  assert.equal(dirs.count(), 0);
  assert.equal(dirs.watch(path.join(dir, 'missing'), () => {}), undefined, 'a missing directory: no watch, no throw');
  assert.equal(dirs.count(), 0);
});
