// The central IM log in xmpp.mode=external, against Debian's ejabberd 23.01: mod_mam on the SQLite
// file `herald-gateway ejabberd config` made (xmpp.external.archiveDb), tailed by `serve` (a child
// process here, so it can be killed) into XMPPServer-YYYY-MM-DD.log (xmpp/external/archive-tail.ts,
// im/im-log-feed.ts). Users chat through ejabberd with slixmpp; the log must hold every message
// exactly once, in the embedded server's format, found by `herald-gateway log search`; room
// messages too; after a kill -9 of the gateway mid-stream and a restart, every accepted message
// exactly once; an archive row that is not a message is skipped with a warning naming it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadSettings } from '../../gateway/src/config/load.ts';
import { silentLogger } from '../../gateway/src/config/logger.ts';
import { IM_LOG_FILE, parseImLogLine, type ImLogLine } from '../../gateway/src/im/im-log.ts';
import { createServices } from '../../gateway/src/main.ts';
import { makeTestCertificate } from '../fixtures/certificate.ts';
import { createCli } from '../fixtures/cli.ts';
import { startEjabberd, type TestEjabberd } from '../fixtures/ejabberd.ts';
import { freePort, sleep } from '../fixtures/peer-utils.ts';
import { startSlixmpp, type Slixmpp } from '../fixtures/slixmpp.ts';
import { startSlixComponent } from '../fixtures/slixmpp-component.ts';
import { createServeProcesses } from '../fixtures/serve-process.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-imlog-'));
const dataDir = path.join(dir, 'data');
const logDir = path.join(dataDir, 'logs');
const archiveDb = path.join(dir, 'archive', 'mam.db');
const { cli } = createCli(dataDir);
let ejabberd: TestEjabberd | undefined;
let c2sPort = 0;
let componentPort = 0;
let serveConfig = '';
const clients: Slixmpp[] = [];
let gw: (ChildProcess & { output: () => string }) | undefined;

async function ok(args: string[]) {
  const r = await cli(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

const serving = createServeProcesses();
const serve = () => serving.start(serveConfig);

before(async () => {
  const services = createServices(loadSettings({ env: {}, overrides: { dataDir } }), silentLogger);
  for (const d of ['example.com', 'other.example']) services.directory.addDomain(d);
  for (const [a, pw] of [['alice@example.com', 'alice password 1'], ['bob@example.com', 'bob password 12'], ['carol@other.example', 'carol password 1']]) await services.directory.addUser(a!, pw!);
  services.store.close();

  const cert = makeTestCertificate(dir, ['example.com', 'other.example']);
  c2sPort = await freePort();
  const [websocketPort, apiPort] = [await freePort(), await freePort()];
  mkdirSync(path.dirname(archiveDb));
  const external = { listenHost: '127.0.0.1', c2sPort, websocketPort, websocketTls: false, apiPort, certfiles: [cert.certFile, cert.keyFile], archiveDb };
  const configFile = path.join(dir, 'herald.json');
  // e2ee allow: the OMEMO message below is logged as encrypted (under deny mod_herald_policy refuses it: ejabberd-e2ee.test.ts).
  writeFileSync(configFile, JSON.stringify({ xmpp: { external, e2ee: { default: 'allow' } } }));
  const yml = path.join(dir, 'ejabberd.yml');
  const made = await ok(['ejabberd', 'config', '--config', configFile, '--out', yml]);
  assert.match(made.stderr, /created the ejabberd archive database .*mam\.db \(WAL\)/);
  // An XEP-0114 component (how server IMs reach users through ejabberd): added here by hand.
  componentPort = await freePort();
  const service = `  - port: ${componentPort}\n    ip: "127.0.0.1"\n    module: ejabberd_service\n    hosts:\n      "herald.example.com":\n        password: "component secret"\n`;
  writeFileSync(yml, readFileSync(yml, 'utf8').replace('\nmodules:\n', `\n${service}\nmodules:\n`));
  ejabberd = await startEjabberd({ dir, configFile: yml, waitPorts: [c2sPort, websocketPort, apiPort, componentPort] });
  serveConfig = path.join(dir, 'serve.json');
  writeFileSync(serveConfig, JSON.stringify({ dataDir, http: { host: '127.0.0.1', port: 0 }, xmpp: { mode: 'external', external }, log: { level: 'info' } }));
  gw = await serve();
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  serving.killAll();
  await ejabberd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function login(jid: string, password: string, label: string) {
  const c = await startSlixmpp({ label });
  clients.push(c);
  await c.call('connect', { jid: `${jid}/slix`, password, host: '127.0.0.1', port: c2sPort, starttls: true, sm: false }, 30_000);
  return c;
}

/** Every parsable line of the central IM log. */
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
    if (Date.now() > deadline) throw new Error(`the central IM log never had ${what}; it has:\n${lines.map((l) => `${l.type} ${l.from} → ${l.to}: ${l.body}`).join('\n')}\n--- gateway ---\n${gw?.output().slice(-4000)}`);
    await sleep(everyMs);
  }
}
const withBody = (lines: ImLogLine[], body: string) => lines.filter((l) => l.body === body);

test('1:1 messages through ejabberd are in the central log once each, as the embedded server writes them, and `log search` finds them', { timeout: 300_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1', 'alice');
  const bob = await login('bob@example.com', 'bob password 12', 'bob');
  const t0 = Date.now();
  await alice.call('send', { to: 'bob@example.com', body: 'hello bob' });
  await bob.next({ event: 'message', body: 'hello bob' }, 15_000);
  const delivered = Date.now();
  await waitForLog((l) => withBody(l, 'hello bob').length > 0, '"hello bob"');
  const latency = Date.now() - delivered;
  await bob.call('send', { to: 'alice@example.com/slix', body: 'hi alice, tab\there' });
  await alice.next({ event: 'message', body: 'hi alice, tab\there' }, 15_000);
  await alice.call('send', { to: 'bob@example.com', type: 'normal', body: 'a normal message' });
  // To a user who is offline (carol, another domain), one who does not exist, another server.
  await alice.call('send', { to: 'carol@other.example', body: 'for carol, offline' });
  await alice.call('send', { to: 'nobody@example.com', body: 'for nobody' });
  await alice.call('send', { to: 'x@remote.invalid', body: 'for another server' });
  // An attachment (XEP-0066 OOB) and an OMEMO message (logged as encrypted, without its fallback).
  await alice.call('raw', { xml: "<message to='bob@example.com' type='chat' id='oob1'><body>see file</body><x xmlns='jabber:x:oob'><url>https://files.example.com/a b.png</url></x></message>" });
  await alice.call('raw', {
    xml: "<message to='bob@example.com' type='chat' id='omemo1'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><iv>AA==</iv></header><payload>AAAA</payload></encrypted><body>I sent you an OMEMO encrypted message</body></message>",
  });
  await alice.call('send', { to: 'bob@example.com', body: 'last of the 1:1 run' });
  await bob.next({ event: 'message', body: 'last of the 1:1 run' }, 15_000);

  const lines = await waitForLog((l) => withBody(l, 'last of the 1:1 run').length > 0, 'the last 1:1 message');
  const one = (body: string) => {
    const found = withBody(lines, body);
    assert.equal(found.length, 1, `"${body}" is logged exactly once (found ${found.length})`);
    return found[0]!;
  };
  assert.deepEqual({ ...one('hello bob') }, { ...one('hello bob'), type: 'chat', from: 'alice@example.com/slix', to: 'bob@example.com', attachments: [] });
  assert.equal(one('hello bob').encrypted, undefined);
  assert.ok(one('hello bob').time.getTime() >= t0 - 1000 && one('hello bob').time.getTime() <= delivered + 1000, 'the line carries the time ejabberd accepted it');
  assert.deepEqual([one('hi alice, tab\there').from, one('hi alice, tab\there').to], ['bob@example.com/slix', 'alice@example.com/slix']);
  assert.equal(one('a normal message').type, 'normal');
  assert.deepEqual([one('for carol, offline').from, one('for carol, offline').to], ['alice@example.com/slix', 'carol@other.example']);
  one('for nobody');
  one('for another server');
  assert.deepEqual(one('see file').attachments, ['https://files.example.com/a%20b.png']);
  const encrypted = lines.filter((l) => l.encrypted);
  assert.deepEqual(
    encrypted.map((l) => [l.encrypted, l.body, l.from, l.to]),
    [['omemo', '', 'alice@example.com/slix', 'bob@example.com']],
  );
  // Searchable the same way: the file name and the CLI's search.
  assert.ok(readdirSync(logDir).every((f) => IM_LOG_FILE.test(f)));
  const found = await ok(['log', 'search', '--user', 'carol@other.example']);
  assert.match(found.stdout, /chat {6}alice@example\.com\/slix → carol@other\.example: for carol, offline/);
  assert.equal(found.stdout.trim().split('\n').length, 1);
  assert.match(found.stderr, /^1 message\(s\)/m);
  const text = await ok(['log', 'search', '--text', 'NORMAL MESS']);
  assert.match(text.stdout, /normal {4}alice@example\.com\/slix → bob@example\.com: a normal message/);
  // Measured, not asserted: send → line in the log, one message at a time.
  const took: number[] = [];
  for (let i = 0; i < 30; i++) {
    const start = performance.now();
    await alice.call('send', { to: 'bob@example.com', body: `latency ${i}` });
    await waitForLog((l) => withBody(l, `latency ${i}`).length > 0, `"latency ${i}"`, 60_000, 2);
    took.push(performance.now() - start);
  }
  took.sort((a, b) => a - b);
  console.log(`# send → line in the central IM log (30 messages): median ${took[15]!.toFixed(1)} ms, max ${took[29]!.toFixed(1)} ms; delivery to bob → line: ${latency} ms (archivePollMs 250, fs.watch wake-up)`);
  await Promise.all([alice.close(), bob.close()]);
});

test("a user cannot switch their archive off (and so leave the central log): XEP-0313 preferences are refused", { timeout: 300_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1', 'alice (prefs)');
  const bob = await login('bob@example.com', 'bob password 12', 'bob (prefs)');
  const r = await alice.call('raw', { xml: "<iq type='set' id='prefs1'><prefs xmlns='urn:xmpp:mam:2' default='never'/></iq>", wait_id: 'prefs1' });
  assert.match(r.reply ?? '', /type=["']error["']/);
  assert.match(r.reply ?? '', /forbidden/);
  await alice.call('send', { to: 'bob@example.com', body: 'after trying to hide' });
  await bob.next({ event: 'message', body: 'after trying to hide' }, 15_000);
  const lines = await waitForLog((l) => withBody(l, 'after trying to hide').length > 0, '"after trying to hide"');
  assert.equal(withBody(lines, 'after trying to hide').length, 1);
  await Promise.all([alice.close(), bob.close()]);
});

test('messages from a component (server IMs) are logged once from the recipient archive, to an online and to an offline user', { timeout: 300_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1', 'alice (component)');
  const component = startSlixComponent({ jid: 'herald.example.com', secret: 'component secret', port: componentPort });
  try {
    await component.next((e) => e.event === 'connected', 30_000);
    component.send({ cmd: 'send', to: 'alice@example.com', body: 'disk almost full' });
    component.send({ cmd: 'send', to: 'carol@other.example', body: 'backup finished' });
    await alice.next({ event: 'message', body: 'disk almost full' }, 15_000);
    const lines = await waitForLog((l) => withBody(l, 'disk almost full').length > 0 && withBody(l, 'backup finished').length > 0, 'the component messages');
    assert.deepEqual(
      [...withBody(lines, 'disk almost full'), ...withBody(lines, 'backup finished')].map((l) => [l.type, l.from, l.to]),
      [
        ['chat', 'herald.example.com', 'alice@example.com'],
        ['chat', 'herald.example.com', 'carol@other.example'],
      ],
    );
  } finally {
    await component.stop();
    await alice.close();
  }
});

test('room messages are logged once (from the real JID to the room), room private messages once', { timeout: 300_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1', 'alice (room)');
  const bob = await login('bob@example.com', 'bob password 12', 'bob (room)');
  const room = 'team@conference.example.com';
  await alice.call('muc_join', { room, nick: 'Alice' }, 30_000);
  await bob.call('muc_join', { room, nick: 'Bob' }, 30_000);
  await alice.call('muc_send', { room, body: 'hello room', wait_echo: true }, 30_000);
  await bob.call('muc_send', { room, body: 'hello from bob', wait_echo: true }, 30_000);
  await bob.call('send', { to: `${room}/Alice`, body: 'psst, private' });
  await alice.next({ event: 'message', body: 'psst, private' }, 15_000);
  const lines = await waitForLog((l) => withBody(l, 'psst, private').length > 0 && withBody(l, 'hello from bob').length > 0, 'the room messages');
  assert.deepEqual(
    withBody(lines, 'hello room').map((l) => [l.type, l.from, l.to]),
    [['groupchat', 'alice@example.com/slix', room]],
  );
  assert.deepEqual(
    withBody(lines, 'hello from bob').map((l) => [l.type, l.from, l.to]),
    [['groupchat', 'bob@example.com/slix', room]],
  );
  assert.deepEqual(
    withBody(lines, 'psst, private').map((l) => [l.type, l.from, l.to]),
    [['chat', 'bob@example.com/slix', `${room}/Alice`]],
  );
  const found = await ok(['log', 'search', '--user', room]);
  assert.equal(found.stdout.trim().split('\n').length, 3, found.stdout);

  // The room's owner (alice created it) cannot switch the room's archive, and so the log, off.
  const form = "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='mam'><value>0</value></field></x>";
  const r = await alice.call('raw', { xml: `<iq type='set' id='cfg1' to='${room}'><query xmlns='http://jabber.org/protocol/muc#owner'>${form}</query></iq>`, wait_id: 'cfg1' });
  assert.match(r.reply ?? '', /type=["']error["']/, `the owner's "mam off" is refused: ${r.reply}`);
  await alice.call('muc_send', { room, body: 'after the owner tried', wait_echo: true }, 30_000);
  const after = await waitForLog((l) => withBody(l, 'after the owner tried').length > 0, '"after the owner tried"');
  assert.equal(withBody(after, 'after the owner tried').length, 1);
  await Promise.all([alice.close(), bob.close()]);
});

test('an archive row that is not a message: a warning naming it, skipped, nothing else lost', { timeout: 300_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1', 'alice (bad row)');
  const bob = await login('bob@example.com', 'bob password 12', 'bob (bad row)');
  await alice.call('send', { to: 'bob@example.com', body: 'before the bad row' });
  await waitForLog((l) => withBody(l, 'before the bad row').length > 0, '"before the bad row"');
  // Written beside ejabberd (WAL: one writer at a time, readers unblocked), as a damaged row would be.
  const db = new Database(archiveDb);
  db.pragma('busy_timeout = 10000');
  const bad = db
    .prepare("INSERT INTO archive (username, server_host, timestamp, peer, bare_peer, xml, txt, kind, nick) VALUES ('bob', 'example.com', ?, 'alice@example.com', 'alice@example.com', ?, 'x', 'chat', '') RETURNING id")
    .pluck()
    .get(Date.now() * 1000, "<message from='alice@example.com/slix' to='bob@example.com'><body>never logged</bo") as number;
  db.close();
  await alice.call('send', { to: 'bob@example.com', body: 'after the bad row' });
  await bob.next({ event: 'message', body: 'after the bad row' }, 15_000);
  const lines = await waitForLog((l) => withBody(l, 'after the bad row').length > 0, '"after the bad row"');
  assert.equal(withBody(lines, 'before the bad row').length, 1);
  assert.equal(withBody(lines, 'after the bad row').length, 1);
  assert.equal(lines.filter((l) => l.body.includes('never logged')).length, 0);
  const warning = gw!
    .output()
    .split('\n')
    .find((l) => l.includes('ejabberd archive row skipped'));
  assert.ok(warning, `a warning about the bad row:\n${gw!.output().slice(-3000)}`);
  assert.equal(JSON.parse(warning).archiveId, bad);
  assert.match(JSON.parse(warning).reason, /unparsable xml/);
  await Promise.all([alice.close(), bob.close()]);
});

test('the gateway killed with SIGKILL mid-stream and restarted: every message ejabberd accepted is in the log exactly once', { timeout: 600_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1', 'alice (kill)');
  const bob = await login('bob@example.com', 'bob password 12', 'bob (kill)');
  const N = 1500;
  const body = (i: number) => `stream ${i}`;
  const ours = (l: ImLogLine) => /^stream \d+$/.test(l.body);
  let sent = 0;
  const sending = (async () => {
    for (; sent < N; sent++) await alice.call('send', { to: 'bob@example.com', body: body(sent) });
  })();
  // Killed once it has logged part of the stream, while alice keeps sending.
  const atKill = (await waitForLog((l) => l.filter(ours).length >= 200, '200 lines of the stream', 120_000)).filter(ours).length;
  gw!.kill('SIGKILL');
  await new Promise((r) => gw!.once('exit', r));
  const sentAtKill = sent;
  await sending;
  await bob.next({ event: 'message', body: body(N - 1) }, 60_000); // in order: ejabberd accepted them all
  // Mid-stream: rows left to log at the kill (and usually alice still sending while it was down).
  assert.ok(atKill < N, `killed mid-stream (${atKill} logged, ${sentAtKill} sent at the kill)`);
  gw = await serve();
  const restarted = Date.now();
  const lines = (await waitForLog((l) => l.filter(ours).length >= N, `all ${N} stream lines`, 180_000)).filter(ours);
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l.body, (counts.get(l.body) ?? 0) + 1);
  const missing = Array.from({ length: N }, (_, i) => body(i)).filter((b) => !counts.has(b));
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(missing, [], 'no accepted message is missing');
  assert.deepEqual(twice, [], 'no message is logged twice');
  assert.equal(lines.length, N);
  // The gateway's reads never made an archive write fail (WAL: readers do not block the writer).
  assert.doesNotMatch(ejabberd!.log(), /database is locked|SQL query .* failed/);
  console.log(`# killed after ${atKill} of ${N} stream lines were logged (${sentAtKill} sent); the restarted gateway caught up in ${Date.now() - restarted} ms: ${lines.length} lines, each once`);
  await Promise.all([alice.close(), bob.close()]);
});
