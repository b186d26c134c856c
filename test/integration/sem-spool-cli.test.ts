// `herald-gateway im send` and `herald-gateway spool status` through the real CLI: a message
// queued while the gateway is stopped waits and goes out when it starts; one sent while `serve`
// runs as another process arrives at once; bad input is refused with a clear error and writes
// nothing; status (text and --json) counts pending, bad and their reasons.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../fixtures/peer-utils.ts';
import { bodyOf, online, PW, scriptedLines, waitFor } from './sem-spool-helpers.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'herald-gateway.mjs');
const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-spool-cli-'));
const spool = path.join(dataDir, 'spool', 'im');
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function cli(args: string[], input = '') {
  const r = spawnSync(process.execPath, [bin, ...args, '--data', dataDir], { input, encoding: 'utf8', env: { ...process.env, HERALD__XMPP__REQUIRE_TLS: 'false' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const semFiles = () => readdirSync(spool).filter((n) => n.endsWith('.SEM'));

async function serve(xmppPort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--data', dataDir, '--http-port', '0', '--xmpp-port', String(xmppPort)], {
    env: { ...process.env, HERALD_LOG_LEVEL: 'info', HERALD__HTTP__HOST: '127.0.0.1', HERALD__XMPP__HOST: '127.0.0.1', HERALD__XMPP__REQUIRE_TLS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (out += c));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      if (/"url":"http/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}:\n${out}`)));
  });
  return child;
}

test('im send and spool status, with the gateway stopped and running', async () => {
  assert.equal(cli(['domain', 'add', 'example.com']).code, 0);
  assert.equal(cli(['user', 'add', 'alice@example.com', '--password', PW]).code, 0);

  // Stopped: the message waits in the spool folder.
  const queued = cli(['im', 'send', 'alice@example.com', 'Build', '#42', 'is', 'green']);
  assert.equal(queued.code, 0, queued.stderr);
  assert.match(queued.stdout, /^queued IM-\d+\.SEM for alice@example\.com from herald@example\.com in /);
  assert.equal(semFiles().length, 1);
  assert.deepEqual(readdirSync(spool).filter((n) => n.endsWith('.LCK')), [], 'the LCK is gone once the file is complete');

  const text = cli(['spool', 'status']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /pending\s+1\s+oldest waiting \d+ s/);
  assert.match(text.stdout, /bad\s+0/);
  const json = JSON.parse(cli(['spool', 'status', '--json']).stdout) as { pending: number; bad: number; inProgress: number; dir: string };
  assert.deepEqual({ pending: json.pending, bad: json.bad, inProgress: json.inProgress, dir: json.dir }, { pending: 1, bad: 0, inProgress: 0, dir: spool });

  // Bad input: a clear error, the right exit code, no file written.
  const refusals: [string[], string, number, RegExp][] = [
    [['im', 'send', 'alice', 'hi'], '', 2, /"alice" is not an address/],
    [['im', 'send', 'ghost@example.com', 'hi'], '', 1, /ghost@example\.com is not a user here/],
    [['im', 'send', 'alice@example.com'], '', 2, /no message text/],
    [['im', 'send', 'alice@example.com', 'hi', '--from', 'not an address'], '', 2, /--from "not an address" is not an address/],
    [['im', 'send', 'alice@example.com', 'bell\x07'], '', 1, /would be refused: the text contains the control character U\+0007/],
    [['im', 'send'], '', 2, /missing recipient/],
    [['im', 'shout', 'alice@example.com'], '', 2, /unknown command "im shout"/],
    [['spool', 'status', 'now'], '', 2, /spool status takes options only/],
  ];
  for (const [args, input, code, why] of refusals) {
    const r = cli(args, input);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why, args.join(' '));
  }
  assert.equal(semFiles().length, 1, 'nothing written by a refused command');

  // Started: the waiting file goes out (alice is offline: at her login).
  const xmppPort = await freePort();
  const gw = await serve(xmppPort);
  await waitFor(() => semFiles().length === 0, 5000, 'the waiting file taken');
  const alice = await online(xmppPort, 'alice@example.com');
  const first = await alice.next((e) => bodyOf(e) === 'Build #42 is green');
  assert.equal(first.attrs.from, 'herald@example.com', 'default sender: im.serviceAddress for the recipient’s domain');

  // Running: sent from another process, text on standard input, own sender; arrives at once.
  const t0 = performance.now();
  const sent = cli(['im', 'send', 'alice@example.com', '--from', 'nagios@example.com'], 'CRITICAL: db1 load 42\nsince 10:42\n');
  assert.equal(sent.code, 0, sent.stderr);
  const live = await alice.next((e) => bodyOf(e) === 'CRITICAL: db1 load 42\nsince 10:42', 5000);
  console.log(`# im send (a new process, including its start) → message at the client: ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(live.attrs.from, 'nagios@example.com');
  assert.equal(scriptedLines(dataDir).length, 2, 'both logged');

  // A broken file dropped by a script: status names it and why.
  writeFileSync(path.join(spool, 'IM-77.SEM'), 'alice@example.com\n');
  await waitFor(() => readdirSync(path.join(spool, 'bad')).includes('IM-77.SEM'), 5000, 'quarantined');
  const after = JSON.parse(cli(['spool', 'status', '--json']).stdout) as { pending: number; bad: number; delivered: number; lastErrors: { file: string; reason: string }[]; problem: string | null };
  assert.equal(after.pending, 0);
  assert.equal(after.bad, 1);
  assert.equal(after.delivered, 2);
  assert.equal(after.problem, null);
  assert.deepEqual(after.lastErrors.map((e) => `${e.file}: ${e.reason}`), ["IM-77.SEM: line 2 (the sender's address) is empty"]);
  assert.match(cli(['spool', 'status']).stdout, /last errors:\n.*IM-77\.SEM {2}line 2 \(the sender's address\) is empty/);

  alice.close();
  gw.kill('SIGTERM');
  await new Promise((r) => gw.once('exit', r));

  // XMPP switched off in the settings: sending still queues, and both commands say files wait.
  const off = spawnSync(process.execPath, [bin, 'im', 'send', 'alice@example.com', 'later', '--data', dataDir], { encoding: 'utf8', env: { ...process.env, HERALD__XMPP__ENABLED: 'false' } });
  assert.equal(off.status, 0, off.stderr);
  assert.match(off.stdout, /note: the XMPP server is switched off \(xmpp\.enabled=false\): files wait/);
  const offStatus = spawnSync(process.execPath, [bin, 'spool', 'status', '--json', '--data', dataDir], { encoding: 'utf8', env: { ...process.env, HERALD__XMPP__ENABLED: 'false' } });
  assert.match((JSON.parse(offStatus.stdout) as { problem: string }).problem, /switched off/);
});
