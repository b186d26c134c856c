// XMPP over WebSocket (RFC 7395) at /xmpp-websocket on the HTTP port: frame by frame with a raw
// WebSocket, and with xmpp.js's @xmpp/client (what the desktop app will use). Over wss:// (the
// gateway's self-signed certificate, pinned): with xmpp.requireTls a plain ws:// stream is not
// encrypted, loopback peer or not, unless a trusted proxy says it terminated TLS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type Element } from 'ltx';
import { createElementQueue } from '../fixtures/element-queue.ts';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { plain } from '../fixtures/xmpp-raw.ts';

let gw: TestGateway;
const PW = 'web socket pw';
before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': true });
  await gw.user('alice@example.com', PW);
  await gw.user('bob@example.com', PW);
});
after(() => gw.destroy());

const wsUrl = () => `${gw.httpsUrl.replace('https', 'wss')}/xmpp-websocket`;
const plainWsUrl = () => `${gw.url.replace('http', 'ws')}/xmpp-websocket`;
/** A WebSocket that trusts the gateway's certificate (and nothing else). */
const connect = (url: string, protocols?: string[], headers?: Record<string, string>) => new WebSocket(url, protocols, { ca: gw.certificate.cert, headers });

function frames(ws: WebSocket) {
  const q = createElementQueue();
  ws.on('message', (d) => q.push(parse(String(d))));
  return q.next;
}

const OPEN = `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>`;

test('RFC 7395 framing: open, features, SASL, restart, bind, chat between two sockets, close', async () => {
  const ws = connect(wsUrl(), ['xmpp']);
  await new Promise((r) => ws.once('open', r));
  assert.equal(ws.protocol, 'xmpp');
  const next = await frames(ws);
  ws.send(OPEN);
  const open = await next((e) => e.name === 'open');
  assert.equal(open.attrs.xmlns, 'urn:ietf:params:xml:ns:xmpp-framing');
  const features = await next((e) => e.name === 'stream:features');
  assert.ok(features.getChild('mechanisms')?.getChildren('mechanism').some((m) => m.getText() === 'PLAIN'), 'wss:// counts as encrypted');
  assert.equal(features.getChild('starttls'), undefined, 'no STARTTLS over WebSocket');
  ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain('alice', PW)}</auth>`);
  await next((e) => e.name === 'success');
  ws.send(OPEN);
  await next((e) => e.name === 'open');
  await next((e) => e.name === 'stream:features' && !!e.getChild('bind'));
  ws.send(`<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>`);
  assert.equal((await next((e) => e.attrs.id === 'b')).getChild('bind')?.getChildText('jid'), 'alice@example.com/web');
  ws.send(`<presence xmlns='jabber:client'/>`);

  // bob, on a second WebSocket, writes to alice.
  const ws2 = connect(wsUrl(), ['xmpp']);
  await new Promise((r) => ws2.once('open', r));
  const next2 = await frames(ws2);
  ws2.send(OPEN);
  await next2((e) => e.name === 'stream:features');
  ws2.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain('bob', PW)}</auth>`);
  await next2((e) => e.name === 'success');
  ws2.send(OPEN);
  await next2((e) => e.name === 'stream:features' && !!e.getChild('bind'));
  ws2.send(`<iq xmlns='jabber:client' type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
  await next2((e) => e.attrs.id === 'b2');
  ws2.send(`<message xmlns='jabber:client' to='alice@example.com' type='chat' id='w1'><body>over websockets</body></message>`);
  const m = await next((e) => e.name === 'message' && e.attrs.id === 'w1');
  assert.equal(m.attrs.xmlns, 'jabber:client', 'each frame carries the stanza namespace');
  assert.equal(m.getChildText('body'), 'over websockets');

  ws.send(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
  await next((e) => e.name === 'close');
  await new Promise((r) => ws.once('close', r));
  ws2.close();
});

test('without the "xmpp" subprotocol, or with garbage, the socket is closed and nothing else is disturbed', async () => {
  const plainWs = connect(wsUrl());
  const code = await new Promise<number>((r) => plainWs.once('close', (c) => r(c)));
  assert.equal(code, 1002);
  const ws = connect(wsUrl(), ['xmpp']);
  await new Promise((r) => ws.once('open', r));
  const next = await frames(ws);
  ws.send(`${OPEN}`);
  await next((e) => e.name === 'stream:features');
  ws.send('<!DOCTYPE x><message/>');
  const err = await next((e) => e.name === 'stream:error');
  assert.ok(err.getChild('restricted-xml'));
  await next((e) => e.name === 'close');
  assert.equal((await gw.api('GET', '/api/v1/health')).status, 200);
});

test('@xmpp/client (xmpp.js) signs in over WebSocket with SCRAM and exchanges messages', async () => {
  const ca = gw.certificate.cert;
  // xmpp.js takes the global WebSocket; this one trusts the gateway's self-signed certificate.
  (globalThis as { WebSocket?: unknown }).WebSocket = class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { ca });
    }
  };
  const { client } = await import('@xmpp/client');
  const mk = (username: string, resource: string) => client({ service: wsUrl(), domain: 'example.com', username, password: PW, resource });
  const alice = mk('alice', 'xmppjs');
  const bob = mk('bob', 'xmppjs');
  const bobGot: Element[] = [];
  bob.on('stanza', (s: Element) => bobGot.push(s));
  for (const c of [alice, bob]) c.on('error', () => {});
  const [aliceJid] = await Promise.all([alice.start(), bob.start()]);
  assert.equal(String(aliceJid), 'alice@example.com/xmppjs');
  await bob.send(parse(`<presence/>`));
  await alice.send(parse(`<message to='bob@example.com' type='chat'><body>hello from xmpp.js</body></message>`));
  for (let i = 0; i < 100 && !bobGot.some((s) => s.is('message')); i++) await new Promise((r) => setTimeout(r, 20));
  const msg = bobGot.find((s) => s.is('message'));
  assert.equal(msg?.getChildText('body'), 'hello from xmpp.js');
  assert.equal(msg?.attrs.from, 'alice@example.com/xmppjs');
  await Promise.all([alice.stop(), bob.stop()]);
});

/** The first stream features on a fresh stream, over `url`. */
async function featuresOver(url: string, headers?: Record<string, string>) {
  const ws = connect(url, ['xmpp'], headers);
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const next = await frames(ws);
  ws.send(OPEN);
  const features = await next((e) => e.name === 'stream:features' || e.name === 'stream:error');
  const mechanisms = features.getChild('mechanisms')?.getChildren('mechanism').map((m) => m.getText()) ?? [];
  ws.terminate();
  return { features, mechanisms };
}

test('plain ws:// from a loopback peer is not encrypted: no sign-in with requireTls (a plain-HTTP proxy on this host got around it)', async () => {
  const plainWs = await featuresOver(plainWsUrl());
  assert.equal(plainWs.features.name, 'stream:error', `refused, not offered mechanisms: ${String(plainWs.features)}`);
  assert.ok(plainWs.features.getChild('policy-violation'));
  assert.match(String(plainWs.features), /encrypted connection is required/);
  // The same request with a proxy's "https" is not believed while http.trustProxy is off.
  const forged = await featuresOver(plainWsUrl(), { 'x-forwarded-proto': 'https' });
  assert.deepEqual(forged.mechanisms, []);
  // The control: over wss:// the same server offers PLAIN (so the check above could have seen it).
  assert.ok((await featuresOver(wsUrl())).mechanisms.includes('PLAIN'));
});

test('http.trustProxy: the proxy\'s X-Forwarded-Proto: https counts as encrypted, http does not', async () => {
  const proxied = await startTestGateway({ 'xmpp.requireTls': true, 'http.trustProxy': true });
  try {
    await proxied.user('alice@example.com', PW);
    const url = `${proxied.url.replace('http', 'ws')}/xmpp-websocket`;
    assert.ok((await featuresOver(url, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.7' })).mechanisms.includes('PLAIN'));
    assert.deepEqual((await featuresOver(url, { 'x-forwarded-proto': 'http', 'x-forwarded-for': '192.0.2.7' })).mechanisms, []);
    assert.deepEqual((await featuresOver(url)).mechanisms, [], 'a loopback peer without the header is not encrypted');
  } finally {
    await proxied.destroy();
  }
});

test('xmpp.plainWebSocketFromLoopback (the demo): plain ws:// from loopback counts, but not with a proxy header', async () => {
  const demo = await startTestGateway({ 'xmpp.requireTls': true, 'xmpp.plainWebSocketFromLoopback': true });
  try {
    await demo.user('alice@example.com', PW);
    const url = `${demo.url.replace('http', 'ws')}/xmpp-websocket`;
    assert.ok((await featuresOver(url)).mechanisms.includes('PLAIN'));
    assert.deepEqual((await featuresOver(url, { 'x-forwarded-for': '192.0.2.7' })).mechanisms, [], 'a proxy in front: the network behind it is not loopback');
    assert.deepEqual((await featuresOver(url, { via: '1.1 nginx' })).mechanisms, []);
  } finally {
    await demo.destroy();
  }
});
