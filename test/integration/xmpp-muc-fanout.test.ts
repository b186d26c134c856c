// A room's fan-out (XEP-0045 §7.2.3 occupant presence, §7.4 groupchat) gives every client its own
// copy, addressed to it (RFC 6120 §8.1.1.1), even when a client holds stanzas back (XEP-0352) and
// gets them later: one element re-addressed for each next occupant reached a held client with the
// `to` of whoever came last. The copies share one serialization (gateway/src/xmpp/modules/muc/
// broadcast.ts, over core/fanout.ts); what the clients read is the same stanza, each with its own `to`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { login } from '../fixtures/xmpp-raw.ts';
import { CONF, iq, join, mucGateway, PW } from '../fixtures/muc-raw.ts';

const env = mucGateway();
const CSI = 'urn:xmpp:csi:0';
const CHATSTATES = 'http://jabber.org/protocol/chatstates';
const room = `fanout@${CONF}`;
const presenceOf = (nick: string) => (e: Element) => e.name === 'presence' && e.attrs.from === `${room}/${nick}` && e.attrs.type === undefined;
const composingFrom = (nick: string) => (e: Element) => e.name === 'message' && e.attrs.from === `${room}/${nick}` && !!e.getChild('composing', CHATSTATES);
const said = (body: string) => (e: Element) => e.name === 'message' && e.attrs.type === 'groupchat' && e.getChildText('body') === body;

test('a client that held room stanzas back (XEP-0352) gets them addressed to itself; every copy of a message carries its own to', async () => {
  // carol joins first, so she is not the last one any fan-out reaches.
  const carol = await login(env.port, 'carol@example.com', PW, 'tray');
  await join(carol, room, 'Carol', { untilSubject: true });
  const alice = await login(env.port, 'alice@example.com', PW, 'laptop');
  await join(alice, room, 'Alice', { untilSubject: true });
  const bob = await login(env.port, 'bob@example.com', PW, 'desk');
  await join(bob, room, 'Bob', { untilSubject: true });

  carol.send(`<inactive xmlns='${CSI}'/>`);
  // An iq answered after the <inactive/> on the same stream: from here on carol's stanzas are held.
  await iq(carol, 'example.com', 'get', `<ping xmlns='urn:xmpp:ping'/>`);

  // Held for carol (presence; a groupchat message with only a chat state), delivered to the others.
  const dave = await login(env.port, 'dave@example.com', PW, 'phone');
  await join(dave, room, 'Dave', { untilSubject: true });
  for (const c of [alice, bob]) assert.equal((await c.next(presenceOf('Dave'))).attrs.to, c.jid);
  alice.send(`<message to='${room}' type='groupchat'><composing xmlns='${CHATSTATES}'/></message>`);
  for (const c of [alice, bob, dave]) assert.equal((await c.next(composingFrom('Alice'))).attrs.to, c.jid);
  assert.equal(carol.received.filter((e) => presenceOf('Dave')(e) || composingFrom('Alice')(e)).length, 0, 'held while carol is inactive');

  carol.send(`<active xmlns='${CSI}'/>`);
  const p = await carol.next(presenceOf('Dave'));
  assert.equal(p.attrs.to, carol.jid, `the held presence is carol's: ${p.toString()}`);
  const m = await carol.next(composingFrom('Alice'));
  assert.equal(m.attrs.to, carol.jid, `the held chat state is carol's: ${m.toString()}`);

  // A message with a body (never held): everyone's copy is the same stanza with its own to.
  bob.send(`<message to='${room}' type='groupchat' id='b1'><body>a &lt;b&gt; &amp; "c"</body></message>`);
  const copies = await Promise.all([carol, alice, bob, dave].map((c) => c.next(said('a <b> & "c"'))));
  copies.forEach((e, k) => assert.equal(e.attrs.to, [carol, alice, bob, dave][k]!.jid));
  const ids = new Set(copies.map((e) => e.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id));
  assert.equal(ids.size, 1, 'one archived message, one stanza-id in every copy');
  const withoutTo = new Set(
    copies.map((e) => {
      delete e.attrs.to;
      return e.toString();
    }),
  );
  assert.equal(withoutTo.size, 1, 'the copies differ only in their to');
  for (const c of [carol, alice, bob, dave]) c.close();
});
