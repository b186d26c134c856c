// xmpp.mode=external on a real ejabberd node (Debian's 23.01): the gateway runs `serve` with
// ejabberd carrying the chat, and a credential ended through the CLI (another process) ends the
// live ejabberd sessions it covers — a device token revoked, a user removed, a domain's IM
// switched off — through ejabberd's HTTP API (xmpp/external/ejabberd-kick.ts); sessions of others
// stay up (each proven by a message they receive afterwards).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCli } from '../fixtures/cli.ts';
import type { TestEjabberd } from '../fixtures/ejabberd.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { startSlixmpp, type Slixmpp } from '../fixtures/slixmpp.ts';
import { configureEjabberd, seedHerald } from '../fixtures/ejabberd-herald.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-kick-'));
const dataDir = path.join(dir, 'data');
const { cli } = createCli(dataDir);
let ejabberd: TestEjabberd | undefined;
let gw: TestGateway | undefined;
let c2sPort = 0;
let token = '';
const clients: Slixmpp[] = [];

async function ok(args: string[]) {
  const r = await cli(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

before(async () => {
  const domains = ['example.com', 'other.example'];
  token = (await seedHerald(dataDir, {
    domains,
    users: [['alice@example.com', 'alice password 1'], ['bob@example.com', 'bob password 12'], ['carol@other.example', 'carol password 1'], ['dan@other.example', 'dan password 12']],
    tokens: ['bob@example.com'],
  }))['bob@example.com']!;
  const node = await configureEjabberd({ dir, domains, cli });
  c2sPort = node.c2sPort;
  ejabberd = await node.start();
  gw = await startTestGateway({ 'xmpp.mode': 'external', 'xmpp.external.apiPort': node.apiPort, 'xmpp.external.c2sPort': c2sPort }, { dataDir });
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gw?.close();
  await ejabberd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function login(jid: string, password: string, label: string) {
  const c = await startSlixmpp({ label });
  clients.push(c);
  await c.call('connect', { jid: `${jid}/slix`, password, host: '127.0.0.1', port: c2sPort, starttls: true, sm: false }, 30_000);
  return c;
}

/** `to` is still connected: a message sent to it now arrives. */
async function stillConnected(from: Slixmpp, to: Slixmpp, toJid: string, body: string) {
  await from.call('send', { to: toJid, body });
  await to.next({ event: 'message', body }, 15_000);
}

test('a device token revoked with the CLI while serve runs ends that user\'s live ejabberd session; others stay', { timeout: 300_000 }, async () => {
  const bob = await login('bob@example.com', token, 'bob (device token)');
  const alice = await login('alice@example.com', 'alice password 1', 'alice');
  await ok(['token', 'revoke', 'bob@example.com']);
  // ejabberd's kick_session ends the stream with the reason Herald gave (RFC 6120 §4.9).
  const why = (await bob.next({ event: 'stream_error' }, 60_000)) as { text: string | null };
  assert.equal(why.text, 'your device was signed out');
  await bob.next({ event: 'disconnected' }, 30_000);
  const carol = await login('carol@other.example', 'carol password 1', 'carol');
  await stillConnected(carol, alice, 'alice@example.com', 'alice is still here');
  // And the token cannot log in again (extauth).
  const again = await startSlixmpp({ label: 'revoked token again' });
  clients.push(again);
  await assert.rejects(again.call('connect', { jid: 'bob@example.com/y', password: token, host: '127.0.0.1', port: c2sPort, starttls: true, sm: false }, 30_000));
  await Promise.all([alice.close(), carol.close()]);
});

test('IM switched off for a domain with the CLI ends every session of that domain on ejabberd; another domain stays', { timeout: 300_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1', 'alice (IM off)');
  const bob = await login('bob@example.com', 'bob password 12', 'bob (IM off)');
  const carol = await login('carol@other.example', 'carol password 1', 'carol (IM off)');
  const dan = await login('dan@other.example', 'dan password 12', 'dan (IM off)');
  await ok(['domain', 'set', 'example.com', '--im', 'off']);
  await Promise.all([alice.next({ event: 'disconnected' }, 60_000), bob.next({ event: 'disconnected' }, 60_000)]);
  await stillConnected(dan, carol, 'carol@other.example', 'other.example still chats');
  // A removed user's session ends too (the address is gone from the store by then).
  await ok(['user', 'del', 'carol@other.example']);
  await carol.next({ event: 'disconnected' }, 60_000);
  await stillConnected(dan, dan, 'dan@other.example', 'dan is still here');
});
