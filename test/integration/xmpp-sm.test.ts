// Stream management (XEP-0198) with resumption, stanza by stanza over real sockets: enabling,
// acks both ways, a cut connection resumed with nothing lost or doubled, failed resumptions,
// hibernation running out (unavailable presence, unacknowledged messages to another resource or
// to offline storage, exactly once), bad input; then with clients nobody here wrote: Debian's
// slixmpp (its xep_0198 plugin) over STARTTLS, and xmpp.js (@xmpp/client) over WebSocket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type Element } from 'ltx';
import WebSocket from 'ws';
import { createCredentials } from '../../gateway/src/directory/credentials.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import { startSlixmpp, type SlixEvent, type Slixmpp } from '../fixtures/slixmpp.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { connectRaw, login, plain, streamOpen, type RawClient } from '../fixtures/xmpp-raw.ts';

const PW = 'stream management pw';
const SM = 'urn:xmpp:sm:3';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let gw: TestGateway;
let port: number;
/** Sessions hibernate for 1 s only. */
let brief: TestGateway;

before(async () => {
  [gw, brief] = await Promise.all([startTestGateway({ 'xmpp.requireTls': false }), startTestGateway({ 'xmpp.requireTls': false, 'xmpp.resumeSeconds': 1 })]);
  port = gw.xmppPort!;
  for (const g of [gw, brief]) for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await g.user(`${u}@example.com`, PW);
});
after(async () => {
  await Promise.all([gw.destroy(), brief.destroy()]);
});

const isStanza = (e: Element) => e.name === 'message' || e.name === 'presence' || e.name === 'iq';

/** How many stanzas `c` received after `from` (an element it received) and before `until`: its 'h'. */
function handledBetween(c: RawClient, from: Element, until?: Element): number {
  const start = c.received.indexOf(from);
  const end = until ? c.received.indexOf(until) : c.received.length;
  assert.ok(start >= 0 && end >= start);
  return c.received.slice(start + 1, end).filter(isStanza).length;
}

/** Logs in, binds, and enables stream management (with resumption unless told otherwise). */
async function smLogin(p: number, user: string, resource: string, resume = true) {
  const c = await login(p, `${user}@example.com`, PW, resource);
  c.send(`<enable xmlns='${SM}'${resume ? ` resume='true'` : ''}/>`);
  const enabled = await c.next((e) => e.name === 'enabled' || e.name === 'failed');
  assert.equal(enabled.name, 'enabled', enabled.toString());
  return Object.assign(c, { smId: enabled.attrs.id as string, enabled });
}

/** A new connection that authenticates and stops before binding (where <resume/> goes). */
async function authenticated(p: number, user: string) {
  const c = await connectRaw(p);
  c.send(streamOpen('example.com'));
  await c.next((e) => e.name === 'stream:features');
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain(`${user}@example.com`, PW)}</auth>`);
  await c.next((e) => e.name === 'success');
  c.restart();
  c.send(streamOpen('example.com'));
  const features = await c.next((e) => e.name === 'stream:features');
  return Object.assign(c, { features });
}

async function resume(p: number, user: string, previd: string, h: number) {
  const c = await authenticated(p, user);
  c.send(`<resume xmlns='${SM}' previd='${previd}' h='${h}'/>`);
  const answer = await c.next((e) => e.name === 'resumed' || e.name === 'failed');
  return Object.assign(c, { answer });
}

const presenceFrom = (c: RawClient, full: string, type?: string) => c.next((e) => e.name === 'presence' && e.attrs.from === full && e.attrs.type === type, 5000);
const count = (c: RawClient, pred: (e: Element) => boolean) => c.received.filter(pred).length;
const msgId = (id: string) => (e: Element) => e.name === 'message' && e.attrs.id === id;

test('the feature is offered after authentication; <enable/> with and without resumption; <failed/> out of order', async () => {
  const c = await connectRaw(port);
  c.send(streamOpen('example.com'));
  const pre = await c.next((e) => e.name === 'stream:features');
  assert.equal(pre.getChild('sm', SM), undefined, 'not before authentication');
  c.send(`<enable xmlns='${SM}'/>`);
  assert.ok((await c.next((e) => e.name === 'failed')).getChild('unexpected-request', STANZAS), 'enable before authentication');
  c.kill();

  const a = await authenticated(port, 'carol');
  assert.ok(a.features.getChild('sm', SM), 'offered with bind');
  assert.ok(a.features.getChild('bind'));
  a.send(`<enable xmlns='${SM}' resume='true'/>`);
  const early = await a.next((e) => e.name === 'failed');
  assert.ok(early.getChild('unexpected-request', STANZAS), 'enable before bind (XEP-0198 §3)');
  assert.match(early.getChildText('text', STANZAS) ?? '', /bind/);
  a.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r1</resource></bind></iq>`);
  assert.equal((await a.next((e) => e.attrs.id === 'b')).attrs.type, 'result', 'the stream goes on after <failed/>');
  a.send(`<enable xmlns='${SM}'/>`);
  const plainEnabled = await a.next((e) => e.name === 'enabled');
  assert.deepEqual(plainEnabled.attrs, { xmlns: SM }, 'no resumption asked: no id, no resume');
  a.send(`<enable xmlns='${SM}' resume='true'/>`);
  assert.ok((await a.next((e) => e.name === 'failed')).getChild('unexpected-request', STANZAS), 'enable twice');
  a.send(`<resume xmlns='${SM}' previd='x' h='0'/>`);
  assert.ok((await a.next((e) => e.name === 'failed')).getChild('unexpected-request', STANZAS), 'resume on a bound stream');
  a.send(`<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>`);
  assert.equal((await a.next((e) => e.attrs.id === 'p')).attrs.type, 'result', 'still fine');
  a.close();

  const r = await login(port, 'carol@example.com', PW, 'r2');
  r.send(`<enable xmlns='${SM}' resume='1' max='60'/>`);
  const resumable = await r.next((e) => e.name === 'enabled');
  assert.equal(resumable.attrs.resume, 'true');
  assert.equal(resumable.attrs.max, '60', "the client's shorter maximum");
  assert.ok((resumable.attrs.id ?? '').length >= 20, 'an opaque SM-ID');
  r.close();
  const long = await login(port, 'carol@example.com', PW, 'r3');
  long.send(`<enable xmlns='${SM}' resume='true' max='100000'/>`);
  assert.equal((await long.next((e) => e.name === 'enabled')).attrs.max, '300', 'never longer than xmpp.resumeSeconds');
  long.close();
});

test('acks: <r/> is answered with the stanzas handled; the server asks for acks itself and forgets what was acknowledged', async () => {
  const alice = await smLogin(port, 'alice', 'acks');
  alice.send(`<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq><iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq><presence/><r xmlns='${SM}'/><r xmlns='${SM}'/>`);
  assert.equal((await alice.next((e) => e.name === 'a')).attrs.h, '3', 'two pings and a presence; nonzas are not counted');
  assert.equal((await alice.next((e) => e.name === 'a')).attrs.h, '3');
  const bob = await login(port, 'bob@example.com', PW, 'acks');
  for (const id of ['k1', 'k2', 'k3']) bob.send(`<message to='alice@example.com/acks' type='chat' id='${id}'><body>${id}</body></message>`);
  await alice.next(msgId('k3'));
  const request = await alice.next((e) => e.name === 'r' && e.attrs.xmlns === SM, 3000);
  const h = handledBetween(alice, alice.enabled, request);
  alice.send(`<a xmlns='${SM}' h='${h}'/>`);
  bob.send(`<message to='alice@example.com/acks' type='chat' id='k4'><body>k4</body></message>`);
  await alice.next(msgId('k4'));
  alice.kill();
  // What was acknowledged is not sent again; k4 (not acknowledged) is.
  const again = await resume(port, 'alice', alice.smId, h);
  assert.equal(again.answer.name, 'resumed', again.answer.toString());
  assert.equal(again.answer.attrs.h, '3', 'what the server handled on the old connection');
  await again.next(msgId('k4'));
  await sleep(300);
  assert.deepEqual(['k1', 'k2', 'k3'].map((id) => count(again, msgId(id))), [0, 0, 0]);
  again.close();
  bob.close();
});

test('a cut connection is resumed: no unavailable presence, messages sent meanwhile arrive once, unacknowledged ones again; the JID and counts go on', async () => {
  const alice = await smLogin(port, 'alice', 'phone');
  alice.send('<presence/>');
  const bob = await login(port, 'bob@example.com', PW, 'desk');
  bob.send('<presence/>');
  await presenceFrom(bob, 'alice@example.com/phone');
  await presenceFrom(alice, 'bob@example.com/desk');
  bob.send(`<message to='alice@example.com' type='chat' id='m1'><body>first</body></message>`);
  const m1 = await alice.next(msgId('m1'));
  // The client never gets to acknowledge m1: its connection dies.
  const hBeforeM1 = handledBetween(alice, alice.enabled, m1);
  alice.kill();
  await sleep(200);
  bob.send(`<message to='alice@example.com' type='chat' id='m2'><body>while cut (bare)</body></message>`);
  bob.send(`<message to='alice@example.com/phone' type='chat' id='m3'><body>while cut (full)</body></message>`);
  bob.send(`<iq type='get' id='v1' to='alice@example.com/phone'><query xmlns='jabber:iq:version'/></iq>`);
  await sleep(300);
  assert.equal(count(bob, (e) => e.name === 'presence' && e.attrs.from === 'alice@example.com/phone' && e.attrs.type === 'unavailable'), 0, 'alice still looks available');
  assert.equal(count(bob, (e) => e.name === 'message' && e.attrs.type === 'error'), 0, 'nothing bounced');
  // A colleague coming online now sees alice available (the session hibernates, it is not gone).
  const carol = await login(port, 'carol@example.com', PW, 'c');
  carol.send('<presence/>');
  assert.equal((await presenceFrom(carol, 'alice@example.com/phone')).attrs.type, undefined);

  const back = await resume(port, 'alice', alice.smId, hBeforeM1);
  assert.equal(back.answer.name, 'resumed', back.answer.toString());
  assert.deepEqual([back.answer.attrs.previd, back.answer.attrs.h], [alice.smId, '1'], 'the server had handled one stanza (the presence)');
  const r1 = await back.next(msgId('m1'));
  assert.ok(r1.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp, 'a resent message carries when it was first sent');
  await back.next(msgId('m2'));
  await back.next(msgId('m3'));
  await back.next((e) => e.name === 'iq' && e.attrs.id === 'v1');
  await back.next((e) => e.name === 'presence' && e.attrs.from === 'carol@example.com/c');
  // Order kept: m1 (resent), then what was queued, in order.
  const order = back.received.filter((e) => e.name === 'message').map((e) => e.attrs.id);
  assert.deepEqual(order, ['m1', 'm2', 'm3']);
  back.send(`<message to='bob@example.com' type='chat' id='b1'><body>back again</body></message>`);
  assert.equal((await bob.next(msgId('b1'))).attrs.from, 'alice@example.com/phone', 'same full JID');
  back.send(`<r xmlns='${SM}'/>`);
  assert.equal((await back.next((e) => e.name === 'a')).attrs.h, '2', 'counting goes on from the old connection');
  await sleep(300);
  assert.deepEqual(['m1', 'm2', 'm3'].map((id) => count(back, msgId(id))), [1, 1, 1], 'each exactly once');

  // A second resumption replaces the first connection (XEP-0198 §5: conflict).
  const h = hBeforeM1 + handledBetween(back, back.answer);
  const third = await resume(port, 'alice', alice.smId, h);
  assert.equal(third.answer.name, 'resumed');
  const err = await back.next((e) => e.name === 'stream:error');
  assert.ok(err.getChild('conflict'));
  await back.closed;
  bob.send(`<message to='alice@example.com' type='chat' id='m4'><body>to the newest</body></message>`);
  await third.next(msgId('m4'));
  await sleep(200);
  assert.equal(count(third, (e) => e.name === 'message' && ['m1', 'm2', 'm3'].includes(e.attrs.id ?? '')), 0, 'the second connection had acknowledged nothing new: only its unhandled ones');
  assert.equal(count(bob, (e) => e.attrs.from === 'alice@example.com/phone' && e.attrs.type === 'unavailable'), 0);
  third.close();
  assert.equal((await presenceFrom(bob, 'alice@example.com/phone', 'unavailable')).attrs.type, 'unavailable', 'a clean close ends the session');
  for (const c of [bob, carol]) c.close();
});

test('failed resumption: unknown id, another account, bad attributes, h too high; binding works after it; the real owner is undisturbed', async () => {
  const unknown = await resume(port, 'bob', 'no-such-session', 0);
  assert.equal(unknown.answer.name, 'failed');
  assert.ok(unknown.answer.getChild('item-not-found', STANZAS));
  assert.equal(unknown.answer.attrs.h, undefined);
  unknown.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>after</resource></bind></iq>`);
  assert.equal((await unknown.next((e) => e.attrs.id === 'b')).getChild('bind')?.getChildText('jid'), 'bob@example.com/after', 'the client binds instead (§5)');
  unknown.close();

  const alice = await smLogin(port, 'alice', 'owner');
  alice.send('<presence/>');
  const dave = await login(port, 'dave@example.com', PW, 'd');
  dave.send('<presence/>');
  await presenceFrom(alice, 'dave@example.com/d');
  alice.kill();
  const thief = await resume(port, 'bob', alice.smId, 0);
  assert.ok(thief.answer.getChild('item-not-found', STANZAS), "another account's session is not found");
  assert.equal(thief.answer.attrs.h, undefined);
  for (const bad of [`h='0'`, `previd='${alice.smId}'`, `previd='${alice.smId}' h='-1'`, `previd='${alice.smId}' h='x'`]) {
    thief.send(`<resume xmlns='${SM}' ${bad}/>`);
    assert.ok((await thief.next((e) => e.name === 'failed')).getChild('bad-request', STANZAS), bad);
  }
  thief.close();
  dave.send(`<message to='alice@example.com' type='chat' id='d1'><body>still there?</body></message>`);
  const h = handledBetween(alice, alice.enabled);
  const owner = await resume(port, 'alice', alice.smId, h);
  assert.equal(owner.answer.name, 'resumed', 'the owner resumes after all that');
  await owner.next(msgId('d1'));
  owner.kill();

  // The client claims more than the server sent: resumption fails, the old session ends (its
  // unacknowledged message is kept offline), and the client binds a new one.
  const tooHigh = await resume(port, 'alice', alice.smId, h + 5);
  assert.equal(tooHigh.answer.name, 'failed');
  assert.ok(tooHigh.answer.getChild('undefined-condition', STANZAS));
  const detail = tooHigh.answer.getChild('handled-count-too-high', SM);
  assert.deepEqual([detail?.attrs.h, detail?.attrs['send-count']], [String(h + 5), String(h + 1)]);
  await presenceFrom(dave, 'alice@example.com/owner', 'unavailable');
  tooHigh.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>fresh</resource></bind></iq>`);
  await tooHigh.next((e) => e.attrs.id === 'b');
  tooHigh.send('<presence/>');
  const kept = await tooHigh.next(msgId('d1'));
  assert.ok(kept.getChild('delay', 'urn:xmpp:delay'), 'from offline storage');
  tooHigh.close();
  dave.close();
});

test('bad input: <a/> acknowledging too much or without a number, <r/> before enabling — that stream ends, nothing else is disturbed', async () => {
  const bob = await login(port, 'bob@example.com', PW, 'witness');
  bob.send('<presence/>');
  const alice = await smLogin(port, 'alice', 'liar');
  alice.send('<presence/>');
  bob.send(`<message to='alice@example.com/liar' type='chat' id='l1'><body>for the liar</body></message>`);
  await alice.next(msgId('l1'));
  const sent = handledBetween(alice, alice.enabled);
  alice.send(`<a xmlns='${SM}' h='${sent + 10}'/>`);
  const err = await alice.next((e) => e.name === 'stream:error');
  assert.ok(err.getChild('undefined-condition', 'urn:ietf:params:xml:ns:xmpp-streams'));
  const detail = err.getChild('handled-count-too-high', SM);
  assert.deepEqual([detail?.attrs.h, detail?.attrs['send-count']], [String(sent + 10), String(sent)]);
  assert.match(err.getChildText('text') ?? '', /acknowledged \d+ stanzas, but I only sent you \d+/);
  await alice.closed;
  // A stream error is not a cut connection: the session ends at once, l1 (never acknowledged) is kept offline.
  await presenceFrom(bob, 'alice@example.com/liar', 'unavailable');

  const carol = await smLogin(port, 'carol', 'nonumber');
  carol.send(`<a xmlns='${SM}' h='lots'/>`);
  assert.ok((await carol.next((e) => e.name === 'stream:error')).getChild('invalid-xml'));
  const dave = await login(port, 'dave@example.com', PW, 'early');
  dave.send(`<r xmlns='${SM}'/>`);
  const early = await dave.next((e) => e.name === 'stream:error');
  assert.ok(early.getChild('unsupported-stanza-type'));
  assert.match(early.getChildText('text') ?? '', /before stream management was enabled/);

  bob.send(`<iq type='get' id='ok'><ping xmlns='urn:xmpp:ping'/></iq>`);
  assert.equal((await bob.next((e) => e.attrs.id === 'ok')).attrs.type, 'result', 'the others are fine');
  const again = await login(port, 'alice@example.com', PW, 'again');
  again.send('<presence/>');
  const l1 = await again.next(msgId('l1'));
  assert.equal(l1.getChildText('body'), 'for the liar');
  await sleep(200);
  assert.equal(count(again, msgId('l1')), 1);
  again.close();
  bob.close();
});

test('a stream-managed session closed cleanly hands its unacknowledged messages to offline storage', async () => {
  const alice = await smLogin(port, 'alice', 'clean');
  alice.send('<presence/>');
  const bob = await login(port, 'bob@example.com', PW, 'sender');
  bob.send(`<message to='alice@example.com' type='chat' id='c1'><body>read me later</body></message>`);
  bob.send(`<message to='alice@example.com' type='headline' id='c2'><body>news, not kept</body></message>`);
  await alice.next(msgId('c2'));
  alice.close();
  await alice.closed;
  await sleep(100);
  const next = await login(port, 'alice@example.com', PW, 'next');
  next.send('<presence/>');
  await next.next(msgId('c1'));
  await sleep(200);
  assert.equal(count(next, msgId('c2')), 0, 'headlines are not stored (RFC 6121 §8.5.2.1.2)');
  next.close();
  bob.close();
});

test('hibernation runs out: contacts see unavailable, unacknowledged chat goes to offline storage, delivered once at the next login', async () => {
  const p = brief.xmppPort!;
  const alice = await smLogin(p, 'alice', 'phone');
  assert.equal(alice.enabled.attrs.max, '1');
  alice.send('<presence/>');
  const bob = await login(p, 'bob@example.com', PW, 'desk');
  bob.send('<presence/>');
  await presenceFrom(alice, 'bob@example.com/desk');
  bob.send(`<message to='alice@example.com' type='chat' id='x1'><body>unacknowledged</body></message>`);
  bob.send(`<message to='alice@example.com' type='headline' id='x2'><body>headline</body></message>`);
  await alice.next(msgId('x2'));
  const hAtCut = handledBetween(alice, alice.enabled);
  const x1 = alice.received.find(msgId('x1'))!;
  const x1Sent = Date.now();
  alice.kill();
  await sleep(100);
  bob.send(`<message to='alice@example.com/phone' type='normal' id='x3'><body>normal, while cut</body></message>`);
  bob.send(`<message to='alice@example.com/phone' type='error' id='x4'><error type='cancel'><item-not-found xmlns='${STANZAS}'/></error></message>`);
  bob.send(`<iq type='get' id='q1' to='alice@example.com/phone'><query xmlns='jabber:iq:version'/></iq>`);
  const gone = await presenceFrom(bob, 'alice@example.com/phone', 'unavailable');
  assert.equal(gone.attrs.type, 'unavailable', 'broadcast when the session really ends');
  const bounced = await bob.next((e) => e.attrs.id === 'q1');
  assert.equal(bounced.attrs.type, 'error');
  assert.ok(bounced.getChild('error')?.getChild('recipient-unavailable', STANZAS), 'an unanswered iq comes back as an error');
  assert.equal(count(bob, (e) => e.name === 'message' && e.attrs.type === 'error'), 0, 'messages are not bounced: they are kept');

  // Too late to resume; the server still remembers how far it got (§5: h on <failed/>).
  const late = await resume(p, 'alice', alice.smId, hAtCut);
  assert.ok(late.answer.getChild('item-not-found', STANZAS));
  assert.equal(late.answer.attrs.h, '1', 'the presence it had handled');
  late.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>phone</resource></bind></iq>`);
  await late.next((e) => e.attrs.id === 'b');
  late.send('<presence/>');
  const got1 = await late.next(msgId('x1'));
  const got3 = await late.next(msgId('x3'));
  const stamp = Date.parse(got1.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp ?? '');
  assert.ok(Math.abs(stamp - x1Sent) < 3000, `stamped with when it was first sent (${stamp} vs ${x1Sent})`);
  assert.equal(got1.getChildText('body'), x1.getChildText('body'));
  assert.ok(got3.getChild('delay', 'urn:xmpp:delay'));
  await sleep(300);
  assert.deepEqual(['x1', 'x2', 'x3', 'x4'].map((id) => count(late, msgId(id))), [1, 0, 1, 0], 'chat and normal once; no headline, no error');
  late.close();
  const later = await login(p, 'alice@example.com', PW, 'later');
  later.send('<presence/>');
  await later.next((e) => e.name === 'presence' && e.attrs.from === 'alice@example.com/later');
  await sleep(300);
  assert.equal(count(later, (e) => e.name === 'message'), 0, 'delivered once, not at every login');
  later.close();
  bob.close();
});

test('hibernation runs out with another resource online: what it lacks goes there once, what it has (directly or as a carbon) does not', async () => {
  const p = brief.xmppPort!;
  const desk = await login(p, 'carol@example.com', PW, 'desk');
  desk.send('<presence/>');
  const phone = await smLogin(p, 'carol', 'phone');
  phone.send('<presence/>');
  const dave = await login(p, 'dave@example.com', PW, 'd');
  dave.send(`<message to='carol@example.com' type='chat' id='y1'><body>to both</body></message>`);
  dave.send(`<message to='carol@example.com/phone' type='chat' id='y2'><body>to the phone only</body></message>`);
  await phone.next(msgId('y2'));
  await desk.next(msgId('y1'));
  desk.send(`<iq type='set' id='cb'><enable xmlns='urn:xmpp:carbons:2'/></iq>`);
  await desk.next((e) => e.attrs.id === 'cb');
  dave.send(`<message to='carol@example.com/phone' type='chat' id='y3'><body>phone, carbon to desk</body></message>`);
  await phone.next(msgId('y3'));
  phone.kill();
  await sleep(100);
  dave.send(`<message to='carol@example.com/phone' type='chat' id='y4'><body>while cut, carbon to desk</body></message>`);
  await presenceFrom(desk, 'carol@example.com/phone', 'unavailable');
  const y2 = await desk.next(msgId('y2'));
  assert.ok(y2.getChild('delay', 'urn:xmpp:delay'), 'stamped');
  assert.equal(y2.attrs.to, 'carol@example.com');
  await sleep(300);
  const direct = (id: string) => count(desk, msgId(id));
  const carbons = (id: string) => count(desk, (e) => e.name === 'message' && e.getChild('received', 'urn:xmpp:carbons:2')?.getChild('forwarded')?.getChild('message')?.attrs.id === id);
  assert.deepEqual(['y1', 'y2', 'y3', 'y4'].map(direct), [1, 1, 0, 0], 'y1 not again, y2 once; y3 and y4 were carbons already');
  assert.deepEqual(['y3', 'y4'].map(carbons), [1, 1]);
  const laptop = await login(p, 'carol@example.com', PW, 'laptop');
  laptop.send('<presence/>');
  await laptop.next((e) => e.name === 'presence' && e.attrs.from === 'carol@example.com/laptop');
  await sleep(300);
  assert.equal(count(laptop, (e) => e.name === 'message'), 0, 'nothing went to offline storage as well');
  for (const c of [desk, dave, laptop]) c.close();
});

test('a waiting session over xmpp.smMaxUnacked ends at once, its messages kept; a deleted account\'s waiting session ends quietly', async () => {
  const small = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.smMaxUnacked': 2 });
  try {
    for (const u of ['alice', 'bob']) await small.user(`${u}@example.com`, PW);
    const alice = await smLogin(small.xmppPort!, 'alice', 'phone');
    alice.send('<presence/>');
    const bob = await login(small.xmppPort!, 'bob@example.com', PW, 'desk');
    bob.send('<presence/>');
    await presenceFrom(alice, 'bob@example.com/desk');
    alice.send(`<a xmlns='${SM}' h='${handledBetween(alice, alice.enabled)}'/>`);
    alice.kill();
    await sleep(200);
    for (const id of ['o1', 'o2', 'o3']) bob.send(`<message to='alice@example.com' type='chat' id='${id}'><body>${id}</body></message>`);
    await presenceFrom(bob, 'alice@example.com/phone', 'unavailable');
    const again = await login(small.xmppPort!, 'alice@example.com', PW, 'again');
    again.send('<presence/>');
    for (const id of ['o1', 'o2', 'o3']) await again.next(msgId(id));
    again.close();
    bob.close();
  } finally {
    await small.destroy();
  }

  const erin = await smLogin(port, 'erin', 'phone');
  erin.send('<presence/>');
  const bob = await login(port, 'bob@example.com', PW, 'erin-watch');
  bob.send('<presence/>');
  await presenceFrom(erin, 'bob@example.com/erin-watch');
  erin.kill();
  await sleep(200);
  bob.send(`<message to='erin@example.com' type='chat' id='e1'><body>for someone about to leave</body></message>`);
  await sleep(100);
  const cli = createStore(gw.dataDir); // as the CLI does, from its own connection
  createCredentials({ store: cli }).removeAccount('erin@example.com');
  cli.close();
  await presenceFrom(bob, 'erin@example.com/phone', 'unavailable');
  bob.send(`<iq type='get' id='alive'><ping xmlns='urn:xmpp:ping'/></iq>`);
  assert.equal((await bob.next((e) => e.attrs.id === 'alive')).attrs.type, 'result', 'the server is fine');
  assert.equal(count(bob, (e) => e.attrs.id === 'e1' && e.attrs.type === 'error'), 0);
  bob.close();
});

test('an idle timeout hibernates a resumable session (without resumption it ends); with xmpp.resumeSeconds = 0 nothing is resumable', async () => {
  const idle = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.idleSeconds': 1 });
  const none = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.resumeSeconds': 0 });
  try {
    for (const u of ['alice', 'bob', 'carol']) for (const g of [idle, none]) await g.user(`${u}@example.com`, PW);
    const alice = await smLogin(idle.xmppPort!, 'alice', 'quiet');
    alice.send('<presence/>');
    const carol = await smLogin(idle.xmppPort!, 'carol', 'quiet', false);
    carol.send('<presence/>');
    const bob = await login(idle.xmppPort!, 'bob@example.com', PW, 'busy');
    bob.send('<presence/>');
    const keepAlive = setInterval(() => bob.send(' '), 300);
    try {
      assert.ok((await alice.next((e) => e.name === 'stream:error', 4000)).getChild('connection-timeout'));
      assert.ok((await carol.next((e) => e.name === 'stream:error', 4000)).getChild('connection-timeout'));
      await presenceFrom(bob, 'carol@example.com/quiet', 'unavailable');
      await sleep(300);
      assert.equal(count(bob, (e) => e.attrs.from === 'alice@example.com/quiet' && e.attrs.type === 'unavailable'), 0, 'alice hibernates');
      bob.send(`<message to='alice@example.com' type='chat' id='i1'><body>wake up</body></message>`);
      const back = await resume(idle.xmppPort!, 'alice', alice.smId, handledBetween(alice, alice.enabled));
      assert.equal(back.answer.name, 'resumed');
      await back.next(msgId('i1'));
      back.close();
    } finally {
      clearInterval(keepAlive);
      bob.close();
    }

    const n = await login(none.xmppPort!, 'alice@example.com', PW, 'x');
    n.send(`<enable xmlns='${SM}' resume='true'/>`);
    assert.deepEqual((await n.next((e) => e.name === 'enabled')).attrs, { xmlns: SM }, 'acks, but no resumption');
    n.send(`<r xmlns='${SM}'/>`);
    assert.equal((await n.next((e) => e.name === 'a')).attrs.h, '0');
    n.close();
    const r = await resume(none.xmppPort!, 'alice', 'anything', 0);
    assert.ok(r.answer.getChild('feature-not-implemented', STANZAS));
    r.close();
  } finally {
    await Promise.all([idle.destroy(), none.destroy()]);
  }
});

type Ev<K extends SlixEvent['event']> = Extract<SlixEvent, { event: K }>;

test('slixmpp (xep_0198): stream resumption after a cut connection — same session and JID, no unavailable seen, messages once', async () => {
  const tlsGw = await startTestGateway({ 'xmpp.requireTls': true });
  const clients: Slixmpp[] = [];
  try {
    await tlsGw.user('alice@example.com', PW);
    await tlsGw.user('bob@example.com', PW);
    const connect = async (user: string) => {
      const c = await startSlixmpp({ label: user });
      clients.push(c);
      const r = await c.call('connect', { jid: `${user}@example.com`, password: PW, host: '127.0.0.1', port: tlsGw.xmppPort!, starttls: true, sm: true, sm_window: 2, resource: 'slix' });
      assert.equal(r.tls, true);
      assert.equal(r.sm, true, 'stream management negotiated');
      assert.ok(r.sm_id, 'with resumption');
      return { c, r };
    };
    const { c: alice } = await connect('alice');
    const { c: bob, r: bobLogin } = await connect('bob');
    await alice.next<Ev<'presence'>>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.type === 'available');
    // Acks flow both ways before the cut.
    await alice.call('send', { to: 'bob@example.com', body: 'before the cut' });
    await bob.next<Ev<'message'>>({ event: 'message', body: 'before the cut' });
    const status = await bob.call('sm_status');
    assert.equal(status.enabled, true);

    const { sm_id } = await bob.call('sm_cut', { reconnect: false });
    assert.equal(sm_id, bobLogin.sm_id);
    await bob.next({ event: 'disconnected', cut: true });
    const sent = [await alice.call('send', { to: 'bob@example.com', body: 'while you were cut off 1' }), await alice.call('send', { to: 'bob@example.com/slix', body: 'while you were cut off 2' })];
    await alice.call('iq_ping', { to: 'example.com' });
    await sleep(300);
    await bob.call('sm_resume');
    await bob.next('resumed', 10_000);
    for (const s of sent) await bob.next<Ev<'message'>>({ event: 'message', id: s.msg_id }, 5000);
    assert.equal((await bob.call('sm_status')).sm_id, bobLogin.sm_id, 'the same session');
    const back = await bob.call('send', { to: 'alice@example.com', body: 'back again' });
    assert.equal((await alice.next<Ev<'message'>>({ event: 'message', id: back.msg_id })).from, 'bob@example.com/slix', 'same full JID');

    // Once more, with slixmpp reconnecting by itself after a moment.
    await bob.call('sm_cut', { delay_ms: 400 });
    const during = await alice.call('send', { to: 'bob@example.com', body: 'during the second cut' });
    await bob.next('resumed', 10_000);
    await bob.next<Ev<'message'>>({ event: 'message', id: during.msg_id }, 5000);
    await sleep(500);

    const bobMessages = bob.events.filter((e): e is Ev<'message'> => e.event === 'message').map((e) => e.body);
    for (const body of ['before the cut', 'while you were cut off 1', 'while you were cut off 2', 'during the second cut']) {
      assert.equal(bobMessages.filter((b) => b === body).length, 1, `"${body}" exactly once in ${JSON.stringify(bobMessages)}`);
    }
    assert.equal(alice.events.filter((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.type === 'unavailable').length, 0, 'alice never saw bob go');
    assert.equal(bob.events.filter((e) => e.event === 'session_restarted' || e.event === 'resume_failed').length, 0);
    const bad = clients.flatMap((c) => c.events.filter((e) => e.event === 'log' || e.event === 'exception' || e.event === 'stream_error').map((e) => `${c.label}: ${JSON.stringify(e)}`));
    assert.deepEqual(bad, [], 'no slixmpp error (its SM counters agree with ours)');
  } finally {
    for (const c of clients) await c.close();
    await tlsGw.destroy();
  }
});

test('@xmpp/client over WebSocket: its stream management resumes after the socket dies, nothing lost or doubled', async () => {
  (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
  const { client } = await import('@xmpp/client');
  // What this test uses of xmpp.js beyond types/vendor.d.ts: its stream management and its socket.
  type WithSm = ReturnType<typeof client> & {
    streamManagement: { id: string; once(event: 'resumed', fn: () => void): void };
    socket: { socket: WebSocket };
  };
  const xmpp = client({ service: `${gw.url.replace('http', 'ws')}/xmpp-websocket`, domain: 'example.com', username: 'dave', password: PW, resource: 'web' }) as WithSm;
  xmpp.on('error', () => {});
  const got: Element[] = [];
  xmpp.on('stanza', (s: Element) => got.push(s));
  const bob = await login(port, 'bob@example.com', PW, 'ws-peer');
  bob.send('<presence/>');
  try {
    await xmpp.start();
    await xmpp.send(parse('<presence/>'));
    for (let i = 0; i < 100 && !xmpp.streamManagement.id; i++) await sleep(20);
    const smId = xmpp.streamManagement.id;
    assert.ok(smId, 'enabled with resumption');
    await presenceFrom(bob, 'dave@example.com/web');
    const resumed = new Promise<void>((r) => xmpp.streamManagement.once('resumed', () => r()));
    // Kill the socket under the client: no <close/>, like a network that went away.
    xmpp.socket.socket.terminate();
    await sleep(100);
    bob.send(`<message to='dave@example.com' type='chat' id='w1'><body>while the socket was down</body></message>`);
    await Promise.race([resumed, sleep(8000).then(() => assert.fail('not resumed within 8 s'))]);
    assert.equal(xmpp.streamManagement.id, smId, 'the same session');
    for (let i = 0; i < 100 && !got.some((s) => s.attrs.id === 'w1'); i++) await sleep(20);
    await sleep(300);
    assert.equal(got.filter((s) => s.attrs.id === 'w1').length, 1, 'exactly once');
    await xmpp.send(parse(`<message to='bob@example.com' type='chat' id='w2'><body>back</body></message>`));
    assert.equal((await bob.next(msgId('w2'))).attrs.from, 'dave@example.com/web');
    assert.equal(count(bob, (e) => e.attrs.from === 'dave@example.com/web' && e.attrs.type === 'unavailable'), 0);
  } finally {
    await xmpp.stop().catch(() => {});
    bob.close();
  }
});
