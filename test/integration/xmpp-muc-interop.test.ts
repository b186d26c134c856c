// Group chat (XEP-0045) with a client nobody here wrote: two slixmpp clients over STARTTLS find
// the conference service by disco, create and join a room, exchange messages, get history on
// join, and see each other leave — the same steps slixmpp-prosody.test.ts runs against Prosody.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interopSetup } from '../fixtures/interop.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';

const env = interopSetup({ alice: 'alice muc pw', bob: 'bob muc pw' });
type Ev<K extends SlixEvent['event']> = Extract<SlixEvent, { event: K }>;
const connect = async (user: 'alice' | 'bob') => (await env.connect(user)).c;

test('slixmpp: discover the conference service, create a room, join, talk, history on join, leave', async () => {
  const [alice, bob] = await Promise.all([connect('alice'), connect('bob')]);

  const items = await alice.call('disco_items', { to: 'example.com' });
  assert.deepEqual(
    items.items.map((i) => i.jid),
    ['conference.example.com'],
  );
  const service = await alice.call('disco_info', { to: 'conference.example.com' });
  assert.ok(service.identities.some((i) => i.category === 'conference' && i.type === 'text'));
  assert.ok(service.features.includes('http://jabber.org/protocol/muc'));

  const room = 'lobby@conference.example.com';
  const ja = await alice.call('muc_join', { room, nick: 'Alice', history: 20, persistent: true });
  assert.equal(ja.created, true, 'the first occupant creates the room (the driver accepts the instant-room defaults)');
  assert.equal(ja.affiliation, 'owner');
  assert.equal(ja.role, 'moderator');
  assert.ok(ja.codes.includes(110) && ja.codes.includes(201));
  const said = await alice.call('muc_send', { room, body: 'Welcome to the lobby', wait_echo: true });
  assert.equal(said.echo?.body, 'Welcome to the lobby');
  assert.equal(said.echo?.from, `${room}/Alice`);

  const jb = await bob.call('muc_join', { room, nick: 'Bob', history: 20 });
  assert.equal(jb.created, false);
  assert.equal(jb.affiliation, 'none');
  assert.deepEqual(jb.occupants, ['Alice']);
  const hist = jb.history.find((m) => m.body === 'Welcome to the lobby');
  assert.ok(hist, `history on join: ${JSON.stringify(jb.history)}`);
  assert.equal(hist.from, `${room}/Alice`);
  assert.ok(hist.delay?.stamp);
  assert.equal(jb.subject, '', 'an empty subject ends the join, as with Prosody');

  await alice.next<Ev<'presence'>>((e) => e.event === 'presence' && e.from === `${room}/Bob`);
  await bob.call('muc_send', { room, body: 'Hi all', html: `<p><span style='color: #0000cc'>Hi</span> all</p>` });
  const m = await alice.next<Ev<'message'>>({ event: 'message', body: 'Hi all' });
  assert.equal(m.type, 'groupchat');
  assert.equal(m.from, `${room}/Bob`);
  assert.match(m.html ?? '', /color: #0000cc/, 'XHTML-IM rides along');

  const public_ = await bob.call('disco_items', { to: 'conference.example.com' });
  assert.deepEqual(
    public_.items.map((i) => i.jid),
    [room],
    'persistent rooms are listed',
  );
  const occupants = await bob.call('disco_items', { to: room });
  assert.deepEqual(occupants.items.map((i) => i.name).sort(), ['Alice', 'Bob']);

  await bob.call('muc_leave', { room });
  const left = await alice.next<Ev<'presence'>>((e) => e.event === 'presence' && e.from === `${room}/Bob` && e.type === 'unavailable');
  assert.equal(left.muc?.role, 'none');

  // bob comes back asking for one message of history: the last one, delay-stamped.
  const again = await bob.call('muc_join', { room, nick: 'Bob', history: 1 });
  assert.deepEqual(
    again.history.map((h) => h.body),
    ['Hi all'],
  );
  await bob.call('disconnect');
  await alice.next<Ev<'presence'>>((e) => e.event === 'presence' && e.from === `${room}/Bob` && e.type === 'unavailable');
});
