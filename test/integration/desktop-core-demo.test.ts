// Issue 5's "done when": desktop/tools/core-demo.ts (the desktop core only, no Electron) run as a
// child process against our gateway run as its own process too (so a restart is a real one: the
// process ends, every socket with it), with bob as Debian's slixmpp: it signs in with a
// provisioned token, prints alice's folders, prints one line per alert, chats with bob 1:1 and in
// a room, and survives a gateway restart without a duplicate or a lost message (mail and chat).
// (The same chat code against Prosody is proven by desktop-chat.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCredentials } from '../../gateway/src/directory/credentials.ts';
import { createTokenService } from '../../gateway/src/directory/tokens.ts';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import { createTestSigner, provisionPayload } from '../../desktop/test-support/provision-signer.ts';
import { startGatewayChild, type GatewayChild } from '../bench/gateway-child.ts';
import { freePort, sleep } from '../fixtures/peer-utils.ts';
import { startSlixmpp, type SlixEvent, type Slixmpp } from '../fixtures/slixmpp.ts';

const DEMO = path.resolve(import.meta.dirname, '../../desktop/tools/core-demo.ts');
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

let root: string;
let gwData: string;
let gwPort: number;
let gw: GatewayChild;
let bobToken: string;
let enrollToken: string;
let demo: ChildProcess;
const lines: string[][] = [];
let stderr = '';
const slixes: Slixmpp[] = [];

const startGateway = () =>
  startGatewayChild(gwData, { http: { host: '127.0.0.1', port: gwPort }, client: { webmailUrl: 'https://mail.example.com/?_mbox={folder}' }, xmpp: { host: '127.0.0.1', port: 0, plainWebSocketFromLoopback: true } }); // as serve --demo: the core chats over ws:// on loopback
const mailRoot = () => path.join(gwData, 'mail', 'example.com', 'alice');
const msg = (subject: string) => composeMessage({ from: 'Bob <bob@example.com>', to: ALICE, subject, body: 'hello' });

async function bob(resource: string): Promise<Slixmpp> {
  const c = await startSlixmpp({ label: `bob/${resource}` });
  slixes.push(c);
  // SASL PLAIN over STARTTLS with a device token, as the gateway allows.
  await c.call('connect', { jid: BOB, password: bobToken, sasl_mech: 'PLAIN', host: '127.0.0.1', port: gw.xmppPort!, starttls: true, resource });
  return c;
}

/** The next output line (from index `from` on) whose fields match. */
async function line(pred: (f: string[]) => boolean, what: string, from = 0, ms = 30_000): Promise<string[]> {
  const end = Date.now() + ms;
  for (;;) {
    const hit = lines.slice(from).find(pred);
    if (hit) return hit;
    if (Date.now() > end) throw new Error(`no demo line "${what}" within ${ms} ms:\n${lines.map((l) => l.join(' | ')).join('\n')}\n${stderr}`);
    await sleep(25);
  }
}
const count = (pred: (f: string[]) => boolean) => lines.filter(pred).length;
const say = (s: string) => demo.stdin!.write(`${s}\n`);

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-core-demo-test-'));
  gwData = path.join(root, 'gateway');
  mkdirSync(gwData);
  gwPort = await freePort();
  // The admin's part, straight in the data folder: the users, bob's device token, alice's enrollment token.
  const store = createStore(gwData);
  const tokens = createTokenService({ store, enrollTtlMs: 3600_000, credentials: createCredentials({ store }) });
  store.domains.add('example.com');
  for (const local of ['alice', 'bob']) store.accounts.add({ address: `${local}@example.com`, local, domain: 'example.com', displayName: local === 'alice' ? 'Alice' : 'Bob', passwordHash: null });
  bobToken = tokens.issueDevice(store.accounts.byAddress(BOB)!, 'slixmpp');
  enrollToken = tokens.issueEnroll(ALICE).token;
  store.close();
  // Mail that is there before the gateway starts (a Maildir made just after the gateway process
  // started was, once in 7 runs, not watched until the gateway's restart: left to the mail watcher's owner).
  await deliverToMaildir(mailRoot(), msg('already here'));
  await deliverToMaildir(mailRoot(), msg('old project mail'), { folder: 'Projects' });
  gw = await startGateway();
});
after(async () => {
  demo?.stdin?.end();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGTERM');
    await new Promise((r) => demo.once('exit', r));
  }
  for (const s of slixes) await s.close();
  await gw?.stop().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

let bobPhone: Slixmpp;
let room = '';

test('the core demo signs in with a provisioned token and prints alice’s folders', async () => {
  bobPhone = await bob('phone');
  const file = path.join(root, 'provision.json');
  writeFileSync(file, JSON.stringify(createTestSigner('demo').sign(provisionPayload({ gateway: gw.url, user: ALICE, token: enrollToken }), { embedKey: true })));
  demo = spawn(process.execPath, ['--import', 'tsx', DEMO, '--provision', file, '--data', path.join(root, 'alice'), '--peer', BOB, '--room', 'Demo room'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, HERALD_LOG_LEVEL: 'silent' },
  });
  let partial = '';
  demo.stdout!.on('data', (c: Buffer) => {
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop()!;
    for (const l of parts) lines.push(l.split('\t'));
  });
  demo.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20_000)));
  await line((f) => f[0] === 'signed-in' && f[1] === ALICE, 'signed in');
  await line((f) => f[0] === 'state' && f[1] === 'connected', 'connected');
  assert.deepEqual(await line((f) => f[0] === 'folder' && f[1] === 'INBOX', 'INBOX'), ['folder', 'INBOX', '1', '1', '1']);
  assert.deepEqual(await line((f) => f[0] === 'folder' && f[1] === 'Projects', 'Projects'), ['folder', 'Projects', '1', '1', '1']);
  assert.equal(count((f) => f[0] === 'alert'), 0, 'mail that was there before is not alerted');
});

test('one alert line per new mail', async () => {
  await deliverToMaildir(mailRoot(), msg('Quarterly numbers'));
  await line((f) => f[0] === 'alert' && f[3] === 'Quarterly numbers', 'the alert');
  await deliverToMaildir(mailRoot(), msg('second'), { folder: 'Projects' });
  await line((f) => f[0] === 'alert' && f[3] === 'second', 'the second alert');
  await sleep(1500);
  assert.deepEqual(lines.filter((f) => f[0] === 'alert'), [
    ['alert', 'mail', 'Bob <bob@example.com>', 'Quarterly numbers', 'INBOX'],
    ['alert', 'mail', 'Bob <bob@example.com>', 'second', 'Projects'],
  ]);
});

test('chats with bob (slixmpp) 1:1 and in a room it creates', async () => {
  const hello = await bobPhone.next<Extract<SlixEvent, { event: 'message' }>>((e) => e.event === 'message' && e.type === 'chat' && /^Hello bob, from the Herald core demo$/.test(e.body ?? ''), 30_000);
  assert.match(hello.from ?? '', /^alice@example\.com\//);
  await bobPhone.call('send', { to: ALICE, body: 'Hi Alice, bob here' });
  await line((f) => f[0] === 'message' && f[1] === BOB && f[3] === 'in' && f[5] === 'Hi Alice, bob here', 'bob’s reply');

  room = (await line((f) => f[0] === 'room', 'the room'))[1]!;
  assert.match(room, /@conference\.example\.com$/);
  const joined = await bobPhone.call('muc_join', { room, nick: 'bob' });
  assert.ok(joined.occupants.includes('alice'), `alice is in the room she made: ${JSON.stringify(joined)}`);
  say('room Hello room');
  await bobPhone.next((e) => e.event === 'message' && e.type === 'groupchat' && e.body === 'Hello room', 10_000);
  await bobPhone.call('muc_send', { room, body: 'bob in the room' });
  await line((f) => f[0] === 'message' && f[1] === room && f[3] === 'in' && f[5] === 'bob in the room', 'bob’s room message');
});

test('gateway restart: mail and a chat message sent meanwhile arrive once; nothing is lost or repeated', async (t) => {
  const mark = lines.length;
  await gw.stop();
  await line((f) => f[0] === 'state' && f[1] === 'gateway-unreachable', 'unreachable', mark);
  await line((f) => f[0] === 'chat' && f[1] !== 'online', 'chat not online', mark);
  await deliverToMaildir(mailRoot(), msg('while the gateway was down'));
  say(`say ${BOB} written while the gateway was down`);
  gw = await startGateway();
  const bobAgain = await bob('laptop');
  await line((f) => f[0] === 'state' && f[1] === 'connected', 'connected again', mark);
  // Announced by its subject, or (when the gateway's restart sent no pushed alert for it) as one missed message.
  const whileDown = (f: string[]) => f[0] === 'alert' && f[4] === 'INBOX' && (f[3] === 'while the gateway was down' || (f[1] === 'missed' && f[2] === '1 new message in Inbox'));
  await line(whileDown, 'the alert for mail while down', mark);
  await line((f) => f[0] === 'chat' && f[1] === 'online', 'chat online again', mark);
  await bobAgain.next((e) => e.event === 'message' && e.body === 'written while the gateway was down', 30_000);

  await bobAgain.call('send', { to: ALICE, body: 'after the restart' });
  await line((f) => f[0] === 'message' && f[1] === BOB && f[5] === 'after the restart', 'bob after the restart', mark);
  await deliverToMaildir(mailRoot(), msg('after the restart'));
  await line((f) => f[0] === 'alert' && f[3] === 'after the restart', 'the alert after the restart', mark);
  await sleep(2000);

  const alerts = lines.filter((f) => f[0] === 'alert');
  assert.equal(alerts.length, 4, `one alert per mail, none repeated:\n${alerts.join('\n')}`);
  assert.deepEqual(alerts.map((f) => f[3]).filter((x, i) => i !== 2), ['Quarterly numbers', 'second', 'after the restart']);
  assert.ok(whileDown(alerts[2]!), alerts[2]!.join(' '));
  t.diagnostic(`mail delivered while the gateway was down: ${alerts[2]!.slice(1).join(' | ')}`);
  const ids = lines.filter((f) => f[0] === 'message').map((f) => `${f[1]} ${f[4]}`);
  assert.equal(new Set(ids).size, ids.length, `no message shown twice:\n${ids.join('\n')}`);
  const atBob = bobAgain.events.filter((e) => e.event === 'message' && e.body === 'written while the gateway was down');
  assert.equal(atBob.length, 1, 'delivered once');
  assert.equal(count((f) => f[0] === 'message' && f[5] === 'bob in the room'), 1);
  assert.equal(count((f) => f[0] === 'error'), 0, lines.filter((f) => f[0] === 'error').join('\n'));
});

test('bad input: an unknown command is a clear error line and the demo keeps working; quit stops it', async () => {
  const mark = lines.length;
  say('dance now');
  assert.match((await line((f) => f[0] === 'error', 'error', mark))[1]!, /unknown command: dance now/);
  say(`say ${BOB} still here`);
  await line((f) => f[0] === 'message' && f[3] === 'out' && f[5] === 'still here', 'still working', mark);
  say('quit');
  const code = await new Promise((r) => (demo.exitCode !== null ? r(demo.exitCode) : demo.once('exit', r)));
  assert.equal(code, 0);
  assert.deepEqual(lines.at(-1), ['stopped']);
});
