// Interop with a client nobody here wrote: Debian's slixmpp against the gateway's XMPP server,
// over STARTTLS with the self-signed demo certificate — login, roster, presence, chat with
// receipts and XHTML-IM colour, offline delivery, ping and disco.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interopSetup } from '../fixtures/interop.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';

const PW = { alice: 'alice xmpp pw', bob: 'bob xmpp pw' };
const env = interopSetup(PW);
const connect = (user: 'alice' | 'bob', extra: Record<string, unknown> = {}) => env.connect(user, extra);

type Msg = Extract<SlixEvent, { event: 'message' }>;
type Pres = Extract<SlixEvent, { event: 'presence' }>;

test('slixmpp: STARTTLS login, roster, presence, chat with receipts and colour, offline delivery, ping, disco', async () => {
  const { c: alice, r } = await connect('alice', { status: 'working from home', show: 'dnd' });
  assert.equal(r.tls, true, 'STARTTLS negotiated');
  assert.equal(r.jid, 'alice@example.com/slix');
  assert.deepEqual(r.roster?.map((i) => `${i.jid} ${i.subscription} ${i.name}`), ['bob@example.com both Bob']);

  // bob is offline: this message waits for him.
  await alice.call('send', { to: 'bob@example.com', body: 'Morning! (sent while you were away)' });

  const { c: bob } = await connect('bob');
  const offline = await bob.next<Msg>({ event: 'message', body: 'Morning! (sent while you were away)' });
  assert.equal(offline.from, 'alice@example.com/slix');
  assert.ok(offline.delay?.stamp, 'offline message carries a delay stamp');
  const alicePresence = await bob.next<Pres>((e) => e.event === 'presence' && e.from === 'alice@example.com/slix');
  assert.equal(alicePresence.show, 'dnd');
  assert.equal(alicePresence.status, 'working from home');
  await alice.next<Pres>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.type === 'available');

  const sent = await alice.call('send', { to: 'bob@example.com', body: 'Lunch at 12?', html: `<p><span style='color: #cc0000'>Lunch</span> at 12?</p>`, receipt_request: true });
  const got = await bob.next<Msg>({ event: 'message', body: 'Lunch at 12?' });
  assert.match(got.html ?? '', /color: #cc0000/);
  const receipt = await alice.next<Extract<SlixEvent, { event: 'receipt' }>>({ event: 'receipt' });
  assert.equal(receipt.id, sent.id, 'bob’s client acknowledged it (XEP-0184) through our server');

  await bob.call('send', { to: 'alice@example.com/slix', body: 'Sure 👍' });
  await alice.next<Msg>({ event: 'message', body: 'Sure 👍' });

  const ping = await alice.call('iq_ping', { to: 'example.com' });
  assert.ok(ping.rtt_ms >= 0);
  const info = await alice.call('disco_info', { to: 'example.com' });
  assert.ok(info.identities.some((i) => i.category === 'server' && i.type === 'im'));
  assert.ok(info.features.includes('urn:xmpp:ping'));

  await bob.call('disconnect');
  const gone = await alice.next<Pres>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.type === 'unavailable');
  assert.equal(gone.type, 'unavailable');
});

test('slixmpp: a wrong password is refused and IM switched off for the domain throws the client out', async () => {
  const bad = await env.bare('bad');
  await assert.rejects(bad.call('connect', { jid: 'bob@example.com', password: 'nope', host: '127.0.0.1', port: env.gw.xmppPort!, starttls: true, sm: false }, 15_000));

  const { c: alice } = await connect('alice', { resource: 'switch' });
  // As the CLI does it: from another database connection, through the credentials journal; the server notices within a second.
  const other = (await import('../../gateway/src/store/index.ts')).createStore(env.gw.dataDir);
  (await import('../../gateway/src/directory/credentials.ts')).createCredentials({ store: other }).setDomainIm('example.com', false);
  other.close();
  const err = await alice.next<Extract<SlixEvent, { event: 'stream_error' }>>('stream_error', 5000);
  assert.equal(err.condition, 'policy-violation');
  assert.match(err.text ?? '', /switched off/);
});

test('slixmpp: SASL PLAIN with the password over STARTTLS (checked against the SCRAM keys) signs in; a wrong one is refused', async () => {
  env.gw.services.store.domains.setImEnabled('example.com', true); // (the test before switched it off)
  const { c, r } = await connect('bob', { sasl_mech: 'PLAIN', resource: 'plain' });
  assert.equal(r.tls, true);
  assert.equal(r.jid, 'bob@example.com/plain');
  await c.call('disconnect');
  const bad = await env.bare('bad-plain');
  await assert.rejects(bad.call('connect', { jid: 'bob@example.com', password: 'not bobs password', sasl_mech: 'PLAIN', host: '127.0.0.1', port: env.gw.xmppPort!, starttls: true, sm: false }, 15_000));
});

test('slixmpp: carbons (XEP-0280) keep two resources of one user in step', async () => {
  env.gw.services.store.domains.setImEnabled('example.com', true);
  const { c: phone } = await connect('alice', { resource: 'phone', carbons: true });
  const { c: desk } = await connect('alice', { resource: 'desk', carbons: true });
  const { c: bob } = await connect('bob', { resource: 'tablet' });
  await bob.call('send', { to: 'alice@example.com/phone', body: 'to your phone' });
  await phone.next<Msg>({ event: 'message', body: 'to your phone' });
  const received = await desk.next<Extract<SlixEvent, { event: 'carbon' }>>({ event: 'carbon', direction: 'received' });
  assert.equal(received.body, 'to your phone');
  assert.equal(received.from, 'bob@example.com/tablet');
  await phone.call('send', { to: 'bob@example.com', body: 'answered from the phone' });
  const sent = await desk.next<Extract<SlixEvent, { event: 'carbon' }>>({ event: 'carbon', direction: 'sent' });
  assert.equal(sent.body, 'answered from the phone');
  assert.equal(sent.to, 'bob@example.com');
  await bob.next<Msg>({ event: 'message', body: 'answered from the phone' });
});
