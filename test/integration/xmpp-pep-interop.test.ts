// PEP with a client nobody here wrote: Debian's slixmpp and its own plugins (caps, XEP-0163,
// XEP-0048 bookmarks over PEP and private XML, XEP-0084/0153 avatars) against the gateway —
// bookmarks survive a client restart; an avatar set on one resource reaches another resource and
// a colleague; the e2ee policy refuses an OMEMO device-list publish (deny) or accepts it (allow).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { interopSetup } from '../fixtures/interop.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';

const PW = { alice: 'alice xmpp pw', bob: 'bob xmpp pw', olga: 'olga xmpp pw' };
const env = interopSetup(PW, { overrides: { 'xmpp.e2ee.domains': { 'open.example': 'allow' } }, domains: { olga: 'open.example' } });

type Pres = Extract<SlixEvent, { event: 'presence' }>;
type Pep = Extract<SlixEvent, { event: 'pep' }>;

test('slixmpp: bookmarks stored with XEP-0048 over PEP survive a client restart and show through private XML and XEP-0402', async () => {
  const { c: first } = await env.connect('alice', { resource: 'bm', pep: true });
  await first.call('bookmarks_set', { method: 'xep_0223', conferences: [{ jid: 'team@conference.example.com', name: 'Team', nick: 'ally', autojoin: true }] });
  await first.call('disconnect');
  await first.close();

  // A new process, a new session: what the client gets back is what it stored.
  const { c: again } = await env.connect('alice', { resource: 'bm2', pep: true });
  const got = await again.call('bookmarks_get', { method: 'xep_0223' });
  assert.deepEqual(got.conferences, [{ jid: 'team@conference.example.com', name: 'Team', nick: 'ally', autojoin: true }]);
  // The same store through private XML storage (XEP-0049), as older clients read it…
  const legacy = await again.call('bookmarks_get', { method: 'xep_0049' });
  assert.deepEqual(legacy.conferences, got.conferences);
  // …and through XEP-0402, one item per room.
  const b2 = await again.call('raw', {
    xml: `<iq type='get' id='b2'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>`,
    wait_id: 'b2',
  });
  assert.match(b2.reply ?? '', /<item id="team@conference\.example\.com"><conference[^>]*name="Team"/);
  // Writing through private XML changes the PEP view too.
  await again.call('bookmarks_set', { method: 'xep_0049', conferences: [{ jid: 'coffee@conference.example.com', name: 'Coffee', nick: 'ally' }] });
  assert.deepEqual((await again.call('bookmarks_get', { method: 'xep_0223' })).conferences.map((c) => c.jid), ['coffee@conference.example.com']);
});

const IMAGE = Buffer.from('89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61', 'hex');
const HASH = createHash('sha1').update(IMAGE).digest('hex');

test('slixmpp: an avatar set on one resource (vCard, XEP-0153) appears on another resource and at a colleague’s (XEP-0084 and presence hash)', async () => {
  const { c: desk } = await env.connect('alice', { resource: 'desk', pep: true });
  const { c: phone } = await env.connect('alice', { resource: 'phone', pep: true });
  const { c: bob } = await env.connect('bob', { resource: 'av', pep: true });
  const set = await desk.call('avatar_set', { data_b64: IMAGE.toString('base64'), type: 'image/png', via: 'vcard' });
  assert.equal(set.hash, HASH);
  // The other resource and the colleague: the metadata notification (their caps say +notify)…
  for (const c of [phone, bob]) {
    const meta = await c.next<Pep>((e) => e.event === 'pep' && e.node === 'urn:xmpp:avatar:metadata' && e.from === 'alice@example.com' && e.ids.includes(HASH), 10_000);
    assert.match(meta.xml, /type="image\/png"/);
    // …and the presence hash.
    await c.next<Pres>((e) => e.event === 'presence' && e.from === 'alice@example.com/desk' && e.photo === HASH, 10_000);
  }
  const data = await bob.call('avatar_get', { jid: 'alice@example.com', hash: HASH });
  assert.equal(data.data_b64, IMAGE.toString('base64'));
  const card = await phone.call('vcard_photo', { jid: 'alice@example.com' });
  assert.deepEqual(card, { type: 'image/png', data_b64: IMAGE.toString('base64') });

  // The other way: XEP-0084 published from bob's client shows in his vCard for alice.
  const other = Buffer.from('GIF89a herald test image');
  const bobSet = await bob.call('avatar_set', { data_b64: other.toString('base64'), type: 'image/gif', via: 'pep' });
  await desk.next<Pres>((e) => e.event === 'presence' && e.from === 'bob@example.com/av' && e.photo === bobSet.hash, 10_000);
  assert.deepEqual(await desk.call('vcard_photo', { jid: 'bob@example.com' }), { type: 'image/gif', data_b64: other.toString('base64') });
});

const DEVICELIST = { node: 'eu.siacs.conversations.axolotl.devicelist', xml: `<list xmlns='eu.siacs.conversations.axolotl'><device id='424242'/></list>`, item_id: 'current', options: { 'pubsub#access_model': 'open' } };

test('slixmpp: xmpp.e2ee deny refuses an OMEMO device-list publish with the company policy in the error; allow accepts it', async () => {
  const { c: alice } = await env.connect('alice', { resource: 'omemo', pep: true });
  await assert.rejects(alice.call('pep_publish', DEVICELIST), (e: Error) => {
    assert.match(e.message, /not-allowed/);
    assert.match(e.message, /company's policy/);
    return true;
  });
  const { c: olga } = await env.connect('olga', { resource: 'omemo', pep: true });
  assert.deepEqual(await olga.call('pep_publish', DEVICELIST), { item_id: 'current' });
  const read = await alice.call('raw', {
    xml: `<iq type='get' id='dl' to='olga@open.example'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='eu.siacs.conversations.axolotl.devicelist'/></pubsub></iq>`,
    wait_id: 'dl',
  });
  assert.match(read.reply ?? '', /device id="424242"/);
});
