// Blocking (XEP-0191) with a client nobody here wrote: Debian's slixmpp and its own xep_0191
// plugin (block, unblock, get_blocked, pushes) against the gateway over STARTTLS — a blocked
// user's messages and presence stop, and resume on unblock. The stanza-level tests are in
// xmpp-blocking.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interopSetup } from '../fixtures/interop.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';

type Presence = Extract<SlixEvent, { event: 'presence' }>;
type Message = Extract<SlixEvent, { event: 'message' | 'message_error' }>;
const env = interopSetup({ alice: 'alice block pw', bob: 'bob block pw', carol: 'carol block pw' });

test('slixmpp: a blocked colleague’s messages and presence stop, and resume on unblock', async () => {
  const { c: alice } = await env.connect('alice', { resource: 'desk' });
  const { c: phone } = await env.connect('alice', { resource: 'phone' });
  const { c: bob } = await env.connect('bob');
  const { c: carol } = await env.connect('carol');
  await alice.next<Presence>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.type === 'available');
  assert.ok((await alice.call('disco_info', { to: 'example.com' })).features.includes('urn:xmpp:blocking'));
  assert.deepEqual((await phone.call('blocklist')).items, [], 'the phone asked: it gets pushes');

  await alice.call('block', { jids: ['bob@example.com'] });
  assert.deepEqual((await phone.next<Extract<SlixEvent, { event: 'blocked' }>>('blocked')).items, ['bob@example.com']);
  assert.deepEqual((await alice.call('blocklist')).items, ['bob@example.com']);
  await alice.next<Presence>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.type === 'unavailable');
  await bob.next<Presence>((e) => e.event === 'presence' && e.from === 'alice@example.com/desk' && e.type === 'unavailable');
  const mark = alice.events.length;

  // bob writes: refused as if alice were not there; bob changes his presence: carol sees it, alice not.
  await bob.call('send', { to: 'alice@example.com', body: 'are you ignoring me?', msg_id: 'blk1' });
  const err = await bob.next<Message>((e) => e.event === 'message_error' && e.id === 'blk1');
  assert.equal(err.error?.condition, 'service-unavailable');
  await bob.call('presence', { show: 'chat', status: 'still here' });
  await carol.next<Presence>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.status === 'still here');
  // alice writes to bob: her own client learns why it failed.
  await alice.call('send', { to: 'bob@example.com', body: 'stop', msg_id: 'blk2' });
  const own = await alice.next<Message>((e) => e.event === 'message_error' && e.id === 'blk2');
  assert.equal(own.error?.condition, 'not-acceptable');
  // Everything sent to alice before her ping's answer has arrived by then.
  await alice.call('iq_ping', { to: 'example.com' });
  const fromBob = alice.events.slice(mark).filter((e) => (e.event === 'message' || e.event === 'presence') && (e.from ?? '').startsWith('bob@'));
  assert.deepEqual(fromBob, [], 'no message and no presence from bob while he is blocked');

  await alice.call('unblock', { jids: ['bob@example.com'] });
  assert.deepEqual((await phone.next<Extract<SlixEvent, { event: 'unblocked' }>>('unblocked')).items, ['bob@example.com']);
  const back = await alice.next<Presence>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix' && e.status === 'still here');
  assert.equal(back.show, 'chat', 'bob’s current presence, right away');
  await bob.next<Presence>((e) => e.event === 'presence' && e.from === 'alice@example.com/desk' && e.type === 'available');
  await bob.call('send', { to: 'alice@example.com', body: 'hello again', msg_id: 'blk3' });
  assert.equal((await alice.next<Message>((e) => e.event === 'message' && e.id === 'blk3')).body, 'hello again');
  assert.deepEqual((await alice.call('blocklist')).items, []);

  // Unblock-all (slixmpp's unblock with no JIDs).
  await alice.call('block', { jids: ['bob@example.com', 'carol@example.com'] });
  await alice.call('unblock', { jids: [] });
  assert.deepEqual((await phone.call('blocklist')).items, []);
});
