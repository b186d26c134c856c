// Issue 3's "done when", as an admin and two users would live it: `herald-gateway serve --demo`
// (STARTTLS required, self-signed certificate), two slixmpp clients (alice and bob, the demo's
// printed passwords) chat, join a room, fetch history and send a file; every message is in the
// day's central IM log; `domain set example.com --im off` from the CLI throws both out with a
// clear stream error, and a new login is refused saying why.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startSlixmpp, type SlixEvent, type Slixmpp } from '../fixtures/slixmpp.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'herald-gateway.mjs');
const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-demo-xmpp-'));
let child: ChildProcess | undefined;
const clients: Slixmpp[] = [];
after(async () => {
  for (const c of clients) await c.close();
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function serveDemo() {
  child = spawn(process.execPath, [bin, 'serve', '--demo', '--data', dataDir, '--http-port', '0', '--xmpp-port', '0'], {
    env: { ...process.env, HERALD_LOG_LEVEL: 'info', HERALD__HTTP__HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (out += c));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${out}`)), 30_000);
    child!.stdout!.on('data', (c: Buffer) => {
      out += c;
      if (/"url":"http/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child!.once('exit', (code) => reject(new Error(`the demo exited ${code}:\n${out}`)));
  });
  const password = (user: string) => new RegExp(`${user}@example\\.com\\s+password (\\S+)`).exec(out)?.[1];
  return {
    xmppPort: Number(/XMPP server listening on port (\d+)/.exec(out)![1]),
    passwords: { alice: password('alice')!, bob: password('bob')! },
  };
}

type Message = Extract<SlixEvent, { event: 'message' }>;

test('demo: two slixmpp clients chat, share a room, read history, send a file; all logged; IM off throws them out', async () => {
  const demo = await serveDemo();
  assert.ok(demo.passwords.alice && demo.passwords.bob, 'the demo printed the passwords');
  const connect = async (user: 'alice' | 'bob') => {
    const c = await startSlixmpp({ label: `${user}/demo` });
    clients.push(c);
    const r = await c.call('connect', { jid: `${user}@example.com`, password: demo.passwords[user], host: '127.0.0.1', port: demo.xmppPort, starttls: true, sm: true, resource: 'demo' });
    assert.equal(r.tls, true, 'STARTTLS (required by default)');
    return c;
  };
  const alice = await connect('alice');
  const bob = await connect('bob');

  // 1:1 chat.
  await alice.call('send', { to: 'bob@example.com', body: 'Lunch at noon?', type: 'chat' });
  assert.equal((await bob.next<Message>({ event: 'message', body: 'Lunch at noon?' })).from, 'alice@example.com/demo');
  await bob.call('send', { to: 'alice@example.com', body: 'Yes, the usual place.', type: 'chat' });
  await alice.next({ event: 'message', body: 'Yes, the usual place.' });

  // A room: both join, talk; history on the room's archive.
  const room = 'lunch@conference.example.com';
  await alice.call('muc_join', { room, nick: 'Alice' });
  await bob.call('muc_join', { room, nick: 'Bob' });
  await alice.call('muc_send', { room, body: 'Table for two booked.' });
  await bob.next<Message>((e) => e.event === 'message' && e.body === 'Table for two booked.' && e.type === 'groupchat');

  // History: the personal archive and the room's.
  const mine = await alice.call('mam_query', { with: 'bob@example.com' });
  assert.deepEqual(mine.messages.map((m) => m.body), ['Lunch at noon?', 'Yes, the usual place.']);
  const roomHistory = await bob.call('mam_query', { jid: room });
  assert.ok(roomHistory.messages.some((m) => m.body === 'Table for two booked.'), JSON.stringify(roomHistory.messages));

  // A file: slot, PUT, a link to Bob, GET.
  const file = path.join(dataDir, 'menu.txt');
  writeFileSync(file, 'Soup of the day: pumpkin\n');
  const up = await alice.call('upload', { path: file, content_type: 'text/plain' });
  await alice.call('send_oob', { to: 'bob@example.com', url: up.url });
  const link = await bob.next<Message>((e) => e.event === 'message' && (e as Message).oob?.includes(up.url) === true);
  assert.equal(await (await fetch(link.oob![0]!)).text(), 'Soup of the day: pumpkin\n');

  // The day's log has every one of them.
  const logs = readdirSync(path.join(dataDir, 'logs')).filter((f) => f.startsWith('XMPPServer-'));
  const log = logs.map((f) => readFileSync(path.join(dataDir, 'logs', f), 'utf8')).join('');
  for (const text of ['Lunch at noon?', 'Yes, the usual place.', 'Table for two booked.', up.url]) assert.ok(log.includes(text), `the IM log has "${text}"`);
  assert.match(log, /\tgroupchat\talice@example\.com\/demo\tlunch@conference\.example\.com\tTable for two booked\.\t/);

  // IM off for the domain, from the CLI while the server runs: both are thrown out, saying why.
  const r = spawnSync(process.execPath, [bin, 'domain', 'set', 'example.com', '--im', 'off', '--data', dataDir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const c of [alice, bob]) {
    const e = await c.next<Extract<SlixEvent, { event: 'stream_error' }>>({ event: 'stream_error' }, 10_000);
    assert.equal(e.condition, 'policy-violation');
    assert.match(e.text ?? '', /instant messaging was switched off for example\.com/);
  }
  const again = await startSlixmpp({ label: 'alice/refused' });
  clients.push(again);
  await assert.rejects(
    again.call('connect', { jid: 'alice@example.com', password: demo.passwords.alice, host: '127.0.0.1', port: demo.xmppPort, starttls: true, sm: false, resource: 'again' }),
    /not-authorized, instant messaging is disabled for example\.com/,
  );
});
