// The desktop chat heals by itself after the server ended its session (issue 14, gap 8): IM
// switched off for the domain and on again, the gateway restarted, and — not retried — a device
// signed out. Against the real gateway (in-process, its directory does what `herald-gateway domain
// set --im off|on` does); meanwhile the chat's state says in words what it waits for.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addr, DOMAIN, newChat, startGatewayServer, until, type ChatServer, type TestChat } from './desktop-chat-helpers.ts';
import type { TestGateway } from '../fixtures/gateway.ts';
import { cli } from './revocation-helpers.ts';

describe('desktop chat after the server ended its session', () => {
  let srv: ChatServer & { gw(): TestGateway };
  const chats: TestChat[] = [];
  before(async () => {
    srv = await startGatewayServer();
  });
  after(async () => {
    for (const c of chats) await c.chat.disconnect().catch(() => {});
    await srv.destroy();
  });
  const online = async () => {
    const c = newChat();
    chats.push(c);
    await c.chat.connect(srv.options('alice'));
    assert.equal(c.chat.connection().state, 'online');
    c.fresh();
    return c;
  };

  test('IM switched off: the chat says it waits for IM and is never shown online; switched on again: it comes back by itself', async () => {
    const alice = await online();
    const since = alice.events.length;
    srv.gw().services.directory.setDomainIm(DOMAIN, false);
    const waiting = await alice.next('connection', (e) => /instant messaging is switched off for your domain; trying again in \d+ s/.test(e.detail ?? ''));
    assert.equal(waiting.state, 'connecting');
    // While it stays off, new logins are refused (SASL): the chat keeps waiting, in the same words.
    alice.fresh();
    await alice.next('connection', (e) => e.state === 'connecting' && /instant messaging is switched off for your domain; trying again now/.test(e.detail ?? ''));
    await alice.next('connection', (e) => /instant messaging is switched off for your domain; trying again/.test(e.detail ?? ''));
    assert.notEqual(alice.chat.connection().state, 'online');
    assert.ok(!alice.events.slice(since).some((e) => e.type === 'connection' && e.state === 'online'), 'never online while IM is off');
    srv.gw().services.directory.setDomainIm(DOMAIN, true);
    await alice.next('connection', (e) => e.state === 'online', 10_000);
    // Messages flow again.
    const bob = newChat();
    chats.push(bob);
    await bob.chat.connect(srv.options('bob'));
    const sent = await bob.chat.send({ to: addr('alice'), kind: 'chat', body: 'back again?' });
    const got = await alice.next('message', (e) => e.message.id === sent.id);
    assert.equal(got.message.server, undefined, "a person's message is not the server's");
    // From the archive too (a first run of another desktop of alice's fetches the latest page).
    const other = newChat();
    chats.push(other);
    await other.chat.connect(srv.options('alice'));
    const archived = await other.next('message', (e) => e.message.id === sent.id);
    assert.equal(archived.message.server, undefined, "an archived message of a person is not the server's");
    await other.chat.disconnect();
    await alice.chat.disconnect();
    await bob.chat.disconnect();
  });

  test('the real CLI (another process): `domain set --im off`, then `--im on` — the chat waits in words, then is back by itself', async () => {
    const alice = await online();
    const off = await cli(srv.gw(), ['domain', 'set', DOMAIN, '--im', 'off']);
    assert.equal(off.code, 0, off.stderr);
    await alice.next('connection', (e) => /instant messaging is switched off for your domain; trying again in \d+ s/.test(e.detail ?? ''), 10_000);
    const on = await cli(srv.gw(), ['domain', 'set', DOMAIN, '--im', 'on']);
    assert.equal(on.code, 0, on.stderr);
    await alice.next('connection', (e) => e.state === 'online', 15_000);
    await alice.chat.disconnect();
  });

  test('the gateway restarted: the chat says the server is restarting and reconnects', async () => {
    const alice = await online();
    await srv.restart();
    await alice.next('connection', (e) => /the server is restarting; trying again in \d+ s/.test(e.detail ?? ''));
    await alice.next('connection', (e) => e.state === 'online', 15_000);
    await alice.chat.disconnect();
  });

  test('a server IM (bare sender) is marked as sent by the server, and a later run finds its conversation in the history folder', async () => {
    const first = await online();
    srv.gw().xmpp!.sendSystemMessage({ from: 'monitoring@example.com', to: addr('alice'), body: 'disk /var is 91% full' });
    const got = await first.next('message', (e) => e.message.with === 'monitoring@example.com');
    assert.equal(got.message.server, true);
    assert.deepEqual(first.chat.serverConversations(), ['monitoring@example.com']);
    await first.chat.disconnect();
    // The next run of the app, same data folder: History lists it again.
    const again = newChat({ dir: first.dir });
    chats.push(again);
    await again.chat.connect(srv.options('alice'));
    await until('the history folder scanned', () => again.chat.serverConversations().includes('monitoring@example.com'));
    assert.equal((await again.chat.history({ with: 'monitoring@example.com', max: 5 }))[0]?.server, true);
    await again.chat.disconnect();
  });

  test('a signed-out device is not retried: offline, in words', async () => {
    const alice = await online();
    assert.ok(srv.gw().services.tokens.revoke(addr('alice')).devices > 0);
    const off = await alice.next('connection', (e) => e.state === 'offline');
    assert.match(off.detail ?? '', /not-authorized/);
    const since = alice.events.length;
    // It could retry within the backoff (100-800 ms): a second now shows it did not.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!alice.events.slice(since).some((e) => e.type === 'connection' && e.state === 'connecting'), 'no retry for a signed-out device');
  });
});
