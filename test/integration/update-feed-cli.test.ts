// `herald-gateway domain set <d> --updates off|notify|automatic` as an admin runs it (child
// processes on one data folder), seen by a running `serve` in the next /api/v1/config answer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCli } from '../fixtures/cli.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-updates-cli-'));
const { cli, serve, killAll } = createCli(dataDir);
after(() => {
  killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

test('domain set --updates: stored, listed, refused when wrong, applied by a running gateway', async () => {
  assert.equal((await cli(['domain', 'add', 'example.com'])).code, 0);
  assert.match((await cli(['domain', 'list'])).stdout, /example\.com\s+IM on {2}users 0\n/, 'notify by default (not named)');
  const bad = await cli(['domain', 'set', 'example.com', '--updates', 'sometimes']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--updates takes off, notify, automatic \(got sometimes\)/);
  const missing = await cli(['domain', 'set', 'nowhere.example', '--updates', 'off']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no domain nowhere\.example/);
  assert.equal((await cli(['user', 'add', 'bob@example.com', '--password', 'correct horse battery'])).code, 0);

  const gw = await serve();
  const res = await fetch(`${gw.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'bob@example.com', password: 'correct horse battery' }) });
  assert.equal(res.status, 200);
  const { deviceToken } = (await res.json()) as { deviceToken: string };
  const mode = async () => ((await (await fetch(`${gw.url}/api/v1/config`, { headers: { authorization: `Bearer ${deviceToken}` } })).json()) as { updates: { mode: string; feedUrl: string } }).updates;
  assert.deepEqual(await mode(), { mode: 'notify', feedUrl: `${gw.url}/updates/stable` });

  const set = await cli(['domain', 'set', 'example.com', '--updates', 'automatic']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout.trim(), 'desktop updates for example.com: automatic');
  assert.equal((await mode()).mode, 'automatic');
  assert.equal((await cli(['domain', 'set', 'example.com', '--updates', 'off', '--im', 'off'])).code, 0);
  assert.equal((await mode()).mode, 'off');
  assert.match((await cli(['domain', 'list'])).stdout, /example\.com\s+IM off {2}users 1 {2}updates off\n/);
  assert.equal(await gw.stop(), 0);
});
