// What older or sloppier clients need from the server, XML in and out (issue 16): the archive
// feature on the server's own disco#info (profanity 0.13 looks there), an empty or unknown <show/>
// removed before anyone sees the presence (RFC 6121 §4.7.2.1), and a message to a room that is
// still being created answered with a text that says so (as the join error does).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';

type Client = RawClient & { jid: string };
const PW = 'correct horse battery';
const MUC = 'http://jabber.org/protocol/muc';
let gw: TestGateway;

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  for (const u of ['alice', 'bob']) await gw.user(`${u}@example.com`, PW);
});
after(() => gw.destroy());

let n = 0;
async function iq(c: Client, to: string, type: string, payload: string): Promise<Element> {
  const id = `k${++n}`;
  c.send(`<iq type='${type}' id='${id}' to='${to}'>${payload}</iq>`);
  return c.next((e) => e.name === 'iq' && e.attrs.id === id);
}
const features = async (c: Client, to: string) =>
  (await iq(c, to, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`))
    .getChild('query')!
    .getChildren('feature')
    .map((f) => f.attrs.var);

test('urn:xmpp:mam:2 is on the server’s disco#info and the account’s; not on either with archiving off', async () => {
  const alice = await login(gw.xmppPort!, 'alice@example.com', PW, 'd');
  assert.ok((await features(alice, 'example.com')).includes('urn:xmpp:mam:2'), 'server');
  assert.ok((await features(alice, 'alice@example.com')).includes('urn:xmpp:mam:2'), 'account');
  alice.close();
  const off = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.archiveDays': 0 });
  try {
    await off.user('carl@example.com', PW);
    const carl = await login(off.xmppPort!, 'carl@example.com', PW, 'd');
    assert.ok(!(await features(carl, 'example.com')).includes('urn:xmpp:mam:2'));
    assert.ok(!(await features(carl, 'carl@example.com')).includes('urn:xmpp:mam:2'));
    carl.close();
  } finally {
    await off.destroy();
  }
});

test('an empty or unknown <show/> is removed; a valid one is kept (trimmed); rooms see the same', async () => {
  const alice = await login(gw.xmppPort!, 'alice@example.com', PW, 's');
  const bob = await login(gw.xmppPort!, 'bob@example.com', PW, 's');
  bob.send('<presence/>');
  await bob.next((e) => e.name === 'presence' && e.attrs.from === bob.jid);
  const seen = async (show: string, id: string) => {
    alice.send(`<presence id='${id}'>${show}<status>${id}</status></presence>`);
    return bob.next((e) => e.name === 'presence' && e.attrs.from === alice.jid && e.getChildText('status') === id);
  };
  const shows = (p: Element) => p.getChildren('show').map((s) => s.getText());
  assert.deepEqual(shows(await seen('<show/>', 'p1')), [], 'empty: plain available');
  assert.deepEqual(shows(await seen('<show>online</show>', 'p2')), [], 'not one of away/chat/dnd/xa');
  assert.deepEqual(shows(await seen('<show> dnd </show>', 'p3')), ['dnd']);
  assert.deepEqual(shows(await seen('<show></show><show>away</show>', 'p4')), ['away']);
  // The presence kept for later (a probe, a new contact's initial presence) is the cleaned one.
  alice.send(`<presence><show/><status>kept</status></presence>`);
  await bob.next((e) => e.name === 'presence' && e.getChildText('status') === 'kept');
  const late = await login(gw.xmppPort!, 'bob@example.com', PW, 'late');
  late.send('<presence/>');
  const current = await late.next((e) => e.name === 'presence' && e.attrs.from === alice.jid);
  assert.deepEqual(shows(current), []);
  // Joining a room with an empty <show/>: the other occupants see plain availability.
  const room = 'quirks@conference.example.com';
  bob.send(`<presence to='${room}/bob'><x xmlns='${MUC}'/></presence>`);
  await bob.next((e) => e.attrs.from === `${room}/bob`);
  await iq(bob, room, 'set', `<query xmlns='${MUC}#owner'><x xmlns='jabber:x:data' type='submit'/></query>`);
  alice.send(`<presence to='${room}/alice'><x xmlns='${MUC}'/><show/></presence>`);
  const joined = await bob.next((e) => e.name === 'presence' && e.attrs.from === `${room}/alice`);
  assert.deepEqual(shows(joined), []);
  for (const c of [alice, bob, late]) c.close();
});

test('a message to a room still being created says so', async () => {
  const alice = await login(gw.xmppPort!, 'alice@example.com', PW, 'm');
  const bob = await login(gw.xmppPort!, 'bob@example.com', PW, 'm');
  const room = 'newroom@conference.example.com';
  alice.send(`<presence to='${room}/alice'><x xmlns='${MUC}'/></presence>`);
  const self = await alice.next((e) => e.attrs.from === `${room}/alice`);
  assert.ok(self.getChild('x', `${MUC}#user`)?.getChildren('status').some((s) => s.attrs.code === '201'), 'created, locked');
  bob.send(`<message to='${room}' type='groupchat' id='l1'><body>hello?</body></message>`);
  const err = await bob.next((e) => e.attrs.id === 'l1');
  assert.equal(err.getChild('error')?.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name, 'item-not-found');
  assert.match(err.getChild('error')?.getChildText('text') ?? '', /newroom@conference\.example\.com is being created/);
  // A room that does not exist at all still says that.
  bob.send(`<message to='nothing@conference.example.com' type='groupchat' id='l2'><body>x</body></message>`);
  assert.match((await bob.next((e) => e.attrs.id === 'l2')).getChild('error')?.getChildText('text') ?? '', /there is no room/);
  alice.close();
  bob.close();
});
