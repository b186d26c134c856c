// XEP-0054 vcard-temp on the embedded XMPP server, XML in and out: the server answers for the
// asker's own and colleagues' bare JIDs from the directory (FN, NICKNAME, EMAIL/USERID), refuses
// sets (the directory owns names), and says nothing about accounts outside the domain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';

const PW = 'correct horse battery';
let gw: TestGateway;
let alice: RawClient;

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  await gw.user('alice@example.com', PW);
  await gw.services.directory.addUser('bob@example.com', PW, 'Bob Builder');
  await gw.user('zed@other.example', PW);
  alice = await login(gw.xmppPort!, 'alice@example.com', PW, 'v');
});
after(async () => {
  alice.close();
  await gw.destroy();
});

let n = 0;
async function iq(type: 'get' | 'set', to: string | undefined, payload = `<vCard xmlns='vcard-temp'/>`): Promise<Element> {
  const id = `v${++n}`;
  alice.send(`<iq type='${type}' id='${id}'${to ? ` to='${to}'` : ''}>${payload}</iq>`);
  return alice.next((e) => e.name === 'iq' && e.attrs.id === id);
}
const condition = (r: Element) => r.getChild('error')?.getChildElements()[0]?.name;

test('vCard of oneself and of a colleague comes from the directory', async () => {
  const own = await iq('get', undefined);
  assert.equal(own.attrs.type, 'result');
  const v = own.getChild('vCard', 'vcard-temp')!;
  assert.equal(v.getChildText('FN'), gw.services.store.accounts.byAddress('alice@example.com')!.displayName);
  assert.equal(v.getChildText('NICKNAME'), 'alice');
  assert.equal(v.getChild('EMAIL')?.getChildText('USERID'), 'alice@example.com');
  assert.ok(v.getChild('EMAIL')?.getChild('INTERNET'));

  const bob = await iq('get', 'bob@example.com');
  assert.equal(bob.attrs.type, 'result');
  assert.equal(bob.attrs.from, 'bob@example.com', 'answered on the account’s behalf (bob is not even online)');
  const bv = bob.getChild('vCard', 'vcard-temp')!;
  assert.deepEqual([bv.getChildText('FN'), bv.getChildText('NICKNAME'), bv.getChild('EMAIL')?.getChildText('USERID'), bv.getChildText('JABBERID')], [
    'Bob Builder',
    'bob',
    'bob@example.com',
    'bob@example.com',
  ]);
  assert.equal((await iq('get', 'BOB@Example.com')).attrs.type, 'result', 'JIDs compare case-insensitively');
});

test('vCard set is refused: not-allowed on one’s own (the directory owns names), forbidden on another’s', async () => {
  const set = `<vCard xmlns='vcard-temp'><FN>Queen Alice</FN></vCard>`;
  const own = await iq('set', undefined, set);
  assert.equal(condition(own), 'not-allowed');
  assert.match(own.getChild('error')?.getChildText('text') ?? '', /directory/);
  assert.equal(condition(await iq('set', 'alice@example.com', set)), 'not-allowed');
  assert.equal(condition(await iq('set', 'bob@example.com', set)), 'forbidden');
  assert.equal((await iq('get', undefined)).getChild('vCard')!.getChildText('FN'), gw.services.store.accounts.byAddress('alice@example.com')!.displayName, 'unchanged');
});

test('no vCard outside the domain or for unknown users; other iqs to a bare JID still go nowhere', async () => {
  assert.equal(condition(await iq('get', 'zed@other.example')), 'service-unavailable');
  assert.equal(condition(await iq('get', 'nobody@example.com')), 'service-unavailable');
  assert.equal(condition(await iq('get', 'example.com')), 'service-unavailable');
  assert.equal(condition(await iq('get', 'bob@example.com', `<query xmlns='jabber:iq:version'/>`)), 'service-unavailable');

  alice.send(`<iq type='get' id='disco' to='example.com'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
  const features = (await alice.next((e) => e.attrs.id === 'disco')).getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
  assert.ok(features.includes('vcard-temp'));
});

test('a vCard to a full JID is for that client, not the server', async () => {
  const bob = await login(gw.xmppPort!, 'bob@example.com', PW, 'desk');
  alice.send(`<iq type='get' id='full' to='bob@example.com/desk'><vCard xmlns='vcard-temp'/></iq>`);
  const got = await bob.next((e) => e.name === 'iq' && e.attrs.id === 'full');
  assert.equal(got.attrs.from, 'alice@example.com/v');
  bob.close();
});
