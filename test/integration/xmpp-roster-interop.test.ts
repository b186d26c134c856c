// Interop with a roster API nobody here wrote: Debian's slixmpp (update_roster, del_roster_item,
// get_roster with roster versioning, its automatic subscription handling) against the gateway
// over STARTTLS. The stanza-level roster tests are in xmpp-roster.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interopSetup } from '../fixtures/interop.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';

const SLIX_PW = { alice: 'alice slix pw', bob: 'bob slix pw' };
const env = interopSetup(SLIX_PW);

test('slixmpp: update_roster and del_roster_item edit the roster; pushes reach its other resource; versioning; a cross-domain add subscribes both ways', async () => {
  const { c: desk, r } = await env.connect('alice', { resource: 'desk' });
  assert.ok(r.features.includes('{urn:xmpp:features:rosterver}ver'), `roster versioning is a stream feature: ${r.features.join(' ')}`);
  const { c: phone } = await env.connect('alice', { resource: 'phone' });
  const { c: bob } = await env.connect('bob', { resource: 'slix' });
  await desk.next<Extract<SlixEvent, { event: 'presence' }>>((e) => e.event === 'presence' && e.from === 'bob@example.com/slix');

  await desk.call('roster_update', { jid: 'bob@example.com', name: 'Bobby', groups: ['Team'] });
  const pushed = await phone.next<Extract<SlixEvent, { event: 'roster' }>>((e) => e.event === 'roster' && e.items[0]?.name === 'Bobby');
  assert.deepEqual(pushed.items[0], { jid: 'bob@example.com', name: 'Bobby', subscription: 'both', ask: null, groups: ['Team'] });
  assert.ok(pushed.ver);
  const state = await phone.call('roster_state');
  assert.deepEqual(state.items.find((i) => i.jid === 'bob@example.com'), { jid: 'bob@example.com', name: 'Bobby', subscription: 'both', ask: null, groups: ['Team'] });
  assert.equal(state.version, pushed.ver, 'slixmpp keeps the pushed version');
  // update_roster with a name only keeps slixmpp's groups (it sends them again).
  await desk.call('roster_update', { jid: 'bob@example.com', name: 'Bob B.' });
  await phone.next<Extract<SlixEvent, { event: 'roster' }>>((e) => e.event === 'roster' && e.items[0]?.name === 'Bob B.' && e.items[0]?.groups[0] === 'Team');

  // Asking again with the version it holds: an empty result; slixmpp keeps its roster.
  const refetch = await phone.call('roster_refetch');
  assert.equal(refetch.ver_sent, (await phone.call('roster_state')).version);
  assert.equal(refetch.full, false, `the current version gets an empty result: ${JSON.stringify(refetch)}`);

  // del_roster_item: slixmpp also sends unsubscribe (ignored for a colleague); bob still sees alice.
  await desk.call('roster_delete', { jid: 'bob@example.com' });
  await phone.next<Extract<SlixEvent, { event: 'roster' }>>((e) => e.event === 'roster' && e.items[0]?.jid === 'bob@example.com' && e.items[0]?.subscription === 'remove');
  assert.equal((await phone.call('roster_state')).items.some((i) => i.jid === 'bob@example.com' && i.subscription !== 'none'), false);
  assert.equal((await bob.call('roster')).items.find((i) => i.jid === 'alice@example.com')?.subscription, 'both');
  await desk.call('presence', { show: 'away' });
  await bob.next<Extract<SlixEvent, { event: 'presence' }>>((e) => e.event === 'presence' && e.from === 'alice@example.com/desk' && e.show === 'away');
  // Adding bob back with update_roster restores him.
  await desk.call('roster_update', { jid: 'bob@example.com', name: 'Bob', groups: ['example.com'] });
  await phone.next<Extract<SlixEvent, { event: 'roster' }>>((e) => e.event === 'roster' && e.items[0]?.jid === 'bob@example.com' && e.items[0]?.subscription === 'both');

  // A user of another (unlinked) local domain: slixmpp's auto-authorize and auto-subscribe on both
  // sides take the RFC 6121 §3 flow to "both".
  await env.gw.user('olga@other.example', 'olga slix pw');
  const olga = await env.bare('olga');
  await olga.call('connect', { jid: 'olga@other.example', password: 'olga slix pw', host: '127.0.0.1', port: env.gw.xmppPort!, starttls: true, sm: false, resource: 'slix' });
  await desk.call('roster_update', { jid: 'olga@other.example', name: 'Olga' });
  await desk.call('subscribe', { to: 'olga@other.example' });
  await phone.next<Extract<SlixEvent, { event: 'roster' }>>((e) => e.event === 'roster' && e.items[0]?.jid === 'olga@other.example' && e.items[0]?.subscription === 'both', 10_000);
  await olga.next<Extract<SlixEvent, { event: 'roster' }>>((e) => e.event === 'roster' && e.items[0]?.jid === 'alice@example.com' && e.items[0]?.subscription === 'both', 10_000);
  await olga.call('presence', { show: 'chat', status: 'subscribed' });
  await phone.next<Extract<SlixEvent, { event: 'presence' }>>((e) => e.event === 'presence' && e.from === 'olga@other.example/slix' && e.status === 'subscribed');
  // The remote-domain refusal as slixmpp sees it: its roster set fails with the stanza error.
  await assert.rejects(desk.call('roster_update', { jid: 'someone@jabber.org', name: 'Remote' }), /remote-server-not-found/);
});
