// Blocking Command (XEP-0191) on the embedded XMPP server, XML in and out: the blocklist (get,
// block, unblock, unblock all) with pushes, what a block does to messages (service-unavailable
// to the blocked sender, not-acceptable + <blocked/> to the blocker; nothing delivered, stored
// offline, archived or logged), iq and presence (unavailable on block, current presence again on
// unblock), room occupants, WebSocket sessions, bad requests, and a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, type Element } from 'ltx';
import { createElementQueue } from '../fixtures/element-queue.ts';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { login, plain, type RawClient } from '../fixtures/xmpp-raw.ts';

type Client = RawClient & { jid: string };
const PW = 'correct horse battery';
const NS = 'urn:xmpp:blocking';
const MUC = 'http://jabber.org/protocol/muc';
let gw: TestGateway;

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'fred']) await gw.user(`${u}@example.com`, PW);
});
after(() => gw.destroy());

let n = 0;
async function iq(c: Client, type: 'get' | 'set', payload: string, to?: string): Promise<Element> {
  const id = `b${++n}`;
  c.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
  return c.next((e) => e.name === 'iq' && e.attrs.id === id);
}
const condition = (e: Element) => e.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name;
const blocklist = async (c: Client) =>
  (await iq(c, 'get', `<blocklist xmlns='${NS}'/>`))
    .getChild('blocklist', NS)!
    .getChildren('item')
    .map((i) => i.attrs.jid);

/** Logs in and sends initial presence; resolves once the server echoed it (RFC 6121 §4.2.2). */
async function online(user: string, resource: string, show = ''): Promise<Client> {
  const c = await login(gw.xmppPort!, `${user}@example.com`, PW, resource);
  c.send(`<presence>${show}</presence>`);
  await c.next((e) => e.name === 'presence' && e.attrs.from === c.jid && !e.attrs.type);
  return c;
}
/**
 * Everything the server sent `c` before now has arrived: a ping's answer comes after it on the
 * same stream. A "nothing arrived" check runs after this, once the stanza could have been sent.
 */
async function settled(c: Client): Promise<void> {
  await iq(c, 'get', `<ping xmlns='urn:xmpp:ping'/>`);
}

test('disco advertises urn:xmpp:blocking; a new user has an empty blocklist', async () => {
  const alice = await login(gw.xmppPort!, 'alice@example.com', PW, 'disco');
  const info = await iq(alice, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`, 'example.com');
  assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === NS));
  assert.deepEqual(await blocklist(alice), []);
  alice.close();
});

test('block: pushes, unavailable presence both ways, messages and iq refused both ways; unblock restores presence and delivery', async () => {
  const a1 = await online('alice', 'a1');
  const a2 = await online('alice', 'a2');
  const bob = await online('bob', 'b', '<show>away</show>');
  const carol = await online('carol', 'c');
  await bob.next((e) => e.name === 'presence' && e.attrs.from === a1.jid && !e.attrs.type);
  assert.deepEqual(await blocklist(a2), [], 'a2 asked for the blocklist: it gets pushes');
  assert.equal((await iq(a2, 'set', `<enable xmlns='urn:xmpp:carbons:2'/>`)).attrs.type, 'result');

  const r = await iq(a1, 'set', `<block xmlns='${NS}'><item jid='Bob@Example.com'/></block>`);
  assert.equal(r.attrs.type, 'result');
  const pushed = await a2.next((e) => e.name === 'iq' && e.attrs.type === 'set' && !!e.getChild('block', NS));
  assert.deepEqual(pushed.getChild('block')!.getChildren('item').map((i) => i.attrs.jid), ['bob@example.com'], 'normalised');
  // §3.3: bob sees alice go offline (both resources), alice sees bob go offline.
  await bob.next((e) => e.name === 'presence' && e.attrs.from === a1.jid && e.attrs.type === 'unavailable');
  await bob.next((e) => e.name === 'presence' && e.attrs.from === a2.jid && e.attrs.type === 'unavailable');
  await a1.next((e) => e.name === 'presence' && e.attrs.from === bob.jid && e.attrs.type === 'unavailable');
  assert.deepEqual(await blocklist(a1), ['bob@example.com']);
  const marks = [a1.received.length, a2.received.length] as const;

  // The blocked sender: <service-unavailable/> (§3.5), the message goes nowhere.
  bob.send(`<message to='alice@example.com' type='chat' id='m1'><body>are you there?</body></message>`);
  const refused = await bob.next((e) => e.attrs.id === 'm1' && e.attrs.type === 'error');
  assert.equal(condition(refused), 'service-unavailable');
  bob.send(`<message to='alice@example.com/a1' type='chat' id='m2'><body>to your laptop then</body></message>`);
  assert.equal(condition(await bob.next((e) => e.attrs.id === 'm2')), 'service-unavailable');
  const q = await iq(bob, 'get', `<query xmlns='jabber:iq:version'/>`, a1.jid);
  assert.equal(condition(q), 'service-unavailable', 'iq get to the blocker');
  // Presence from bob does not reach alice: carol (who could see it) does.
  bob.send(`<presence><show>dnd</show></presence>`);
  await carol.next((e) => e.name === 'presence' && e.attrs.from === bob.jid && e.getChildText('show') === 'dnd');
  bob.send(`<presence to='alice@example.com'><status>directed</status></presence>`);
  await settled(bob);
  await settled(a1);
  await settled(a2);
  for (const [i, a] of [a1, a2].entries()) {
    const fromBob = a.received.slice(marks[i]).filter((e) => (e.attrs.from ?? '').startsWith('bob@'));
    assert.deepEqual(fromBob.map(String), [], 'no message, no presence from bob');
  }
  assert.equal(a2.received.filter((e) => e.getChild('received', 'urn:xmpp:carbons:2')).length, 0, 'no carbon of bob’s message to a1');

  // The blocker: <not-acceptable/> with <blocked xmlns='urn:xmpp:blocking:errors'/>.
  a1.send(`<message to='bob@example.com' type='chat' id='m3'><body>go away</body></message>`);
  const own = await a1.next((e) => e.attrs.id === 'm3' && e.attrs.type === 'error');
  assert.equal(condition(own), 'not-acceptable');
  assert.ok(own.getChild('error')!.getChild('blocked', 'urn:xmpp:blocking:errors'));
  assert.equal(condition(await iq(a1, 'get', `<ping xmlns='urn:xmpp:ping'/>`, bob.jid)), 'not-acceptable');
  await settled(bob);
  // (The server's own XEP-0092 version query to bob is not alice's.)
  assert.deepEqual(bob.received.filter((e) => e.attrs.id === 'm3' || (e.name === 'iq' && e.attrs.type === 'get' && e.attrs.from !== 'example.com')).map(String), []);
  // Nothing of it is logged or archived (the log has carol's control message only).
  carol.send(`<message to='alice@example.com' type='chat' id='m4'><body>control</body></message>`);
  await a1.next((e) => e.attrs.id === 'm4');
  const log = readdirSync(path.join(gw.dataDir, 'logs')).map((f) => readFileSync(path.join(gw.dataDir, 'logs', f), 'utf8')).join('');
  assert.match(log, /control/);
  assert.doesNotMatch(log, /are you there|to your laptop|go away/);
  const archived = await iq(a1, 'set', `<query xmlns='urn:xmpp:mam:2' queryid='mq'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field var='with'><value>bob@example.com</value></field></x></query>`);
  assert.equal(archived.attrs.type, 'result');
  assert.equal(a1.received.filter((e) => e.getChild('result', 'urn:xmpp:mam:2')).length, 0, 'not archived');

  // Unblock: a push, and current presence both ways (§3.4).
  const bobMark = bob.received.length;
  await iq(a1, 'set', `<unblock xmlns='${NS}'><item jid='bob@example.com'/></unblock>`);
  await a2.next((e) => e.name === 'iq' && e.attrs.type === 'set' && !!e.getChild('unblock', NS));
  const back = await a1.next((e) => a1.received.indexOf(e) >= marks[0] && e.name === 'presence' && e.attrs.from === bob.jid && !e.attrs.type);
  assert.equal(back.getChildText('show'), 'dnd', 'bob’s current presence');
  await bob.next((e) => bob.received.indexOf(e) >= bobMark && e.name === 'presence' && e.attrs.from === a1.jid && !e.attrs.type);
  await bob.next((e) => bob.received.indexOf(e) >= bobMark && e.name === 'presence' && e.attrs.from === a2.jid && !e.attrs.type);
  bob.send(`<message to='alice@example.com' type='chat' id='m5'><body>hello again</body></message>`);
  assert.equal((await a1.next((e) => e.attrs.id === 'm5')).getChildText('body'), 'hello again');
  assert.deepEqual(await blocklist(a1), []);
  for (const c of [a1, a2, bob, carol]) c.close();
});

test('a blocked sender’s messages are not stored offline; a user blocked by domain or full JID; unblock-all', async () => {
  const dave = await online('dave', 'd');
  await iq(dave, 'set', `<block xmlns='${NS}'><item jid='erin@example.com'/><item jid='fred@example.com/phone'/><item jid='spam.example'/></block>`);
  dave.close();
  await dave.closed;
  const erin = await online('erin', 'e');
  erin.send(`<message to='dave@example.com' type='chat' id='o1'><body>offline for you</body></message>`);
  assert.equal(condition(await erin.next((e) => e.attrs.id === 'o1')), 'service-unavailable');
  const davesId = gw.services.store.accounts.byAddress('dave@example.com')!.id;
  assert.equal(gw.services.store.offline.count(davesId), 0, 'nothing stored offline');
  // Full JID items match that resource only (XEP-0016 §2.1).
  const fredPhone = await online('fred', 'phone');
  const fredDesk = await online('fred', 'desk');
  fredPhone.send(`<message to='dave@example.com' type='chat' id='o2'><body>x</body></message>`);
  assert.equal(condition(await fredPhone.next((e) => e.attrs.id === 'o2')), 'service-unavailable');
  fredDesk.send(`<message to='dave@example.com' type='chat' id='o3'><body>from the desk</body></message>`);
  await settled(fredDesk);
  assert.equal(fredDesk.received.filter((e) => e.attrs.id === 'o3').length, 0, 'no error: stored');
  assert.equal(gw.services.store.offline.count(davesId), 1);

  const again = await online('dave', 'd2');
  await again.next((e) => e.attrs.id === 'o3');
  assert.deepEqual((await blocklist(again)).sort(), ['erin@example.com', 'fred@example.com/phone', 'spam.example']);
  // §3.4: <unblock/> without items empties the list (and pushes an empty unblock).
  assert.equal((await iq(again, 'set', `<unblock xmlns='${NS}'/>`)).attrs.type, 'result');
  const push = await again.next((e) => e.name === 'iq' && e.attrs.type === 'set' && !!e.getChild('unblock', NS));
  assert.equal(push.getChild('unblock')!.getChildren('item').length, 0);
  assert.deepEqual(await blocklist(again), []);
  erin.send(`<message to='dave@example.com' type='chat' id='o4'><body>now?</body></message>`);
  await again.next((e) => e.attrs.id === 'o4');
  for (const c of [again, erin, fredPhone, fredDesk]) c.close();
});

test('bad requests: no items, malformed or missing JIDs, oneself, wrong element or type; unknown JIDs may be blocked', async () => {
  const alice = await login(gw.xmppPort!, 'alice@example.com', PW, 'bad');
  const cases: [string, 'get' | 'set', string][] = [
    [`<block xmlns='${NS}'/>`, 'set', 'bad-request'],
    [`<block xmlns='${NS}'><item/></block>`, 'set', 'jid-malformed'],
    [`<block xmlns='${NS}'><item jid=''/></block>`, 'set', 'jid-malformed'],
    [`<block xmlns='${NS}'><item jid='a@@b'/></block>`, 'set', 'jid-malformed'],
    [`<block xmlns='${NS}'><item jid='ok@example.com'/><item jid='bad jid@x'/></block>`, 'set', 'jid-malformed'],
    [`<unblock xmlns='${NS}'><item jid='user@'/></unblock>`, 'set', 'jid-malformed'],
    [`<block xmlns='${NS}'><item jid='alice@example.com/other'/></block>`, 'set', 'not-acceptable'],
    [`<blocklist xmlns='${NS}'/>`, 'set', 'bad-request'],
    [`<block xmlns='${NS}'><item jid='x@example.com'/></block>`, 'get', 'bad-request'],
    [`<list xmlns='${NS}'/>`, 'set', 'bad-request'],
  ];
  for (const [payload, type, want] of cases) assert.equal(condition(await iq(alice, type, payload)), want, payload);
  assert.deepEqual(await blocklist(alice), [], 'a refused request blocks nothing, not even its valid items');
  assert.equal((await iq(alice, 'set', `<block xmlns='${NS}'><item jid='nobody@nowhere.example'/></block>`)).attrs.type, 'result');
  assert.deepEqual(await blocklist(alice), ['nobody@nowhere.example']);
  // A whole domain — one's own included: colleagues are blocked, the server itself still answers.
  await iq(alice, 'set', `<block xmlns='${NS}'><item jid='example.com'/></block>`);
  assert.equal((await iq(alice, 'get', `<ping xmlns='urn:xmpp:ping'/>`, 'example.com')).attrs.type, 'result');
  assert.equal((await iq(alice, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`)).attrs.type, 'result');
  alice.send(`<message to='bob@example.com' type='chat' id='dom1'><body>x</body></message>`);
  assert.equal(condition(await alice.next((e) => e.attrs.id === 'dom1')), 'not-acceptable');
  await iq(alice, 'set', `<unblock xmlns='${NS}'/>`);
  alice.close();
});

test('rooms: blocking an occupant JID hides that occupant’s groupchat messages and presence; unblocking shows them again', async () => {
  const room = 'lunch@conference.example.com';
  const alice = await online('alice', 'room');
  const bob = await online('bob', 'room');
  const carol = await online('carol', 'room');
  alice.send(`<presence to='${room}/Alice'><x xmlns='${MUC}'/></presence>`);
  await alice.next((e) => e.attrs.from === `${room}/Alice` && !!e.getChild('x', `${MUC}#user`));
  await iq(alice, 'set', `<query xmlns='${MUC}#owner'><x xmlns='jabber:x:data' type='submit'/></query>`, room);
  for (const [c, nick] of [[bob, 'Bob'], [carol, 'Carol']] as const) {
    c.send(`<presence to='${room}/${nick}'><x xmlns='${MUC}'/></presence>`);
    await c.next((e) => e.attrs.from === `${room}/${nick}`);
  }
  await alice.next((e) => e.attrs.from === `${room}/Carol`);
  await iq(alice, 'set', `<block xmlns='${NS}'><item jid='${room}/Bob'/></block>`);
  const mark = alice.received.length;
  bob.send(`<message to='${room}' type='groupchat' id='g1'><body>lunch at noon</body></message>`);
  await carol.next((e) => e.attrs.id === 'g1');
  await bob.next((e) => e.attrs.id === 'g1');
  bob.send(`<presence to='${room}/Bob'><show>away</show></presence>`);
  await carol.next((e) => e.attrs.from === `${room}/Bob` && e.getChildText('show') === 'away');
  // Private message to the blocked occupant: refused like any blocked JID.
  alice.send(`<message to='${room}/Bob' type='chat' id='g2'><body>psst</body></message>`);
  assert.equal(condition(await alice.next((e) => e.attrs.id === 'g2')), 'not-acceptable');
  carol.send(`<message to='${room}' type='groupchat' id='g3'><body>ok</body></message>`);
  await alice.next((e) => e.attrs.id === 'g3');
  const fromBob = alice.received.slice(mark).filter((e) => e.attrs.from === `${room}/Bob` && e.attrs.type !== 'error');
  assert.deepEqual(fromBob.map(String), [], 'nothing from Bob after the block');
  await iq(alice, 'set', `<unblock xmlns='${NS}'><item jid='${room}/Bob'/></unblock>`);
  bob.send(`<message to='${room}' type='groupchat' id='g4'><body>hello?</body></message>`);
  await alice.next((e) => e.attrs.id === 'g4' && e.attrs.from === `${room}/Bob`);
  for (const c of [alice, bob, carol]) c.close();
});

/** A WebSocket client (RFC 7395) on the plain loopback endpoint, bound and available. */
async function wsOnline(user: string, resource: string) {
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/xmpp-websocket`, ['xmpp']);
  await new Promise((r) => ws.once('open', r));
  const q = createElementQueue();
  ws.on('message', (d) => q.push(parse(String(d)) as Element));
  const next = q.next;
  const OPEN = `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>`;
  ws.send(OPEN);
  await next((e) => e.name === 'stream:features');
  ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain(user, PW)}</auth>`);
  await next((e) => e.name === 'success');
  ws.send(OPEN);
  await next((e) => e.name === 'stream:features' && !!e.getChild('bind'));
  ws.send(`<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  await next((e) => e.attrs.id === 'bind');
  ws.send(`<presence xmlns='jabber:client'/>`);
  await next((e) => e.name === 'presence' && e.attrs.from === `${user}@example.com/${resource}`);
  return { ws, next, got: q.received, send: (xml: string) => ws.send(xml) };
}

test('over WebSocket: a blocker’s block holds against a TCP sender, and a WebSocket sender is refused', async () => {
  const carol = await wsOnline('carol', 'web');
  carol.send(`<iq xmlns='jabber:client' type='set' id='wb'><block xmlns='${NS}'><item jid='erin@example.com'/></block></iq>`);
  assert.equal((await carol.next((e) => e.attrs.id === 'wb')).attrs.type, 'result');
  const erin = await online('erin', 'tcp');
  erin.send(`<message to='carol@example.com' type='chat' id='w1'><body>hi</body></message>`);
  assert.equal(condition(await erin.next((e) => e.attrs.id === 'w1')), 'service-unavailable');
  carol.send(`<message xmlns='jabber:client' to='erin@example.com' type='chat' id='w2'><body>no</body></message>`);
  assert.equal(condition(await carol.next((e) => e.attrs.id === 'w2')), 'not-acceptable');
  carol.send(`<iq xmlns='jabber:client' type='set' id='wu'><unblock xmlns='${NS}'/></iq>`);
  await carol.next((e) => e.attrs.id === 'wu');
  erin.send(`<message to='carol@example.com' type='chat' id='w3'><body>hi again</body></message>`);
  await carol.next((e) => e.attrs.id === 'w3');
  carol.ws.close();
  erin.close();
});

test('the blocklist survives a restart and is enforced from the start', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-block-'));
  try {
    let g = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir });
    await g.user('ann@example.com', PW);
    await g.user('ben@example.com', PW);
    let ann = await login(g.xmppPort!, 'ann@example.com', PW, 'x');
    await iq(ann, 'set', `<block xmlns='${NS}'><item jid='ben@example.com'/></block>`);
    ann.close();
    await g.destroy();
    g = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir });
    ann = await login(g.xmppPort!, 'ann@example.com', PW, 'x');
    assert.deepEqual(await blocklist(ann), ['ben@example.com']);
    const ben = await login(g.xmppPort!, 'ben@example.com', PW, 'y');
    ben.send(`<message to='ann@example.com' type='chat' id='r1'><body>after restart</body></message>`);
    assert.equal(condition(await ben.next((e) => e.attrs.id === 'r1')), 'service-unavailable');
    ann.close();
    ben.close();
    await g.destroy();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
