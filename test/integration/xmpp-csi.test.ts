// XEP-0352 client state indication, as transcripts: an inactive client gets no presence updates
// or typing notifications until something urgent comes (then the latest presence per contact,
// the typing notification and the message, in that order) or it says <active/>.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Element } from 'ltx';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  for (const u of ['alice', 'bob', 'carol']) await gw.user(`${u}@example.com`, `${u}-password-1`);
});
after(() => gw?.destroy());

const CSI = 'urn:xmpp:csi:0';
const nothingFor = async (c: RawClient, pred: (e: Element) => boolean, ms = 300) => {
  await assert.rejects(c.next(pred, ms), /no matching stanza/, 'nothing arrives yet');
};
const presenceFrom = (who: string, show?: string) => (e: Element) => e.name === 'presence' && e.attrs.from?.startsWith(who) === true && (show === undefined || e.getChildText('show') === show);

test('the stream offers CSI; an inactive client gets presence and typing only with the next urgent stanza, latest presence only, in order', async () => {
  const alice = await login(gw.xmppPort!, 'alice@example.com', 'alice-password-1', 'tray');
  alice.send('<presence/>');
  const bob = await login(gw.xmppPort!, 'bob@example.com', 'bob-password-1', 'desk');
  bob.send('<presence/>');
  await alice.next(presenceFrom('bob@example.com/desk'));

  alice.send(`<inactive xmlns='${CSI}'/>`);
  bob.send('<presence><show>away</show></presence>');
  bob.send('<presence><show>dnd</show><status>in a meeting</status></presence>');
  bob.send(`<message to='alice@example.com' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  await nothingFor(alice, (e) => e.attrs.from?.startsWith('bob@') === true);

  bob.send(`<message to='alice@example.com' type='chat' id='urgent'><body>are you there?</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  const msg = await alice.next((e) => e.name === 'message' && e.attrs.id === 'urgent');
  const fromBob = alice.received.filter((e) => e.attrs.from?.startsWith('bob@') === true);
  const order = fromBob.slice(-3).map((e) => (e.name === 'presence' ? `presence:${e.getChildText('show')}` : e.getChild('composing') ? 'composing' : 'message'));
  assert.deepEqual(order, ['presence:dnd', 'composing', 'message'], 'held stanzas first, the stale away presence dropped');
  assert.equal(fromBob.filter((e) => e.name === 'presence' && e.getChildText('show') === 'away').length, 0);
  assert.equal(msg.getChildText('body'), 'are you there?');

  // While inactive, held again; <active/> lets it out at once.
  bob.send('<presence><show>xa</show></presence>');
  await nothingFor(alice, presenceFrom('bob@example.com/desk', 'xa'));
  alice.send(`<active xmlns='${CSI}'/>`);
  await alice.next(presenceFrom('bob@example.com/desk', 'xa'));
  // Active: presence comes straight away.
  bob.send('<presence/>');
  await alice.next((e) => presenceFrom('bob@example.com/desk')(e) && e.getChild('show') === undefined);
  alice.close();
  bob.close();
});

test('an iq and a subscription request are urgent; an unknown CSI element ends only that stream', async () => {
  const carol = await login(gw.xmppPort!, 'carol@example.com', 'carol-password-1', 'tray');
  carol.send('<presence/>');
  const bob = await login(gw.xmppPort!, 'bob@example.com', 'bob-password-1', 'other');
  bob.send('<presence/>');
  await carol.next(presenceFrom('bob@example.com/other'));
  carol.send(`<inactive xmlns='${CSI}'/>`);
  bob.send('<presence><show>away</show></presence>');
  await nothingFor(carol, presenceFrom('bob@example.com/other', 'away'));
  bob.send(`<iq type='get' id='v1' to='carol@example.com/tray'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await carol.next(presenceFrom('bob@example.com/other', 'away'));
  await carol.next((e) => e.name === 'iq' && e.attrs.id === 'v1');

  carol.send(`<asleep xmlns='${CSI}'/>`);
  const err = await carol.next((e) => e.name === 'stream:error');
  assert.ok(err.getChild('unsupported-stanza-type'), err.toString());
  await carol.closed;
  // Bob is unaffected.
  bob.send(`<iq type='get' id='p' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await bob.next((e) => e.attrs.id === 'p' && e.attrs.type === 'result');
  bob.close();
});
