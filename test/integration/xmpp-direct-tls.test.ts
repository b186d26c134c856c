// XEP-0368 direct TLS: slixmpp connects with TLS from the first byte (use_ssl) to
// xmpp.directTlsPort, with STARTTLS still required on the normal port; no STARTTLS is offered
// inside a direct-TLS stream, and plaintext on the TLS port ends only that connection.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { startSlixmpp, type SlixEvent, type Slixmpp } from '../fixtures/slixmpp.ts';
import { XmlStream } from '../../gateway/src/xmpp/core/xml-stream.ts';
import type { Element } from 'ltx';

let gw: TestGateway;
const clients: Slixmpp[] = [];

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': true, 'xmpp.directTlsPort': 0 });
  await gw.user('alice@example.com', 'alice-password-1');
  await gw.user('bob@example.com', 'bob-password-12');
});

after(async () => {
  for (const c of clients) await c.close();
  await gw?.destroy();
});

test('slixmpp logs in over direct TLS and chats with a STARTTLS client', async () => {
  assert.ok(gw.xmppDirectTlsPort, 'the direct TLS port listens');
  const alice = await startSlixmpp({ label: 'alice/direct' });
  const bob = await startSlixmpp({ label: 'bob/starttls' });
  clients.push(alice, bob);
  const a = await alice.call('connect', { jid: 'alice@example.com', password: 'alice-password-1', host: '127.0.0.1', port: gw.xmppDirectTlsPort!, direct_tls: true, starttls: false, sm: false, resource: 'direct' });
  assert.equal(a.tls, true);
  await bob.call('connect', { jid: 'bob@example.com', password: 'bob-password-12', host: '127.0.0.1', port: gw.xmppPort!, starttls: true, sm: false, resource: 'desk' });
  await alice.call('send', { to: 'bob@example.com', body: 'over direct TLS', type: 'chat' });
  const got = await bob.next<Extract<SlixEvent, { event: 'message' }>>({ event: 'message', body: 'over direct TLS' });
  assert.equal(got.from, 'alice@example.com/direct');
});

function features(socket: tls.TLSSocket): Promise<Element> {
  return new Promise((resolve, reject) => {
    const parser = new XmlStream({ maxStanzaChars: 100_000, maxDepth: 20 }, { streamStart: () => {}, stanza: (el) => el.name === 'stream:features' && resolve(el), streamEnd: () => {} });
    socket.on('data', (c: Buffer) => parser.write(c));
    socket.on('error', reject);
    socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>`);
  });
}

test('a direct TLS stream offers SASL at once and no STARTTLS; ALPN says xmpp-client', async () => {
  const socket = tls.connect({ port: gw.xmppDirectTlsPort!, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'], servername: 'example.com' });
  await new Promise<void>((r, j) => socket.once('secureConnect', () => r()).once('error', j));
  assert.equal(socket.alpnProtocol, 'xmpp-client');
  const f = await features(socket);
  assert.equal(f.getChild('starttls'), undefined, f.toString());
  const mechs = f.getChild('mechanisms')!.getChildren('mechanism').map((m) => m.getText());
  assert.ok(mechs.includes('SCRAM-SHA-256') && mechs.includes('PLAIN'), mechs.join());
  socket.destroy();
});

test('plaintext on the direct TLS port ends only that connection', async () => {
  const s = net.connect(gw.xmppDirectTlsPort!, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>`);
  await new Promise<void>((r) => s.once('close', () => r()));
  // The server still serves everyone else.
  const socket = tls.connect({ port: gw.xmppDirectTlsPort!, host: '127.0.0.1', rejectUnauthorized: false });
  await new Promise<void>((r, j) => socket.once('secureConnect', () => r()).once('error', j));
  assert.ok(await features(socket));
  socket.destroy();
  await clients[0]!.call('iq_ping', {});
});
