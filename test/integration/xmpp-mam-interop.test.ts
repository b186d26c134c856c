// MAM (XEP-0313) with a client nobody here wrote: Debian's slixmpp over STARTTLS chats, then
// reads its archive back — the same query slixmpp-prosody.test.ts runs against Prosody.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interopSetup } from '../fixtures/interop.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';

const env = interopSetup({ alice: 'alice mam pw', bob: 'bob mam pw' });
const connect = async (user: 'alice' | 'bob', resource = 'slix') => (await env.connect(user, { resource })).c;

type Msg = Extract<SlixEvent, { event: 'message' }>;

test('slixmpp: two clients chat over STARTTLS, then page through the archive', async () => {
  const alice = await connect('alice');
  // bob is offline for the first message: it is archived and stored.
  await alice.call('send', { to: 'bob@example.com', body: 'Hello Bob' });
  const bob = await connect('bob');
  const offline = await bob.next<Msg>({ event: 'message', body: 'Hello Bob' });
  assert.ok(offline.delay?.stamp);
  assert.ok(offline.stanza_id, 'the offline copy carries its archive id');
  await alice.next((e) => e.event === 'presence' && e.from === 'bob@example.com/slix');

  await bob.call('send', { to: 'alice@example.com', body: 'Hi Alice' });
  await alice.next<Msg>({ event: 'message', body: 'Hi Alice' });
  for (const body of ['how are you?', 'lunch at 12?']) {
    await alice.call('send', { to: 'bob@example.com', body });
    await bob.next<Msg>({ event: 'message', body });
  }

  const all = await alice.call('mam_query', { with: 'bob@example.com', max: 50 });
  assert.deepEqual(all.messages.map((m) => m.body), ['Hello Bob', 'Hi Alice', 'how are you?', 'lunch at 12?']);
  assert.ok(all.complete);
  assert.equal(all.count, 4);
  assert.ok(all.messages.every((m) => m.archive_id && m.stamp));
  assert.equal(all.messages[0]!.from, 'alice@example.com/slix');
  assert.equal(all.first, all.messages[0]!.archive_id);
  assert.equal(all.last, all.messages[3]!.archive_id);
  assert.equal(all.messages[0]!.archive_id, offline.stanza_id, 'archive id = the delivered stanza-id');

  // Paging (RSM): the last two, then the two before them.
  const last = await alice.call('mam_query', { with: 'bob@example.com', max: 2, before: '' });
  assert.deepEqual(last.messages.map((m) => m.body), ['how are you?', 'lunch at 12?']);
  assert.equal(last.complete, false);
  const earlier = await alice.call('mam_query', { with: 'bob@example.com', max: 2, before: last.first! });
  assert.deepEqual(earlier.messages.map((m) => m.body), ['Hello Bob', 'Hi Alice']);
  assert.equal(earlier.complete, true);
  const forward = await bob.call('mam_query', { with: 'alice@example.com', max: 3 });
  assert.deepEqual([forward.messages.length, forward.complete, forward.count], [3, false, 4]);
  const rest = await bob.call('mam_query', { with: 'alice@example.com', max: 3, after: forward.last! });
  assert.deepEqual([rest.messages.map((m) => m.body), rest.complete], [['lunch at 12?'], true]);

  // A date window and somebody else's archive.
  const future = await bob.call('mam_query', { start: new Date(Date.now() + 60_000).toISOString() });
  assert.deepEqual([future.messages, future.count], [[], 0]);
  await assert.rejects(bob.call('mam_query', { jid: 'alice@example.com' }), /forbidden/);

  const info = await alice.call('disco_info', { to: 'alice@example.com' });
  assert.ok(info.features.includes('urn:xmpp:mam:2'));
});

test('no client saw a slixmpp error or handler exception', () => {
  const bad = env.clients.flatMap((c) => c.events.filter((e) => e.event === 'log' || e.event === 'exception' || e.event === 'protocol_error').map((e) => `${c.label}: ${JSON.stringify(e)}`));
  assert.deepEqual(bad, []);
});
