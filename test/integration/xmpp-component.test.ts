// XEP-0114 external components against a real one: slixmpp's ComponentXMPP (an echo bot) owns
// bot.example.com; users of example.com talk to it through our server, it answers and writes to
// offline users; every message is in the central IM log. Bad handshakes, spoofed senders and
// a second connection for the same domain end only that component stream.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { handshakeDigest } from '../../gateway/src/xmpp/external-components.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { readFileSafe } from '../fixtures/peer-utils.ts';
import { startSlixComponent, type SlixComponent } from '../fixtures/slixmpp-component.ts';
import { connectRaw, login, type RawClient } from '../fixtures/xmpp-raw.ts';

const SECRET = 'component-secret-0123456789';
let gw: TestGateway;
let bot: SlixComponent;
let componentPort: number;

before(async () => {
  gw = await startTestGateway({
    'xmpp.requireTls': false,
    'xmpp.componentPort': 0,
    'xmpp.components': [{ domain: 'bot.example.com', secret: SECRET }],
  });
  await gw.user('alice@example.com', 'alice-password-1');
  await gw.user('bob@example.com', 'bob-password-12');
  componentPort = gw.xmppComponentPort!;
  assert.ok(componentPort > 0, 'the component port listens');
  bot = startSlixComponent({ jid: 'bot.example.com', secret: SECRET, port: componentPort });
  await bot.next((e) => e.event === 'connected');
});

after(async () => {
  await bot?.stop();
  await gw?.destroy();
});

const todaysLog = () => readFileSafe(path.join(gw.dataDir, 'logs', `XMPPServer-${new Date().toISOString().slice(0, 10)}.log`));

test('users talk to a component and it answers; both directions are in the central IM log; disco lists it', async () => {
  const alice = await login(gw.xmppPort!, 'alice@example.com', 'alice-password-1', 'desk');
  alice.send(`<presence/>`);
  alice.send(`<message to='bot.example.com' type='chat' id='m1'><body>status of build 42?</body></message>`);
  const got = await bot.next((e) => e.event === 'message');
  assert.equal(got.from, 'alice@example.com/desk', 'the server stamps the full JID of the sender');
  assert.equal(got.body, 'status of build 42?');
  const echo = await alice.next((e) => e.name === 'message' && e.attrs.from === 'bot.example.com');
  assert.equal(echo.getChildText('body'), 'echo: status of build 42?');
  const log = todaysLog();
  assert.match(log, /alice@example\.com\/desk.*bot\.example\.com.*status of build 42\?/);
  assert.match(log, /bot\.example\.com.*alice@example\.com.*echo: status of build 42\?/);

  alice.send(`<iq type='get' id='items' to='example.com'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`);
  const items = await alice.next((e) => e.attrs.id === 'items');
  assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === 'bot.example.com'), items.toString());

  // The component pings Alice's client: the iq is routed to her session and her answer back.
  bot.send({ cmd: 'iq_ping', to: 'alice@example.com/desk' });
  const ping = await alice.next((e) => e.name === 'iq' && e.getChild('ping', 'urn:xmpp:ping') !== undefined);
  alice.send(`<iq type='result' id='${ping.attrs.id}' to='${ping.attrs.from}'/>`);
  await bot.next((e) => e.event === 'pong');
  alice.close();
});

test('a component’s message to an offline user waits in offline storage; to an unknown user it bounces', async () => {
  bot.send({ cmd: 'send', to: 'bob@example.com', body: 'nightly backup finished' });
  bot.send({ cmd: 'send', to: 'nobody@example.com', body: 'hello?' });
  // (slixmpp reads the condition of an error in a component stream only when the <error/> is in
  // jabber:client; the raw-component test below checks the condition itself.)
  const bounced = await bot.next((e) => e.event === 'error_message');
  assert.equal(bounced.from, 'nobody@example.com');
  const bob = await login(gw.xmppPort!, 'bob@example.com', 'bob-password-12');
  bob.send(`<presence/>`);
  const msg = await bob.next((e) => e.name === 'message' && e.attrs.from === 'bot.example.com');
  assert.equal(msg.getChildText('body'), 'nightly backup finished');
  assert.ok(msg.getChild('delay', 'urn:xmpp:delay'), 'stamped as delayed');
  bob.close();
});

async function rawComponent(domain: string): Promise<RawClient> {
  const c = await connectRaw(componentPort);
  c.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}'>`);
  return c;
}

const streamError = async (c: RawClient) => {
  const e = await c.next((el) => el.name === 'stream:error');
  await c.closed;
  return e.getChildElements()[0]!.name;
};

test('bad handshakes and spoofing end only that component stream', async () => {
  // Wrong secret.
  let c = await rawComponent('bot.example.com');
  await new Promise((r) => setTimeout(r, 50));
  c.send(`<handshake>${handshakeDigest(c.streamHeaders[0]!.id!, 'wrong-secret-0123456789')}</handshake>`);
  assert.equal(await streamError(c), 'not-authorized');
  // A domain nobody configured.
  c = await rawComponent('evil.example.com');
  assert.equal(await streamError(c), 'host-unknown');
  // A stanza before the handshake.
  c = await rawComponent('bot.example.com');
  c.send(`<message to='alice@example.com'><body>x</body></message>`);
  assert.equal(await streamError(c), 'not-authorized');
  // The right secret, but the bot is already connected.
  c = await rawComponent('bot.example.com');
  await c.next(() => true, 200).catch(() => undefined);
  while (!c.streamHeaders[0]) await new Promise((r) => setTimeout(r, 10));
  c.send(`<handshake>${handshakeDigest(c.streamHeaders[0].id!, SECRET)}</handshake>`);
  assert.equal(await streamError(c), 'conflict');

  // The bot still works after all that.
  const alice = await login(gw.xmppPort!, 'alice@example.com', 'alice-password-1', 'after');
  alice.send(`<message to='bot.example.com' type='chat'><body>still there?</body></message>`);
  assert.equal((await alice.next((e) => e.name === 'message' && e.attrs.from === 'bot.example.com')).getChildText('body'), 'echo: still there?');
  alice.close();
});

test('a component may speak only for its own domain; while it is away users get remote-server-timeout', async () => {
  await bot.stop();
  const alice = await login(gw.xmppPort!, 'alice@example.com', 'alice-password-1', 'away');
  alice.send(`<message to='bot.example.com' type='chat' id='lost'><body>anyone?</body></message>`);
  const err = await alice.next((e) => e.attrs.id === 'lost' && e.attrs.type === 'error');
  assert.ok(err.getChild('error')!.getChild('remote-server-timeout'), err.toString());

  const c = await rawComponent('bot.example.com');
  while (!c.streamHeaders[0]) await new Promise((r) => setTimeout(r, 10));
  c.send(`<handshake>${handshakeDigest(c.streamHeaders[0].id!, SECRET)}</handshake>`);
  await c.next((e) => e.name === 'handshake');
  c.send(`<message from='bot.example.com' to='nobody@example.com' id='n1'><body>hello?</body></message>`);
  const bounce = await c.next((e) => e.attrs.id === 'n1');
  assert.ok(bounce.getChild('error')!.getChild('service-unavailable'), bounce.toString());
  c.send(`<message from='bob@example.com' to='alice@example.com' type='chat'><body>I am Bob, really</body></message>`);
  assert.equal(await streamError(c), 'invalid-from');
  await assert.rejects(alice.next((e) => e.name === 'message' && /really/.test(e.toString()), 300), 'the spoofed message was not delivered');
  assert.doesNotMatch(todaysLog(), /I am Bob, really/);
  alice.close();
});
