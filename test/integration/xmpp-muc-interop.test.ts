// Group chat (XEP-0045) with a client nobody here wrote: two slixmpp clients over STARTTLS find
// the conference service by disco, create and join a room, exchange messages, get history on
// join, and see each other leave — the same steps slixmpp-prosody.test.ts runs against Prosody.
// Then a third client reads a room's archive (XEP-0313 on the room's JID) with slixmpp's own MAM
// plugin, paging forward and from the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interopSetup } from '../fixtures/interop.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';

const env = interopSetup({ alice: 'alice muc pw', bob: 'bob muc pw', carol: 'carol muc pw' });
type Ev<K extends SlixEvent['event']> = Extract<SlixEvent, { event: K }>;
const connect = async (user: 'alice' | 'bob' | 'carol') => (await env.connect(user)).c;

test('slixmpp: discover the conference service, create a room, join, talk, history on join, leave', async () => {
  const [alice, bob] = await Promise.all([connect('alice'), connect('bob')]);

  const items = await alice.call('disco_items', { to: 'example.com' });
  // Other components (upload.example.com, ...) are listed too: the conference service must be.
  assert.ok(items.items.some((i) => i.jid === 'conference.example.com'), JSON.stringify(items.items));
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

test('slixmpp’s MAM plugin reads a room’s archive after others chatted: paging forward and from the end, with, metadata', async () => {
  const [alice, bob] = await Promise.all([connect('alice'), connect('bob')]);
  const room = 'standup@conference.example.com';
  await alice.call('muc_join', { room, nick: 'Alice', persistent: true });
  await bob.call('muc_join', { room, nick: 'Bob' });
  await alice.next<Ev<'presence'>>((e) => e.event === 'presence' && e.from === `${room}/Bob`);
  const said: { body: string; sid: string | undefined }[] = [];
  for (let i = 0; i < 7; i++) {
    const [from, to] = i % 2 ? [bob, alice] : [alice, bob];
    const body = `update ${i}`;
    await from.call('muc_send', { room, body });
    // The live copy carries the room's stanza-id: the archive id a client may page from.
    const live = await to.next<Ev<'message'>>({ event: 'message', body });
    said.push({ body, sid: live.stanza_id });
  }
  assert.ok(said.every((m) => m.sid));

  // carol never joined: an open room's archive is for everyone of the domain.
  const carol = await connect('carol');
  const forward = await carol.call('mam_plugin', { jid: room, page: 3 });
  assert.ok(forward.fields.includes('with') && forward.fields.includes('start'), `fields: ${forward.fields.join(', ')}`);
  assert.deepEqual(forward.metadata, { start: said[0]!.sid, end: said[6]!.sid });
  assert.deepEqual(
    forward.pages.map((p) => p.messages.map((m) => m.body)),
    [['update 0', 'update 1', 'update 2'], ['update 3', 'update 4', 'update 5'], ['update 6']],
  );
  assert.deepEqual(
    forward.pages.map((p) => p.complete),
    [false, false, true],
  );
  const messages = forward.pages.flatMap((p) => p.messages);
  assert.deepEqual(
    messages.map((m) => m.archive_id),
    said.map((m) => m.sid),
  );
  assert.ok(messages.every((m) => m.carrier_from === room && m.to === null && m.type === 'groupchat' && m.stamp));
  assert.equal(messages[0]!.from, `${room}/Alice`);
  assert.equal(messages[1]!.from, `${room}/Bob`);
  assert.equal(messages[1]!.real_jid, 'bob@example.com/slix', 'non-anonymous room: the real JID rides along');

  const backward = await carol.call('mam_plugin', { jid: room, page: 3, reverse: true });
  assert.deepEqual(
    backward.pages.map((p) => p.messages.map((m) => m.body)),
    [['update 4', 'update 5', 'update 6'], ['update 1', 'update 2', 'update 3'], ['update 0']],
    'from the end, each page oldest first',
  );
  const bobs = await carol.call('mam_plugin', { jid: room, with: `${room}/Bob`, page: 10 });
  assert.deepEqual(
    bobs.pages.flatMap((p) => p.messages.map((m) => m.body)),
    ['update 1', 'update 3', 'update 5'],
  );

  // A members-only room's archive is not carol's to read.
  const board = 'board@conference.example.com';
  await alice.call('muc_join', { room: board, nick: 'Alice' });
  await alice.call('raw', {
    xml: `<iq type='set' id='mo' to='${board}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_membersonly'><value>1</value></field></x></query></iq>`,
    wait_id: 'mo',
  });
  await alice.call('muc_send', { room: board, body: 'members only', wait_echo: true });
  await assert.rejects(carol.call('mam_plugin', { jid: board }), /forbidden/);
});

test('no client saw a slixmpp error or handler exception', () => {
  const bad = env.clients.flatMap((c) => c.events.filter((e) => e.event === 'log' || e.event === 'exception' || e.event === 'protocol_error').map((e) => `${c.label}: ${JSON.stringify(e)}`));
  assert.deepEqual(bad, []);
});
