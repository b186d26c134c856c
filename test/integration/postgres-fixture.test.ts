// test/fixtures/postgres.ts: the test process killed with SIGKILL (no after() hook runs) still ends
// its PostgreSQL and removes its folder — the guard on the pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { canConnect, sleep } from '../fixtures/peer-utils.ts';

const root = path.resolve(import.meta.dirname, '../..');

test('a test process killed with SIGKILL leaves no PostgreSQL running and no folder behind', { timeout: 90_000 }, async () => {
  const script = "const m = await import('./test/fixtures/postgres.ts'); const p = await m.startPostgres(); console.log(JSON.stringify({ port: p.port, dir: p.dir, url: p.url })); setInterval(() => {}, 1000);";
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const started = await new Promise<{ port: number; dir: string; url: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  const c = new pg.Client(started.url);
  await c.connect();
  assert.equal((await c.query('SELECT current_user AS u')).rows[0].u, 'herald');
  await c.end();
  assert.ok(existsSync(started.dir));
  child.kill('SIGKILL');
  const deadline = Date.now() + 60_000;
  while ((await canConnect(started.port)) || existsSync(started.dir)) {
    assert.ok(Date.now() < deadline, 'PostgreSQL still listening or its folder still there 60 s after the kill');
    await sleep(100);
  }
});
