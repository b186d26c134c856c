// `herald-gateway extauth` as ejabberd runs it: a child process on the data folder, requests on
// its stdin, answers on its stdout (and nothing else there), the log on stderr; a token revoked
// by another process (the CLI) while it runs no longer lets in; it exits 0 when stdin closes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../gateway/src/config/load.ts';
import { silentLogger } from '../../gateway/src/config/logger.ts';
import { encodeRequest } from '../../gateway/src/cli/extauth-framing.ts';
import { createServices } from '../../gateway/src/main.ts';
import { createCli } from '../fixtures/cli.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-extauth-cli-'));
const { cli } = createCli(dataDir);
const bin = path.resolve(import.meta.dirname, '../../bin/herald-gateway.mjs');
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('extauth answers on stdout only, sees the CLI revoke a token while it runs, survives garbage, exits 0 when ejabberd closes the pipe', async () => {
  assert.equal((await cli(['domain', 'add', 'example.com'])).code, 0);
  assert.equal((await cli(['user', 'add', 'alice@example.com'], { input: 'alice password 1\n' })).code, 0);
  const services = createServices(loadSettings({ env: {}, overrides: { dataDir } }), silentLogger);
  const token = services.tokens.issueDevice(services.directory.get('alice@example.com')!, 'laptop');
  services.store.close();

  const child = spawn(process.execPath, [bin, 'extauth', '--data', dataDir], { env: { ...process.env, HERALD_LOG_LEVEL: 'info' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = Buffer.alloc(0);
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (c: Buffer) => {
    stdout = Buffer.concat([stdout, c]);
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ask = async (...requests: (string | Buffer)[]): Promise<number[]> => {
    const start = stdout.length;
    child.stdin.write(Buffer.concat(requests.map((r) => encodeRequest(r))));
    while (stdout.length < start + 4 * requests.length) await new Promise<void>((r) => waiters.push(r));
    const got = stdout.subarray(start);
    return Array.from({ length: got.length / 4 }, (_, i) => (got.readUInt16BE(4 * i) === 2 ? got.readUInt16BE(4 * i + 2) : -1));
  };
  try {
    assert.deepEqual(await ask('auth:alice:example.com:alice password 1', 'auth:alice:example.com:not her password', `auth:alice:example.com:${token}`, 'isuser:alice:example.com'), [1, 0, 1, 1]);
    assert.deepEqual(await ask('', Buffer.from([0xff, 0xfe]), 'nonsense', 'isuser:alice:example.com'), [0, 0, 0, 1], 'garbage answered false, in step');

    const revoked = await cli(['token', 'revoke', 'alice@example.com']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(await ask(`auth:alice:example.com:${token}`, 'auth:alice:example.com:alice password 1'), [0, 1]);
    const off = await cli(['domain', 'set', 'example.com', '--im', 'off']);
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(await ask('auth:alice:example.com:alice password 1'), [0], 'IM switched off by the CLI: refused from the next request on');
  } finally {
    child.stdin.end();
  }
  assert.equal(await exited, 0, stderr);
  assert.equal(stdout.length, 4 * 11, 'stdout holds the answers and nothing else');
  assert.doesNotMatch(stderr, /alice password 1|not her password|hdt_/, 'no password or token in the log');
  assert.match(stderr, /ejabberd login failed/);
});
