// PEP (XEP-0163) on the embedded XMPP server, XML in and out: publish/items/retract/configure/
// delete, access models (presence, open, whitelist), publish-options (XEP-0223), notifications
// filtered by entity capabilities (XEP-0115 +notify, the server asking the client's disco#info and
// caching it by verification string), last items on initial presence, limits and bad input, and
// persistence across a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';
import { condition, ERRORS, errText, eventFor, iq, itemIds, items, OWNER, presenceWithCaps, publish, PUBSUB, pubsubError } from '../fixtures/pep-raw.ts';

const PW = 'correct horse battery';
const LIMITS = { 'xmpp.requireTls': false, 'xmpp.pep.maxItemBytes': 2048, 'xmpp.pep.maxItemsPerNode': 3, 'xmpp.pep.maxNodes': 6 };
// OMEMO allowed at first; the restart below switches the policy to deny.
const FIRST = { ...LIMITS, 'xmpp.e2ee.default': 'allow' };

let dataDir: string;
let gw: TestGateway;
const open: RawClient[] = [];

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'herald-pep-'));
  gw = await startTestGateway(FIRST, { dataDir });
  for (const u of ['alice', 'bob', 'carol', 'dave']) await gw.user(`${u}@example.com`, PW);
  await gw.user('zed@other.example', PW);
});
after(async () => {
  for (const c of open) c.close();
  await gw.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

async function client(address: string, resource = 'r'): Promise<RawClient & { jid: string }> {
  const c = await login(gw.xmppPort!, address, PW, resource);
  open.push(c);
  return c;
}

test('the account advertises PEP on disco#info: pubsub/pep identity and exactly the implemented features', async () => {
  const alice = await client('alice@example.com', 'disco');
  const r = await iq(alice, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`, 'alice@example.com');
  const q = r.getChild('query')!;
  assert.ok(q.getChildren('identity').some((i) => i.attrs.category === 'pubsub' && i.attrs.type === 'pep'));
  const features = q.getChildren('feature').map((f) => f.attrs.var!);
  for (const f of ['publish', 'publish-options', 'access-presence', 'access-whitelist', 'access-open', 'persistent-items', 'auto-create', 'auto-subscribe', 'filtered-notifications', 'retract-items', 'retrieve-items', 'config-node', 'delete-nodes', 'last-published']) {
    assert.ok(features.includes(`${PUBSUB}#${f}`), f);
  }
  for (const f of ['subscribe', 'create-nodes', 'access-roster', 'access-authorize', 'collections', 'purge-nodes']) assert.ok(!features.includes(`${PUBSUB}#${f}`), `${f} is not claimed`);
  assert.ok(features.includes('urn:xmpp:bookmarks:1#compat') && features.includes('urn:xmpp:bookmarks:1#compat-pep'));
  const server = await iq(alice, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`, 'example.com');
  assert.ok(server.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === 'jabber:iq:private'));
  alice.close();
});

test('publish, items, retract, configure and delete on one’s own node; access models presence, open and whitelist', async () => {
  const alice = await client('alice@example.com', 'own');
  const bob = await client('bob@example.com', 'own');
  const zed = await client('zed@other.example', 'own');
  const NODE = 'urn:example:mood-test';
  const p1 = await publish(alice, NODE, 'one', `<mood xmlns='urn:example:m'>happy</mood>`);
  assert.equal(p1.attrs.type, 'result');
  assert.equal(p1.getChild('pubsub')?.getChild('publish')?.getChild('item')?.attrs.id, 'one');
  const auto = await publish(alice, NODE, undefined, `<mood xmlns='urn:example:m'>calm</mood>`);
  const autoId = auto.getChild('pubsub')?.getChild('publish')?.getChild('item')?.attrs.id;
  assert.match(autoId ?? '', /^[0-9a-f]{16}$/, 'an item without id gets one from the server');
  // Default max_items is 1 (XEP-0163 PEP nodes keep the last item).
  assert.deepEqual(itemIds(await items(alice, undefined, NODE)), [autoId]);

  // Presence access (the default): a colleague reads it, someone of another (unlinked) domain does not.
  const fromBob = await items(bob, 'alice@example.com', NODE);
  assert.equal(fromBob.attrs.from, 'alice@example.com');
  assert.equal(fromBob.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChild('mood')?.getText(), 'calm');
  const fromZed = await items(zed, 'alice@example.com', NODE);
  assert.equal(condition(fromZed), 'not-authorized');
  assert.equal(pubsubError(fromZed), 'presence-subscription-required');

  // Owner configuration: open lets zed in; whitelist shuts bob out too.
  const form = await iq(alice, 'get', `<pubsub xmlns='${OWNER}'><configure node='${NODE}'/></pubsub>`);
  const fields = form.getChild('pubsub')!.getChild('configure')!.getChild('x')!.getChildren('field');
  assert.equal(fields.find((f) => f.attrs.var === 'pubsub#access_model')?.getChildText('value'), 'presence');
  const configure = (model: string) =>
    iq(alice, 'set', `<pubsub xmlns='${OWNER}'><configure node='${NODE}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field><field var='pubsub#access_model'><value>${model}</value></field></x></configure></pubsub>`);
  assert.equal((await configure('open')).attrs.type, 'result');
  assert.equal((await items(zed, 'alice@example.com', NODE)).attrs.type, 'result');
  assert.equal(condition(await configure('authorize')), 'not-acceptable', 'a model this server does not offer');
  assert.equal((await configure('whitelist')).attrs.type, 'result');
  const shut = await items(bob, 'alice@example.com', NODE);
  assert.equal(condition(shut), 'not-allowed');
  assert.equal(pubsubError(shut), 'closed-node');
  assert.equal((await items(alice, undefined, NODE)).attrs.type, 'result', 'the owner still reads it');

  // Only the owner writes.
  assert.equal(condition(await publish(bob, NODE, 'x', `<mood xmlns='urn:example:m'/>`).then((r) => r)), undefined, 'bob publishing goes to his own node');
  assert.equal(condition(await iq(bob, 'set', `<pubsub xmlns='${PUBSUB}'><retract node='${NODE}'><item id='${autoId}'/></retract></pubsub>`, 'alice@example.com')), 'forbidden');
  assert.equal(condition(await iq(bob, 'set', `<pubsub xmlns='${PUBSUB}'><publish node='${NODE}'><item><x xmlns='urn:y'/></item></publish></pubsub>`, 'alice@example.com')), 'forbidden');

  // Retract, then delete.
  assert.equal((await iq(alice, 'set', `<pubsub xmlns='${PUBSUB}'><retract node='${NODE}'><item id='${autoId}'/></retract></pubsub>`)).attrs.type, 'result');
  assert.deepEqual(itemIds(await items(alice, undefined, NODE)), []);
  assert.equal(condition(await iq(alice, 'set', `<pubsub xmlns='${PUBSUB}'><retract node='${NODE}'><item id='${autoId}'/></retract></pubsub>`)), 'item-not-found');
  assert.equal((await iq(alice, 'set', `<pubsub xmlns='${OWNER}'><delete node='${NODE}'/></pubsub>`)).attrs.type, 'result');
  assert.equal(condition(await items(alice, undefined, NODE)), 'item-not-found');
  assert.equal(condition(await iq(alice, 'set', `<pubsub xmlns='${OWNER}'><delete node='${NODE}'/></pubsub>`)), 'item-not-found');
  await iq(bob, 'set', `<pubsub xmlns='${OWNER}'><delete node='${NODE}'/></pubsub>`);
  for (const c of [alice, bob, zed]) c.close();
});

test('publish-options (XEP-0223 private storage): honoured on creation, a precondition afterwards, unknown options refused', async () => {
  const carol = await client('carol@example.com', 'opts');
  const bob = await client('bob@example.com', 'opts');
  const NODE = 'urn:example:private-settings';
  const priv = { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist' };
  assert.equal((await publish(carol, NODE, 'current', `<settings xmlns='urn:example:s'>v1</settings>`, priv)).attrs.type, 'result');
  assert.equal(pubsubError(await items(bob, 'carol@example.com', NODE)), 'closed-node', 'whitelist: nobody but carol');
  assert.equal((await publish(carol, NODE, 'current', `<settings xmlns='urn:example:s'>v2</settings>`, priv)).attrs.type, 'result', 'same options: fine');
  const mismatch = await publish(carol, NODE, 'current', `<settings xmlns='urn:example:s'>v3</settings>`, { 'pubsub#access_model': 'presence' });
  assert.equal(condition(mismatch), 'conflict');
  assert.equal(pubsubError(mismatch), 'precondition-not-met');
  const unknown = await publish(carol, 'urn:example:other', 'current', `<x xmlns='urn:example:s'/>`, { 'pubsub#collection': 'foo' });
  assert.equal(pubsubError(unknown), 'precondition-not-met');
  assert.match(errText(unknown), /pubsub#collection/);
  assert.equal(condition(await items(carol, undefined, 'urn:example:other')), 'item-not-found', 'nothing was created');
  const got = await items(carol, undefined, NODE);
  assert.equal(got.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChildText('settings'), 'v2');
  await iq(carol, 'set', `<pubsub xmlns='${OWNER}'><delete node='${NODE}'/></pubsub>`);
  carol.close();
  bob.close();
});

test('notifications go to contacts whose caps say +notify (the server asks disco#info once per ver); last items on initial presence', async () => {
  const TUNE = 'http://jabber.org/protocol/tune';
  const GEOLOC = 'http://jabber.org/protocol/geoloc';
  const alice = await client('alice@example.com', 'n');
  alice.send(`<presence/>`);
  await alice.next((e) => e.name === 'presence' && e.attrs.from === alice.jid);
  // Published before bob is online: he gets it when his caps are known.
  await publish(alice, TUNE, 'current', `<tune xmlns='${TUNE}'><title>Before</title></tune>`);

  const bob = await client('bob@example.com', 'n');
  assert.equal(await presenceWithCaps(bob, [TUNE]), true, 'unknown ver: the server asks');
  const last = await bob.next(eventFor(TUNE));
  assert.equal(last.attrs.from, 'alice@example.com');
  assert.equal(last.getChild('event')!.getChild('items')!.getChild('item')!.getChild('tune')!.getChildText('title'), 'Before');
  assert.ok(last.getChild('delay', 'urn:xmpp:delay'), 'the last item carries its publication time');

  // Live: bob wants tune, not geoloc. geoloc is published first; the tune event arriving proves the geoloc one never came.
  await publish(alice, GEOLOC, 'current', `<geoloc xmlns='${GEOLOC}'><locality>Berlin</locality></geoloc>`);
  await publish(alice, TUNE, 'current', `<tune xmlns='${TUNE}'><title>Live</title></tune>`);
  const live = await bob.next(eventFor(TUNE));
  assert.equal(live.getChild('event')!.getChild('items')!.getChild('item')!.getChild('tune')!.getChildText('title'), 'Live');
  assert.equal(live.attrs.type, 'headline');
  assert.ok(!bob.received.some(eventFor(GEOLOC)), 'no +notify for geoloc: no geoloc event');

  // A second client with the same ver: the server knows it already and asks nothing.
  const bob2 = await client('bob@example.com', 'n2');
  assert.equal(await presenceWithCaps(bob2, [TUNE]), false, 'cached by ver');
  const cached = await bob2.next(eventFor(TUNE));
  assert.equal(cached.getChild('event')!.getChild('items')!.getChild('item')!.getChild('tune')!.getChildText('title'), 'Live');
  assert.ok(!bob2.received.some((e) => e.name === 'iq' && e.attrs.type === 'get' && !!e.getChild('query', 'http://jabber.org/protocol/disco#info')), 'no disco#info asked');

  // Someone outside the domain with +notify gets nothing of a presence-access node.
  const zed = await client('zed@other.example', 'n');
  await presenceWithCaps(zed, [TUNE, GEOLOC]);
  await publish(alice, TUNE, 'current', `<tune xmlns='${TUNE}'><title>Third</title></tune>`);
  await bob.next((e) => eventFor(TUNE)(e) && e.getChild('event')!.getChild('items')!.getChild('item')!.getChild('tune')!.getChildText('title') === 'Third');
  // zed's own presence round trip after alice's publish: anything for zed would have come before.
  await iq(zed, 'get', `<ping xmlns='urn:xmpp:ping'/>`, 'example.com');
  await iq(alice, 'get', `<ping xmlns='urn:xmpp:ping'/>`, 'example.com');
  assert.ok(!zed.received.some(eventFor(TUNE)), 'zed does not receive alice’s presence: no events');
  for (const c of [alice, bob, bob2, zed]) c.close();
});

test('a caps answer that does not match its ver is used for that client only, never cached (XEP-0115 §5.4)', async () => {
  const forged = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  const one = await client('carol@example.com', 'forged1');
  assert.equal(await presenceWithCaps(one, ['urn:example:forged'], true, forged), true);
  const two = await client('carol@example.com', 'forged2');
  assert.equal(await presenceWithCaps(two, ['urn:example:forged'], true, forged), true, 'asked again: the first answer was not trusted for others');
  // The answer still counts for the client that gave it.
  await publish(one, 'urn:example:forged', 'current', `<f xmlns='urn:example:forged'/>`);
  await one.next(eventFor('urn:example:forged'));
  await two.next(eventFor('urn:example:forged'));
  one.close();
  two.close();
});

test('limits: item size, items per node (max), nodes per user — refused with clear errors', async () => {
  const dave = await client('dave@example.com', 'lim');
  const big = await publish(dave, 'urn:example:big', 'x', `<big xmlns='urn:example:b'>${'x'.repeat(3000)}</big>`);
  assert.equal(condition(big), 'not-acceptable');
  assert.equal(pubsubError(big), 'payload-too-big');
  assert.match(errText(big), /2048 bytes/);

  const many = { 'pubsub#max_items': 'max', 'pubsub#persist_items': 'true' };
  for (const id of ['a', 'b', 'c']) assert.equal((await publish(dave, 'urn:example:list', id, `<i xmlns='urn:example:l'/>`, many)).attrs.type, 'result');
  const full = await publish(dave, 'urn:example:list', 'd', `<i xmlns='urn:example:l'/>`, many);
  assert.equal(condition(full), 'resource-constraint');
  assert.match(errText(full), /3 items/);
  assert.equal((await publish(dave, 'urn:example:list', 'b', `<i xmlns='urn:example:l'>again</i>`, many)).attrs.type, 'result', 'replacing an item is fine');
  assert.deepEqual(itemIds(await items(dave, undefined, 'urn:example:list')), ['a', 'c', 'b'], 'a republished item moves to the end');
  assert.equal(pubsubError(await publish(dave, 'urn:example:x', 'a', `<i xmlns='urn:example:l'/>`, { 'pubsub#max_items': '4' })), 'precondition-not-met');

  for (let i = 2; i <= 6; i++) assert.equal((await publish(dave, `urn:example:n${i}`, 'a', `<i xmlns='urn:example:l'/>`)).attrs.type, 'result', `node ${i}`);
  const seventh = await publish(dave, 'urn:example:n7', 'a', `<i xmlns='urn:example:l'/>`);
  assert.equal(condition(seventh), 'resource-constraint');
  assert.match(errText(seventh), /6 PEP nodes/);
  assert.equal((await publish(dave, 'urn:example:n6', 'b', `<i xmlns='urn:example:l'/>`)).attrs.type, 'result', 'an existing node still takes items');
  dave.close();
});

test('bad input: malformed pubsub, unknown node, unknown account, unsupported actions', async () => {
  const alice = await client('alice@example.com', 'bad');
  const empty = await iq(alice, 'set', `<pubsub xmlns='${PUBSUB}'/>`);
  assert.equal(condition(empty), 'bad-request');
  const two = await iq(alice, 'set', `<pubsub xmlns='${PUBSUB}'><publish node='a'><item><x xmlns='u:x'/></item></publish><retract node='a'><item id='1'/></retract></pubsub>`);
  assert.equal(condition(two), 'bad-request');
  const noNode = await iq(alice, 'set', `<pubsub xmlns='${PUBSUB}'><publish><item><x xmlns='u:x'/></item></publish></pubsub>`);
  assert.equal(pubsubError(noNode), 'nodeid-required');
  const noItem = await iq(alice, 'set', `<pubsub xmlns='${PUBSUB}'><publish node='a'/></pubsub>`);
  assert.equal(pubsubError(noItem), 'item-required');
  const noPayload = await publish(alice, 'urn:example:a', 'x', '');
  assert.equal(pubsubError(noPayload), 'invalid-payload');
  const twoPayloads = await publish(alice, 'urn:example:a', 'x', `<a xmlns='u:a'/><b xmlns='u:b'/>`);
  assert.equal(pubsubError(twoPayloads), 'invalid-payload');
  assert.equal(condition(await items(alice, undefined, 'urn:example:never')), 'item-not-found');
  assert.equal(condition(await items(alice, 'bob@example.com', 'urn:example:never')), 'item-not-found');
  assert.equal(condition(await items(alice, 'nobody@example.com', 'urn:example:never')), 'service-unavailable');
  const sub = await iq(alice, 'set', `<pubsub xmlns='${PUBSUB}'><subscribe node='urn:example:a' jid='alice@example.com'/></pubsub>`, 'bob@example.com');
  assert.equal(condition(sub), 'feature-not-implemented');
  assert.equal(sub.getChild('error')?.getChild('unsupported', ERRORS)?.attrs.feature, 'subscribe');
  assert.equal(condition(await iq(alice, 'set', `<pubsub xmlns='${OWNER}'><configure node='urn:example:never'><x xmlns='jabber:x:data' type='submit'/></configure></pubsub>`)), 'item-not-found');
  assert.equal(condition(await iq(alice, 'set', `<pubsub xmlns='${OWNER}'><purge node='urn:example:never'/></pubsub>`)), 'feature-not-implemented');
  assert.equal(condition(await iq(alice, 'set', `<pubsub xmlns='${OWNER}'><delete node='urn:example:never'/></pubsub>`, 'bob@example.com')), 'service-unavailable', 'owner requests go to one’s own JID only (not answered for others)');
  alice.close();
});

test('items persist across a restart of the gateway; OMEMO keys published under e2ee allow are hidden once the policy is deny', async () => {
  const carol = await client('carol@example.com', 'persist');
  await publish(carol, 'urn:example:persist', 'kept', `<p xmlns='urn:example:p'>still here</p>`, { 'pubsub#access_model': 'open' });
  const DEVICES = 'eu.siacs.conversations.axolotl.devicelist';
  assert.equal((await publish(carol, DEVICES, 'current', `<list xmlns='eu.siacs.conversations.axolotl'><device id='7'/></list>`, { 'pubsub#access_model': 'open' })).attrs.type, 'result');
  carol.close();
  for (const c of open.splice(0)) c.close();
  await gw.destroy();
  gw = await startTestGateway(LIMITS, { dataDir });
  const zed = await client('zed@other.example', 'persist');
  const got = await items(zed, 'carol@example.com', 'urn:example:persist');
  assert.equal(got.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChildText('p'), 'still here', 'open access survives too');
  const hidden = await items(zed, 'carol@example.com', 'eu.siacs.conversations.axolotl.devicelist');
  assert.equal(condition(hidden), 'item-not-found', 'deny: nobody can encrypt to carol’s old devices');
  const carol2 = await client('carol@example.com', 'persist2');
  assert.equal(condition(await items(carol2, undefined, 'eu.siacs.conversations.axolotl.devicelist')), 'item-not-found');
});
