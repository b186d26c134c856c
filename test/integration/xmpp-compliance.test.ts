// XEP-0479 (XMPP Compliance Suites 2023) as a checklist: each row of the suites' tables that
// concerns a server, with whether we claim it and how the running server proves it (stream
// features, disco, a live check). A claimed row whose proof is missing fails; so does disco
// advertising a feature no row accounts for ("advertising exactly what is implemented").
// Rows we do not claim say why; the README repeats them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import type { Element } from 'ltx';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { connectRaw, plain, streamOpen, type RawClient } from '../fixtures/xmpp-raw.ts';
import { handshakeDigest } from '../../gateway/src/xmpp/external-components.ts';
import { XmlStream } from '../../gateway/src/xmpp/core/xml-stream.ts';
import { NS_CAPS, verificationHash } from '../../gateway/src/xmpp/modules/pep/caps.ts';

const DOMAIN = 'example.com';
let gw: TestGateway;

interface Facts {
  preAuth: Element;
  postAuth: Element;
  serverInfo: Element;
  serverItems: string[];
  accountInfo: Element;
  componentInfo: Map<string, Element>;
  roomInfo: Element;
  client: RawClient;
}
let facts: Facts;

const features = (q: Element) => q.getChildren('feature').map((f) => f.attrs.var as string);
const identities = (q: Element) => q.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`);

async function iq(c: RawClient, to: string, xmlns: string, id: string, inner = ''): Promise<Element> {
  c.send(`<iq type='get' id='${id}' to='${to}'><query xmlns='${xmlns}'>${inner}</query></iq>`);
  const r = await c.next((e) => e.name === 'iq' && e.attrs.id === id);
  assert.equal(r.attrs.type, 'result', r.toString());
  return r.getChild('query')!;
}

before(async () => {
  gw = await startTestGateway({
    'xmpp.requireTls': true,
    'xmpp.directTlsPort': 0,
    'xmpp.componentPort': 0,
    'xmpp.components': [{ domain: `bot.${DOMAIN}`, secret: 'compliance-secret-123456' }],
  });
  await gw.user(`alice@${DOMAIN}`, 'alice-password-1');
  const c = await connectRaw(gw.xmppPort!);
  c.send(streamOpen(DOMAIN));
  await c.next((e) => e.name === 'stream:features');
  c.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
  await c.next((e) => e.name === 'proceed');
  await c.startTls();
  c.send(streamOpen(DOMAIN));
  const preAuth = await c.next((e) => e.name === 'stream:features');
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain(`alice@${DOMAIN}`, 'alice-password-1')}</auth>`);
  await c.next((e) => e.name === 'success');
  c.restart();
  c.send(streamOpen(DOMAIN));
  const postAuth = await c.next((e) => e.name === 'stream:features');
  c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>compliance</resource></bind></iq>`);
  await c.next((e) => e.attrs.id === 'b');
  const serverInfo = await iq(c, DOMAIN, 'http://jabber.org/protocol/disco#info', 'i1');
  const serverItems = (await iq(c, DOMAIN, 'http://jabber.org/protocol/disco#items', 'i2')).getChildren('item').map((i) => i.attrs.jid as string);
  const accountInfo = await iq(c, `alice@${DOMAIN}`, 'http://jabber.org/protocol/disco#info', 'i3');
  const componentInfo = new Map<string, Element>();
  for (const jid of serverItems.filter((j) => j !== `bot.${DOMAIN}`)) componentInfo.set(jid, await iq(c, jid, 'http://jabber.org/protocol/disco#info', `c-${jid}`));
  // A room, to see what rooms advertise.
  c.send(`<presence to='checklist@conference.${DOMAIN}/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
  await c.next((e) => e.name === 'presence' && e.attrs.from === `checklist@conference.${DOMAIN}/alice`);
  c.send(`<iq type='set' id='cfg' to='checklist@conference.${DOMAIN}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`);
  await c.next((e) => e.attrs.id === 'cfg');
  const roomInfo = await iq(c, `checklist@conference.${DOMAIN}`, 'http://jabber.org/protocol/disco#info', 'r1');
  facts = { preAuth, postAuth, serverInfo, serverItems, accountInfo, componentInfo, roomInfo, client: c };
});

after(async () => {
  facts?.client.close();
  await gw?.destroy();
});

const componentWith = (feature: string) => [...facts.componentInfo.values()].find((q) => features(q).includes(feature));

async function directTlsFeatures(): Promise<Element> {
  const socket = tls.connect({ port: gw.xmppDirectTlsPort!, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'] });
  try {
    return await new Promise<Element>((resolve, reject) => {
      const parser = new XmlStream({ maxStanzaChars: 100_000, maxDepth: 20 }, { streamStart: () => {}, stanza: (el) => el.name === 'stream:features' && resolve(el), streamEnd: () => {} });
      socket.on('data', (d: Buffer) => parser.write(d)).on('error', reject);
      socket.once('secureConnect', () => socket.write(streamOpen(DOMAIN)));
    });
  } finally {
    socket.destroy();
  }
}

async function componentHandshake(): Promise<boolean> {
  const c = await connectRaw(gw.xmppComponentPort!);
  c.send(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='bot.${DOMAIN}'>`);
  while (!c.streamHeaders[0]) await new Promise((r) => setTimeout(r, 10));
  c.send(`<handshake>${handshakeDigest(c.streamHeaders[0].id!, 'compliance-secret-123456')}</handshake>`);
  const ok = await c.next((e) => e.name === 'handshake' || e.name === 'stream:error');
  c.close();
  return ok.name === 'handshake';
}

async function websocketOpens(): Promise<boolean> {
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/xmpp-websocket`, 'xmpp');
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  const frame = new Promise<string>((r) => ws.once('message', (d) => r(String(d))));
  ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='${DOMAIN}' version='1.0'/>`);
  const open = await frame;
  ws.close();
  return open.startsWith('<open') && open.includes('urn:ietf:params:xml:ns:xmpp-framing');
}

type Level = 'server' | 'advanced';
interface Row {
  suite: string;
  feature: string;
  spec: string;
  /** The lowest server level XEP-0479 requires it for. */
  level: Level;
  /** How we prove it, or why we do not claim it. */
  check: (() => boolean | Promise<boolean>) | { notClaimed: string };
  /** disco#info features this row accounts for on the server's own JID. */
  serverFeatures?: string[];
}

const ROWS: Row[] = [
  { suite: 'Core', feature: 'Core features', spec: 'RFC 6120', level: 'server', check: () => !!facts.postAuth.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind') && facts.preAuth.getChild('mechanisms')!.getChildren('mechanism').some((m) => m.getText() === 'SCRAM-SHA-256') },
  { suite: 'Core', feature: 'TLS', spec: 'RFC 7590', level: 'server', check: async () => !!(await connectAndReadFeatures()).getChild('starttls')?.getChild('required') },
  { suite: 'Core', feature: 'Direct TLS', spec: 'XEP-0368', level: 'advanced', check: async () => !(await directTlsFeatures()).getChild('starttls') },
  { suite: 'Core', feature: 'Feature discovery', spec: 'XEP-0030', level: 'server', check: () => identities(facts.serverInfo).includes('server/im'), serverFeatures: ['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items'] },
  {
    suite: 'Core',
    feature: 'Feature broadcasts',
    spec: 'XEP-0115',
    level: 'advanced',
    // The server's <c/> stream feature (§6.3) carries the verification string of its own disco#info; clients' caps are learnt by PEP.
    check: () => {
      const c = facts.postAuth.getChild('c', NS_CAPS);
      return !!c && c.attrs.hash === 'sha-1' && c.attrs.ver === verificationHash(facts.serverInfo);
    },
    serverFeatures: [NS_CAPS],
  },
  { suite: 'Core', feature: 'Server extensibility', spec: 'XEP-0114', level: 'server', check: componentHandshake },
  { suite: 'Core', feature: 'Event publishing', spec: 'XEP-0163', level: 'advanced', check: () => identities(facts.accountInfo).includes('pubsub/pep') && features(facts.accountInfo).includes('http://jabber.org/protocol/pubsub#publish') },
  { suite: 'Web', feature: 'Web connection mechanisms', spec: 'RFC 7395', level: 'server', check: websocketOpens },
  { suite: 'IM', feature: 'Core features', spec: 'RFC 6121', level: 'server', check: () => !!facts.postAuth.getChild('ver', 'urn:xmpp:features:rosterver'), serverFeatures: ['msgoffline'] },
  { suite: 'IM', feature: 'User avatar compatibility', spec: 'XEP-0398, XEP-0153', level: 'advanced', check: () => features(facts.accountInfo).includes('urn:xmpp:pep-vcard-conversion:0') },
  { suite: 'IM', feature: 'vcard-temp', spec: 'XEP-0054', level: 'server', check: () => features(facts.serverInfo).includes('vcard-temp'), serverFeatures: ['vcard-temp'] },
  { suite: 'IM', feature: 'Outbound message synchronization', spec: 'XEP-0280', level: 'server', check: () => features(facts.serverInfo).includes('urn:xmpp:carbons:2'), serverFeatures: ['urn:xmpp:carbons:2'] },
  { suite: 'IM', feature: 'User blocking', spec: 'XEP-0191', level: 'advanced', check: () => features(facts.serverInfo).includes('urn:xmpp:blocking'), serverFeatures: ['urn:xmpp:blocking'] },
  {
    suite: 'IM',
    feature: 'Group chat',
    spec: 'XEP-0045, XEP-0249',
    level: 'server',
    check: () => {
      const muc = componentWith('http://jabber.org/protocol/muc');
      return !!muc && identities(muc).includes('conference/text') && facts.serverItems.includes(`conference.${DOMAIN}`);
    },
  },
  {
    suite: 'IM',
    feature: 'Advanced group chat',
    spec: 'XEP-0048, XEP-0313 (rooms), XEP-0402, XEP-0410',
    level: 'advanced',
    check: () => features(facts.accountInfo).includes('urn:xmpp:bookmarks:1#compat') && features(facts.roomInfo).includes('urn:xmpp:mam:2'),
  },
  { suite: 'IM', feature: 'Persistent storage of private data via PubSub', spec: 'XEP-0223', level: 'advanced', check: () => features(facts.accountInfo).includes('http://jabber.org/protocol/pubsub#publish-options') },
  { suite: 'IM', feature: 'Private XML storage', spec: 'XEP-0049', level: 'advanced', check: () => features(facts.serverInfo).includes('jabber:iq:private'), serverFeatures: ['jabber:iq:private'] },
  { suite: 'IM', feature: 'Stream management', spec: 'XEP-0198', level: 'advanced', check: () => !!facts.postAuth.getChild('sm', 'urn:xmpp:sm:3') },
  // Also on the server's own disco#info: older clients (profanity 0.13) look for it there, as ejabberd lists it.
  { suite: 'IM', feature: 'History storage / retrieval', spec: 'XEP-0313', level: 'advanced', check: () => [facts.accountInfo, facts.roomInfo, facts.serverInfo].every((q) => features(q).includes('urn:xmpp:mam:2')), serverFeatures: ['urn:xmpp:mam:2'] },
  {
    suite: 'IM',
    feature: 'File upload',
    spec: 'XEP-0363',
    level: 'server',
    check: () => {
      const up = componentWith('urn:xmpp:http:upload:0');
      return !!up && identities(up).includes('store/file');
    },
  },
  { suite: 'Mobile', feature: 'Stream management', spec: 'XEP-0198', level: 'server', check: () => !!facts.postAuth.getChild('sm', 'urn:xmpp:sm:3') },
  { suite: 'Mobile', feature: 'Client state indication', spec: 'XEP-0352', level: 'server', check: () => !!facts.postAuth.getChild('csi', 'urn:xmpp:csi:0') },
  { suite: 'Mobile', feature: 'Third party push notifications', spec: 'XEP-0357', level: 'advanced', check: { notClaimed: 'no push (desktop clients keep their connection)' } },
  { suite: 'A/V', feature: 'STUN/TURN server discovery', spec: 'XEP-0215', level: 'server', check: { notClaimed: 'no calls in Herald' } },
];

/** Features outside XEP-0479's rows that modules implement and advertise on the server's JID. */
const OTHER_SERVER_FEATURES = ['urn:xmpp:ping', 'urn:xmpp:features:rosterver', 'http://jabber.org/protocol/xhtml-im'];

async function connectAndReadFeatures(): Promise<Element> {
  const c = await connectRaw(gw.xmppPort!);
  c.send(streamOpen(DOMAIN));
  const f = await c.next((e) => e.name === 'stream:features');
  c.kill();
  return f;
}

for (const row of ROWS) {
  const name = `XEP-0479 ${row.suite} / ${row.feature} (${row.spec}, ${row.level} level)`;
  const check = row.check;
  if (typeof check !== 'function') {
    // Not a pass: the runner counts it as skipped, with the reason (the disco test below proves it is not advertised).
    test(`${name}: not claimed`, { skip: `not claimed — ${check.notClaimed}` });
    continue;
  }
  test(`${name}: claimed and proven`, async () => {
    assert.equal(await check(), true, `${row.spec} is claimed but the running server does not show it`);
  });
}

test('the server’s disco#info advertises exactly the claimed features (none missing, none extra)', () => {
  const claimed = new Set([...ROWS.flatMap((r) => r.serverFeatures ?? []), ...OTHER_SERVER_FEATURES]);
  assert.deepEqual(new Set(features(facts.serverInfo)), claimed);
});

test('the "IM Server" level of XEP-0479 is met by the claimed rows of Core, Web and IM', () => {
  const missing = ROWS.filter((r) => ['Core', 'Web', 'IM'].includes(r.suite) && r.level === 'server' && typeof r.check !== 'function');
  assert.deepEqual(missing.map((r) => r.spec), []);
});

test('the "Advanced IM Server" level of XEP-0479 is met: every Core, Web and IM row is claimed and proven', () => {
  const missing = ROWS.filter((r) => ['Core', 'Web', 'IM'].includes(r.suite) && typeof r.check !== 'function');
  assert.deepEqual(missing.map((r) => `${r.spec}: ${(r.check as { notClaimed: string }).notClaimed}`), []);
});
