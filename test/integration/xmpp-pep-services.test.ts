// What rides on PEP, XML in and out: Bookmarks 2 (XEP-0402) with its XEP-0048 views (the
// storage:bookmarks PEP node and XEP-0049 private XML) kept in step; avatars (XEP-0084) and the
// vCard PHOTO / presence hash of XEP-0153; OMEMO device lists and bundles under xmpp.e2ee.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Element } from 'ltx';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';
import { condition, errText, EVENT, eventFor, iq, itemIds, items, presenceWithCaps, publish } from '../fixtures/pep-raw.ts';

const PW = 'correct horse battery';
const B2 = 'urn:xmpp:bookmarks:1';
let gw: TestGateway;
const open: RawClient[] = [];

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.e2ee.domains': { 'open.example': 'allow' } });
  for (const u of ['alice', 'bob']) await gw.user(`${u}@example.com`, PW);
  await gw.user('olga@open.example', PW);
});
after(async () => {
  for (const c of open) c.close();
  await gw.destroy();
});

async function client(address: string, resource: string): Promise<RawClient & { jid: string }> {
  const c = await login(gw.xmppPort!, address, PW, resource);
  open.push(c);
  return c;
}
const conferences = (storage: Element | undefined) =>
  (storage?.getChildren('conference') ?? []).map((c) => `${c.attrs.jid} ${c.attrs.name ?? ''} ${c.attrs.autojoin} ${c.getChildText('nick') ?? ''}`);
const privateBookmarks = async (c: RawClient) =>
  (await iq(c, 'get', `<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>`)).getChild('query', 'jabber:iq:private')?.getChild('storage', 'storage:bookmarks');

test('bookmarks: one store, three views — XEP-0402 items, the storage:bookmarks PEP node and private XML — kept in step', async () => {
  const alice = await client('alice@example.com', 'bm');
  const legacyPhone = await client('alice@example.com', 'legacy');
  await presenceWithCaps(legacyPhone, ['storage:bookmarks']);
  const b2 = `<conference xmlns='${B2}' name='Team' autojoin='true'><nick>ally</nick><extensions><pinned xmlns='urn:example:pin'/></extensions></conference>`;
  const opts = { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never' };
  assert.equal((await publish(alice, B2, 'team@conference.example.com', b2, opts)).attrs.type, 'result');
  // The legacy client hears of it on its node (it advertised storage:bookmarks+notify).
  const pushed = await legacyPhone.next(eventFor('storage:bookmarks'));
  assert.deepEqual(conferences(pushed.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChild('storage', 'storage:bookmarks')), ['team@conference.example.com Team true ally']);

  // XEP-0049 view.
  assert.deepEqual(conferences(await privateBookmarks(alice)), ['team@conference.example.com Team true ally']);
  // XEP-0048 over PEP view.
  const legacy = await items(alice, undefined, 'storage:bookmarks');
  assert.deepEqual(itemIds(legacy), ['current']);

  // A legacy client writes its whole list through private XML: one room renamed, one added, none removed.
  const set = await iq(
    alice,
    'set',
    `<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='team@conference.example.com' name='Team room' autojoin='true'><nick>ally</nick></conference><conference jid='coffee@conference.example.com' autojoin='false'/></storage></query>`,
  );
  assert.equal(set.attrs.type, 'result');
  const now = await items(alice, undefined, B2);
  assert.deepEqual(itemIds(now), ['team@conference.example.com', 'coffee@conference.example.com']);
  const team = now.getChild('pubsub')!.getChild('items')!.getChildren('item')[0]!.getChild('conference', B2)!;
  assert.equal(team.attrs.name, 'Team room');
  assert.ok(team.getChild('extensions')?.getChild('pinned'), 'the XEP-0402 extensions a legacy client cannot see are kept');

  // Through the storage:bookmarks PEP node: coffee only — team is retracted from XEP-0402.
  const viaPep = await publish(alice, 'storage:bookmarks', 'current', `<storage xmlns='storage:bookmarks'><conference jid='coffee@conference.example.com' name='Coffee' autojoin='true'/></storage>`);
  assert.equal(viaPep.attrs.type, 'result');
  assert.deepEqual(itemIds(await items(alice, undefined, B2)), ['coffee@conference.example.com']);
  assert.deepEqual(conferences(await privateBookmarks(alice)), ['coffee@conference.example.com Coffee true ']);

  // Bookmarks are private: a colleague sees none of the three views.
  const bob = await client('bob@example.com', 'bm');
  assert.equal(condition(await items(bob, 'alice@example.com', B2)), 'not-allowed');
  assert.equal(condition(await items(bob, 'alice@example.com', 'storage:bookmarks')), 'not-allowed');
  assert.equal(condition(await iq(bob, 'get', `<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>`, 'alice@example.com')), 'service-unavailable');
  // Bad input.
  assert.equal(condition(await publish(alice, 'storage:bookmarks', 'current', `<nope xmlns='urn:x'/>`)), 'bad-request');
  assert.equal(condition(await iq(alice, 'set', `<query xmlns='jabber:iq:private'/>`)), 'not-acceptable');
  // Other private XML namespaces are stored as given.
  assert.equal((await iq(alice, 'set', `<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'><theme>dark</theme></prefs></query>`)).attrs.type, 'result');
  const prefs = await iq(alice, 'get', `<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query>`);
  assert.equal(prefs.getChild('query')!.getChild('prefs')!.getChildText('theme'), 'dark');
  for (const c of [alice, legacyPhone, bob]) c.close();
});

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const SHA = createHash('sha1').update(PNG).digest('hex');
const update = (p: Element) => p.getChild('x', 'vcard-temp:x:update')?.getChildText('photo');

test('avatars: a vCard PHOTO set publishes XEP-0084, presence carries the hash, a colleague sees it; XEP-0084 publish shows in the vCard', async () => {
  const alice = await client('alice@example.com', 'av');
  const alice2 = await client('alice@example.com', 'av2');
  const bob = await client('bob@example.com', 'av');
  await presenceWithCaps(bob, ['urn:xmpp:avatar:metadata']);
  await presenceWithCaps(alice2, ['urn:xmpp:avatar:metadata']);
  alice.send(`<presence><x xmlns='vcard-temp:x:update'><photo>forged</photo></x></presence>`);
  const first = await bob.next((e) => e.name === 'presence' && e.attrs.from === alice.jid);
  assert.equal(update(first), '', 'no avatar yet: an empty <photo/>, whatever the client claimed');

  const name = gw.services.store.accounts.byAddress('alice@example.com')!.displayName;
  const set = await iq(alice, 'set', `<vCard xmlns='vcard-temp'><FN>${name}</FN><NICKNAME>alice</NICKNAME><PHOTO><TYPE>image/png</TYPE><BINVAL>${PNG.toString('base64')}</BINVAL></PHOTO></vCard>`);
  assert.equal(set.attrs.type, 'result', errText(set));
  // Re-broadcast with the hash, to the colleague and the other resource; XEP-0084 metadata to the +notify ones.
  const again = await bob.next((e) => e.name === 'presence' && e.attrs.from === alice.jid && update(e) === SHA);
  assert.ok(again);
  await alice2.next((e) => e.name === 'presence' && e.attrs.from === alice.jid && update(e) === SHA);
  for (const c of [bob, alice2]) {
    const meta = await c.next(eventFor('urn:xmpp:avatar:metadata'));
    const info = meta.getChild('event')!.getChild('items')!.getChild('item')!.getChild('metadata')!.getChild('info')!;
    assert.deepEqual([info.attrs.id, info.attrs.bytes, info.attrs.type], [SHA, String(PNG.length), 'image/png']);
  }
  const data = await items(bob, 'alice@example.com', 'urn:xmpp:avatar:data');
  assert.equal(data.getChild('pubsub')!.getChild('items')!.getChild('item')!.getChildText('data'), PNG.toString('base64'));
  const card = await iq(bob, 'get', `<vCard xmlns='vcard-temp'/>`, 'alice@example.com');
  assert.equal(card.getChild('vCard')!.getChild('PHOTO')!.getChildText('BINVAL'), PNG.toString('base64'));
  // Names stay the directory's.
  assert.equal(condition(await iq(alice, 'set', `<vCard xmlns='vcard-temp'><FN>Queen Alice</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>${PNG.toString('base64')}</BINVAL></PHOTO></vCard>`)), 'not-allowed');
  assert.equal(condition(await iq(alice, 'set', `<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><EXTVAL>http://x</EXTVAL></PHOTO></vCard>`)), 'bad-request');

  // From the other side: bob publishes XEP-0084 himself; his vCard and presence follow.
  const other = Buffer.from('GIF89a-herald');
  const id = createHash('sha1').update(other).digest('hex');
  bob.send('<presence/>');
  await publish(bob, 'urn:xmpp:avatar:data', id, `<data xmlns='urn:xmpp:avatar:data'>${other.toString('base64')}</data>`);
  await publish(bob, 'urn:xmpp:avatar:metadata', id, `<metadata xmlns='urn:xmpp:avatar:metadata'><info id='${id}' bytes='${other.length}' type='image/gif'/></metadata>`);
  await alice.next((e) => e.name === 'presence' && e.attrs.from === bob.jid && update(e) === id);
  const bobCard = await iq(alice, 'get', `<vCard xmlns='vcard-temp'/>`, 'bob@example.com');
  assert.equal(bobCard.getChild('vCard')!.getChild('PHOTO')!.getChildText('TYPE'), 'image/gif');
  // Removing: a vCard set without PHOTO.
  assert.equal((await iq(bob, 'set', `<vCard xmlns='vcard-temp'><NICKNAME>bob</NICKNAME></vCard>`)).attrs.type, 'result');
  await alice.next((e) => e.name === 'presence' && e.attrs.from === bob.jid && update(e) === '');
  assert.equal((await iq(alice, 'get', `<vCard xmlns='vcard-temp'/>`, 'bob@example.com')).getChild('vCard')!.getChild('PHOTO'), undefined);
  for (const c of [alice, alice2, bob]) c.close();
});

const DEVICELIST = 'eu.siacs.conversations.axolotl.devicelist';
const deviceList = `<list xmlns='eu.siacs.conversations.axolotl'><device id='12345'/></list>`;

test('OMEMO under xmpp.e2ee: deny refuses device lists and bundles (both namespaces) with the policy in the text; allow accepts them', async () => {
  const alice = await client('alice@example.com', 'omemo');
  const denied = await publish(alice, DEVICELIST, 'current', deviceList, { 'pubsub#access_model': 'open' });
  assert.equal(condition(denied), 'not-allowed');
  assert.match(errText(denied), /company's policy/);
  assert.match(errText(denied), /example\.com/);
  for (const node of ['eu.siacs.conversations.axolotl.bundles:12345', 'urn:xmpp:omemo:2:devices', 'urn:xmpp:omemo:2:bundles']) {
    assert.equal(condition(await publish(alice, node, 'current', `<bundle xmlns='urn:xmpp:omemo:2'/>`)), 'not-allowed', node);
  }
  assert.equal((await publish(alice, 'urn:example:not-omemo', 'current', `<x xmlns='urn:x'/>`)).attrs.type, 'result', 'other nodes are fine');

  const olga = await client('olga@open.example', 'omemo');
  const ok = await publish(olga, DEVICELIST, 'current', deviceList, { 'pubsub#access_model': 'open' });
  assert.equal(ok.attrs.type, 'result');
  assert.equal((await publish(olga, 'urn:xmpp:omemo:2:devices', 'current', `<devices xmlns='urn:xmpp:omemo:2'><device id='1'/></devices>`)).attrs.type, 'result');
  const read = await items(alice, 'olga@open.example', DEVICELIST);
  assert.deepEqual(itemIds(read), ['current'], 'open access: readable by anyone signed in');
  alice.close();
  olga.close();
});
