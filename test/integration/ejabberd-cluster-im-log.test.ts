// The central IM log of a two-node ejabberd cluster (issue 17): both nodes' mod_mam write one
// PostgreSQL archive (xmpp.external.archiveUrl; `herald-gateway ejabberd config` writes
// `sql_type: pgsql` and makes the tables), `serve` (a child process, so it can be killed) tails it
// into XMPPServer-YYYY-MM-DD.log (xmpp/external/pg-archive-tail.ts, im/im-log-feed.ts). PostgreSQL
// is its own instance (test/fixtures/postgres.ts), the cluster test/fixtures/ejabberd-cluster.ts's.
// Users of one domain on both nodes chat across them: every message once; the gateway killed -9
// mid-stream and restarted: every message once; node 2 killed -9 mid-chat: every message the other
// side received is in the log, once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../gateway/src/config/load.ts';
import { silentLogger } from '../../gateway/src/config/logger.ts';
import { IM_LOG_FILE, parseImLogLine, type ImLogLine } from '../../gateway/src/im/im-log.ts';
import { createServices } from '../../gateway/src/main.ts';
import { makeTestCertificate } from '../fixtures/certificate.ts';
import { createCli } from '../fixtures/cli.ts';
import { startEjabberdCluster, type ClusterNode, type TestEjabberdCluster } from '../fixtures/ejabberd-cluster.ts';
import { sleep } from '../fixtures/peer-utils.ts';
import { startPostgres, type TestPostgres } from '../fixtures/postgres.ts';
import { startSlixmpp, type Slixmpp } from '../fixtures/slixmpp.ts';
import { createServeProcesses } from '../fixtures/serve-process.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-cluster-imlog-'));
const dataDir = path.join(dir, 'data');
const logDir = path.join(dataDir, 'logs');
const configFile = path.join(dir, 'herald.json');
const { cli } = createCli(dataDir);
let pg: TestPostgres | undefined;
let cluster: TestEjabberdCluster | undefined;
let n1: ClusterNode;
let n2: ClusterNode;
let serveConfig = '';
const clients: Slixmpp[] = [];
let gw: (ChildProcess & { output: () => string }) | undefined;

async function ok(args: string[], env?: Record<string, string>) {
  const r = await cli(args, { env });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

const serving = createServeProcesses();
const serve = () => serving.start(serveConfig);

before(async () => {
  const services = createServices(loadSettings({ env: {}, overrides: { dataDir } }), silentLogger);
  services.directory.addDomain('example.com');
  for (const [a, pw] of [['alice@example.com', 'alice password 1'], ['bob@example.com', 'bob password 12']]) await services.directory.addUser(a!, pw!);
  services.store.close();
  pg = await startPostgres();
  const cert = makeTestCertificate(dir, ['example.com']);
  // A short grace: node 2's kill leaves its insert in flight rolled back (a permanent gap).
  const external = { listenHost: '127.0.0.1', websocketTls: false, certfiles: [cert.certFile, cert.keyFile], archiveUrl: pg.url, archivePollMs: 50, archiveGapGraceMs: 3000 };
  writeFileSync(configFile, JSON.stringify({ xmpp: { external } }));
  cluster = await startEjabberdCluster({
    dir,
    writeConfig: async (index, p) => {
      const yml = path.join(dir, `ejabberd-node${index}.yml`);
      const made = await ok(['ejabberd', 'config', '--config', configFile, '--out', yml], {
        HERALD__XMPP__EXTERNAL__C2S_PORT: String(p.c2sPort),
        HERALD__XMPP__EXTERNAL__WEBSOCKET_PORT: String(p.websocketPort),
        HERALD__XMPP__EXTERNAL__API_PORT: String(p.apiPort),
      });
      assert.match(made.stderr, /the ejabberd archive tables are in postgres:\/\/herald:\*\*\*@127\.0\.0\.1/);
      assert.doesNotMatch(made.stderr, /herald:herald@/, 'no password in the output');
      return yml;
    },
  });
  [n1, n2] = cluster.nodes;
  serveConfig = path.join(dir, 'serve.json');
  writeFileSync(serveConfig, JSON.stringify({ dataDir, http: { host: '127.0.0.1', port: 0 }, xmpp: { mode: 'external', external: { ...external, apiPort: n1.apiPort } }, log: { level: 'info' } }));
  gw = await serve();
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  serving.killAll();
  await cluster?.stop();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function login(node: ClusterNode, jid: string, password: string, label: string) {
  const c = await startSlixmpp({ label: `${label} on ${node.name}` });
  clients.push(c);
  await c.call('connect', { jid: `${jid}/slix`, password, host: '127.0.0.1', port: node.c2sPort, starttls: true, sm: false }, 30_000);
  return c;
}

function logLines(): ImLogLine[] {
  let files: string[] = [];
  try {
    files = readdirSync(logDir).filter((f) => IM_LOG_FILE.test(f)).sort();
  } catch {
    return [];
  }
  return files.flatMap((f) =>
    readFileSync(path.join(logDir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((l) => {
        try {
          return [parseImLogLine(l)];
        } catch {
          return [];
        }
      }),
  );
}

/** Waits (checking the log as it grows) until `done` holds for its lines. */
async function waitForLog(done: (lines: ImLogLine[]) => boolean, what: string, ms = 60_000, everyMs = 20): Promise<ImLogLine[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lines = logLines();
    if (done(lines)) return lines;
    if (Date.now() > deadline) throw new Error(`the central IM log never had ${what}; it has ${lines.length} lines, the last:\n${lines.slice(-20).map((l) => `${l.type} ${l.from} → ${l.to}: ${l.body}`).join('\n')}\n--- gateway ---\n${gw?.output().slice(-4000)}`);
    await sleep(everyMs);
  }
}
const withBody = (lines: ImLogLine[], body: string) => lines.filter((l) => l.body === body);

/** Each of `bodies` exactly once among `lines`. */
function once(lines: ImLogLine[], bodies: string[]) {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l.body, (counts.get(l.body) ?? 0) + 1);
  assert.deepEqual(bodies.filter((b) => !counts.has(b)), [], 'none missing');
  assert.deepEqual(bodies.filter((b) => (counts.get(b) ?? 0) > 1), [], 'none twice');
}

test('users on both nodes chat across the cluster: every message in the central log once, as sent', { timeout: 300_000 }, async () => {
  const alice = await login(n1, 'alice@example.com', 'alice password 1', 'alice');
  const bob = await login(n2, 'bob@example.com', 'bob password 12', 'bob');
  const bodies: string[] = [];
  for (let i = 0; i < 20; i++) {
    await alice.call('send', { to: 'bob@example.com', body: `a→b ${i}` });
    await bob.call('send', { to: 'alice@example.com', body: `b→a ${i}` });
    bodies.push(`a→b ${i}`, `b→a ${i}`);
  }
  await bob.next({ event: 'message', body: 'a→b 19' }, 15_000);
  await alice.next({ event: 'message', body: 'b→a 19' }, 15_000);
  const lines = await waitForLog((l) => withBody(l, 'a→b 19').length > 0 && withBody(l, 'b→a 19').length > 0, 'the last messages');
  once(lines, bodies);
  assert.deepEqual(
    [withBody(lines, 'a→b 3')[0]!, withBody(lines, 'b→a 3')[0]!].map((l) => [l.type, l.from, l.to]),
    [
      ['chat', 'alice@example.com/slix', 'bob@example.com'],
      ['chat', 'bob@example.com/slix', 'alice@example.com'],
    ],
  );
  // Measured, not asserted: send (on either node) → line in the log, one message at a time.
  const took: number[] = [];
  for (let i = 0; i < 30; i++) {
    const start = performance.now();
    await (i % 2 ? bob : alice).call('send', { to: i % 2 ? 'alice@example.com' : 'bob@example.com', body: `latency ${i}` });
    await waitForLog((l) => withBody(l, `latency ${i}`).length > 0, `"latency ${i}"`, 60_000, 2);
    took.push(performance.now() - start);
  }
  took.sort((a, b) => a - b);
  assert.doesNotMatch(gw!.output(), /herald:herald@/, "the archive's password is not in the gateway's log");
  for (const n of [n1, n2]) assert.doesNotMatch(n.ejabberd.log(), /SQL query .* failed|pgsql.*error/i, `${n.name} archived every message`);
  console.log(`# send → line in the central IM log, cluster on PostgreSQL (30 messages, alternating nodes): median ${took[15]!.toFixed(1)} ms, max ${took[29]!.toFixed(1)} ms (archivePollMs 50)`);
  await Promise.all([alice.close(), bob.close()]);
});

test('the gateway killed with SIGKILL mid-stream and restarted: every message from both nodes in the log exactly once', { timeout: 600_000 }, async () => {
  const alice = await login(n1, 'alice@example.com', 'alice password 1', 'alice (gw kill)');
  const bob = await login(n2, 'bob@example.com', 'bob password 12', 'bob (gw kill)');
  const N = 400;
  const ours = (l: ImLogLine) => /^stream [ab] \d+$/.test(l.body);
  let sent = 0;
  const sending = Promise.all([
    (async () => {
      for (let i = 0; i < N; i++, sent++) await alice.call('send', { to: 'bob@example.com', body: `stream a ${i}` });
    })(),
    (async () => {
      for (let i = 0; i < N; i++, sent++) await bob.call('send', { to: 'alice@example.com', body: `stream b ${i}` });
    })(),
  ]);
  const atKill = (await waitForLog((l) => l.filter(ours).length >= 150, '150 lines of the stream', 60_000)).filter(ours).length;
  gw!.kill('SIGKILL');
  await new Promise((r) => gw!.once('exit', r));
  const sentAtKill = sent;
  await sending;
  await bob.next({ event: 'message', body: `stream a ${N - 1}` }, 60_000);
  await alice.next({ event: 'message', body: `stream b ${N - 1}` }, 60_000);
  assert.ok(atKill < 2 * N, `killed mid-stream (${atKill} logged, ${sentAtKill} sent at the kill)`);
  gw = await serve();
  const restarted = Date.now();
  const lines = (await waitForLog((l) => l.filter(ours).length >= 2 * N, `all ${2 * N} stream lines`, 60_000)).filter(ours);
  once(lines, [...Array.from({ length: N }, (_, i) => `stream a ${i}`), ...Array.from({ length: N }, (_, i) => `stream b ${i}`)]);
  assert.equal(lines.length, 2 * N);
  console.log(`# gateway killed after ${atKill} of ${2 * N} lines were logged (${sentAtKill} sent); the restarted gateway caught up in ${Date.now() - restarted} ms`);
  await Promise.all([alice.close(), bob.close()]);
});

// Last: the cluster loses node 2 here.
test('node 2 killed with SIGKILL mid-chat: every message the other side received is in the log exactly once; node 1 goes on logging', { timeout: 600_000 }, async () => {
  const alice = await login(n1, 'alice@example.com', 'alice password 1', 'alice (node kill)');
  const bob = await login(n2, 'bob@example.com', 'bob password 12', 'bob (node kill)');
  const body = (i: number) => `from node 2: ${i}`;
  let stop = false;
  let sent = 0;
  const sending = (async () => {
    for (; !stop; sent++) await bob.call('send', { to: 'alice@example.com', body: body(sent) });
  })().catch(() => undefined); // bob's node dies under him
  // Killed once alice has received a part of the stream, while bob keeps sending.
  for (let got = 0; got < 100; ) {
    await alice.next((e) => e.event === 'message' && (e.body ?? '').startsWith('from node 2: '), 60_000);
    got++;
  }
  await n2.ejabberd.kill();
  stop = true;
  await sending;
  // What alice received (before and after the kill: stanzas in flight from node 2 still arrive).
  const received = () => alice.events.filter((e) => e.event === 'message' && (e.body ?? '').startsWith('from node 2: ')).map((e) => (e as { body: string }).body);
  // Node 1 keeps carrying and logging chat: a message after the kill, logged after node 2's rows.
  await alice.call('send', { to: 'alice@example.com', body: 'node 1 after the kill' });
  await alice.next({ event: 'message', body: 'node 1 after the kill' }, 15_000);
  const got = received();
  const lines = await waitForLog((l) => withBody(l, 'node 1 after the kill').length > 0, '"node 1 after the kill"', 60_000);
  once(lines, got);
  const gaps = gw!.output().split('\n').filter((l) => l.includes('waiting for archive ids') || l.includes('never became visible')).length;
  console.log(`# node 2 killed after bob sent ${sent}; alice received ${got.length}; the log has ${lines.filter((l) => l.body.startsWith('from node 2: ')).length} of bob's messages (each received one once); gap lines in the gateway's log: ${gaps}`);
  assert.ok(got.length >= 100);
  await alice.close();
});
