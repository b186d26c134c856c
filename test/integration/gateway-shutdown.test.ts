// `herald-gateway serve` stopped as a service manager stops it (issue 11): SIGTERM with clients
// connected closes everything and tells them (XMPP <system-shutdown/>, events socket 1001), exit 0;
// an XMPP peer that keeps its socket half-open (it got the <system-shutdown/> and the server's
// FIN, never closes its side — a real client behaviour, nothing of Herald's replaced) holds the
// XMPP server's close for the 2 s the transport gives a closing stream: past a shutdownSeconds of 1
// the gateway forces it, names it and exits 1; and a second SIGTERM while the shutdown waits
// exits at once, naming the step it cut short. (A half-open HTTP peer no longer holds anything:
// the HTTP port's close ends every connection it has, http/listener.ts.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { login as xmppLogin } from '../fixtures/xmpp-raw.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'herald-gateway.mjs');
const dirs: string[] = [];
const children = new Set<ChildProcess>();
const sockets = new Set<net.Socket>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of sockets) s.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ALICE = 'alice@example.com';
const PASSWORD = 'alice shuts down 1';
const ENV = { HERALD_LOG_LEVEL: 'info', HERALD__HTTP__HOST: '127.0.0.1', HERALD__XMPP__HOST: '127.0.0.1', HERALD__XMPP__REQUIRE_TLS: 'false' };

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (out += c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out }));
  });
}

interface Served {
  child: ChildProcess;
  url: string;
  xmppPort: number;
  output: () => string;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the output has a line matching `re` (the wait is for the line, bounded by ms). */
  line(re: RegExp, ms?: number): Promise<string>;
}

async function serve(env: Record<string, string> = {}): Promise<Served> {
  const data = mkdtempSync(path.join(tmpdir(), 'herald-shutdown-'));
  dirs.push(data);
  for (const args of [['domain', 'add', 'example.com'], ['user', 'add', ALICE, '--password', PASSWORD]]) {
    const r = await run([...args, '--data', data]);
    assert.equal(r.code, 0, r.out);
  }
  const child = spawn(process.execPath, [bin, 'serve', '--data', data, '--http-port', '0', '--xmpp-port', '0'], { env: { ...process.env, ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const watchers = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c;
    for (const w of watchers) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const line = (re: RegExp, ms = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = out.split('\n').find((l) => re.test(l));
        if (!m) return;
        watchers.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`no line matching ${re} within ${ms} ms; output:\n${out}`));
      }, ms);
      watchers.add(check);
      check();
    });
  const started = await line(/listening on http/);
  const url = JSON.parse(started).url as string;
  const xmpp = JSON.parse(await line(/XMPP server listening on port/)).port as number;
  return { child, url, xmppPort: xmpp, output: () => out, exited, line };
}

/** Exits within `ms`, or says it did not (a hung shutdown must fail the test, not hang it). */
async function exitWithin(s: Served, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([s.exited, new Promise<null>((res) => (timer = setTimeout(() => res(null), ms)))]);
  clearTimeout(timer);
  if (!r) throw new Error(`serve did not exit within ${ms} ms; output:\n${s.output()}`);
  return { ...r, ms: Date.now() - t0 };
}

/**
 * A peer that opens an XMPP stream, reads the features, and later never closes its own side: after
 * the server's stream error and FIN the socket stays half-open for as long as it likes.
 */
async function halfOpenXmppPeer(port: number): Promise<net.Socket> {
  const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  sockets.add(s);
  let got = '';
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.on('data', (c: Buffer) => {
      got += c;
      if (got.includes('</stream:features>')) resolve();
    });
    s.once('connect', () => s.write("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"));
  });
  return s;
}

test('SIGTERM with an XMPP session and an events socket open: both are told, everything closes, exit 0 promptly', async () => {
  const s = await serve();
  const res = await fetch(`${s.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: ALICE, password: PASSWORD }) });
  assert.equal(res.status, 200);
  const { deviceToken } = (await res.json()) as { deviceToken: string };
  const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}/api/v1/events`, { headers: { authorization: `Bearer ${deviceToken}` } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const wsClosed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  const xmpp = await xmppLogin(s.xmppPort, ALICE, PASSWORD);

  s.child.kill('SIGTERM');
  const exit = await exitWithin(s, 15_000);
  assert.deepEqual([exit.code, exit.signal], [0, null], s.output());
  assert.ok(exit.ms < 5000, `exit took ${exit.ms} ms`);
  const streamError = await xmpp.next((e) => e.name === 'stream:error', 1000);
  assert.ok(streamError.getChild('system-shutdown', 'urn:ietf:params:xml:ns:xmpp-streams'), streamError.toString());
  await xmpp.closed;
  assert.deepEqual(await wsClosed, { code: 1001, reason: 'gateway shutting down' });
  assert.match(s.output(), /SIGTERM: shutting down/);
  assert.match(s.output(), /shutdown complete/);
  console.log(`# SIGTERM with clients connected: exit 0 after ${exit.ms} ms`);
});

test('a half-open XMPP peer holds the XMPP server: past shutdownSeconds it is forced, named, and serve exits 1', async () => {
  const s = await serve({ HERALD__SHUTDOWN_SECONDS: '1' });
  await halfOpenXmppPeer(s.xmppPort);

  s.child.kill('SIGTERM');
  const exit = await exitWithin(s, 15_000);
  assert.deepEqual([exit.code, exit.signal], [1, null], s.output());
  // The deadline (1 s) and the grace of the steps after the forced one (1 s), plus a busy machine's slack.
  assert.ok(exit.ms >= 1000 && exit.ms < 6000, `exit after ${exit.ms} ms`);
  assert.match(s.output(), /not finished within the shutdown deadline \(1 s\): XMPP server/);
  assert.doesNotMatch(s.output(), /shutdown complete/);
  console.log(`# half-open peer, shutdownSeconds 1: exit 1 after ${exit.ms} ms`);
});

test('a second SIGTERM while the shutdown hangs exits at once, naming the step it cut short', async () => {
  const s = await serve({ HERALD__SHUTDOWN_SECONDS: '120' });
  await halfOpenXmppPeer(s.xmppPort);

  s.child.kill('SIGTERM');
  // Waits for the line, not for time: the shutdown is inside the step the peer holds.
  // (The peer holds that step for the transport's 2 s; the second signal follows the line at once.)
  await s.line(/shutdown: closing XMPP server/);
  assert.equal(s.child.exitCode, null, 'still shutting down (the deadline is 120 s)');
  s.child.kill('SIGTERM');
  const exit = await exitWithin(s, 5000);
  assert.deepEqual([exit.code, exit.signal], [1, null], s.output());
  assert.ok(exit.ms < 2000, `exit ${exit.ms} ms after the second SIGTERM`);
  assert.match(s.output(), /SIGTERM again: exiting now, shutdown cut short while closing XMPP server/);
  console.log(`# second SIGTERM: exit 1 after ${exit.ms} ms`);
});

test('a shutdownSeconds that is not a positive whole number is refused by name', async () => {
  for (const bad of ['0', '-3', 'soon']) {
    const r = await run(['serve', '--data', mkdtempSync(path.join(tmpdir(), 'herald-shutdown-bad-')), '--http-port', '0', '--xmpp-port', '0'], { HERALD__SHUTDOWN_SECONDS: bad });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /configuration error:[\s\S]*shutdownSeconds/, `for ${bad}: ${r.out}`);
  }
});
