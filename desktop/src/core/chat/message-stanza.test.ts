import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { buildChatState, buildMessage, buildReceipt, nameFromUrl, parseMessage } from './message-stanza.ts';

test('an outgoing chat message: body, origin-id, receipt request, active state, store hint; colour and file link when given', () => {
  const el = buildMessage({ to: 'bob@example.com', type: 'chat', id: 'm1', body: 'hi', color: '#112233', attachments: [{ url: 'https://u.example/f.txt' }] });
  const p = parseMessage(el);
  assert.equal(el.attrs.id, 'm1');
  assert.equal(p.body, 'hi');
  assert.equal(p.originId, 'm1');
  assert.equal(p.receiptRequest, true);
  assert.equal(p.chatState, 'active');
  assert.equal(p.html, '<p><span style="color: #112233">hi</span></p>');
  assert.deepEqual(p.attachments, [{ url: 'https://u.example/f.txt', name: 'f.txt' }]);
  const room = parseMessage(buildMessage({ to: 'r@conference.example.com', type: 'groupchat', id: 'g1', body: 'x', delay: { from: 'a@example.com', stamp: '2026-11-27T10:00:00.000Z' } }));
  assert.equal(room.receiptRequest, false, 'no receipts in rooms (XEP-0184 §5.3)');
  assert.equal(room.chatState, undefined);
  assert.equal(room.delay, '2026-11-27T10:00:00.000Z');
  assert.equal(buildChatState('bob@example.com', 'composing', 'c1').toString(), `<message to="bob@example.com" type="chat" id="c1"><composing xmlns="http://jabber.org/protocol/chatstates"/><no-store xmlns="urn:xmpp:hints"/></message>`);
  assert.equal(buildReceipt('bob@example.com/phone', 'm1', 'r1').toString(), `<message to="bob@example.com/phone" id="r1"><received xmlns="urn:xmpp:receipts" id="m1"/></message>`);
});

test('incoming: receipts, states, stanza-ids, delay, subjects, errors', () => {
  const p = parseMessage(
    parse(`<message from='bob@example.com/phone' to='alice@example.com' type='chat' id='x1'><body>b</body><composing xmlns='http://jabber.org/protocol/chatstates'/><stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.com' id='S1'/><stanza-id xmlns='urn:xmpp:sid:0' id='no-by'/><delay xmlns='urn:xmpp:delay' stamp='2026-11-27T10:00:00+01:00'/><received xmlns='urn:xmpp:receipts' id='m9'/></message>`),
  );
  assert.equal(p.chatState, 'composing');
  assert.deepEqual(p.stanzaIds, [{ by: 'alice@example.com', id: 'S1' }]);
  assert.equal(p.delay, '2026-11-27T09:00:00.000Z');
  assert.equal(p.receivedId, 'm9');
  assert.equal(parseMessage(parse(`<message type='groupchat' from='r@c'><subject/></message>`)).subject, '');
  assert.equal(parseMessage(parse(`<message type='bogus'><body>x</body></message>`)).type, 'normal');
  assert.equal(parseMessage(parse(`<message><body></body><delay xmlns='urn:xmpp:delay' stamp='yesterday'/></message>`)).delay, undefined);
  const err = parseMessage(parse(`<message type='error' id='m1'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>gone</text></error></message>`));
  assert.deepEqual(err.error, { condition: 'service-unavailable', text: 'gone' });
});

test('file links: only http(s) URLs, once each, named by their last path segment', () => {
  const p = parseMessage(
    parse(`<message from='b@x'><body>see</body><x xmlns='jabber:x:oob'><url>https://f.example/a/Q3%20report.pdf</url><desc>Q3</desc></x><x xmlns='jabber:x:oob'><url>https://f.example/a/Q3%20report.pdf</url></x><x xmlns='jabber:x:oob'><url>javascript:alert(1)</url></x><x xmlns='jabber:x:oob'><url>file:///etc/passwd</url></x></message>`),
  );
  assert.deepEqual(p.attachments, [{ url: 'https://f.example/a/Q3%20report.pdf', name: 'Q3 report.pdf', description: 'Q3' }]);
  assert.equal(nameFromUrl('https://f.example/'), undefined);
  assert.equal(nameFromUrl('https://f.example/%E0%A4%A'), undefined, 'a broken escape is no name');
});

test('invitations: mediated from the room (the inviter inside), direct (XEP-0249), both at once', () => {
  const mediated = parseMessage(parse(`<message from='r@conference.example.com' to='bob@example.com'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='alice@example.com/desk'><reason>join us</reason></invite></x></message>`));
  assert.deepEqual(mediated.invite, { room: 'r@conference.example.com', from: 'alice@example.com/desk', reason: 'join us' });
  const direct = parseMessage(parse(`<message from='alice@example.com/desk'><x xmlns='jabber:x:conference' jid='r@conference.example.com' reason='hi'/></message>`));
  assert.deepEqual(direct.invite, { room: 'r@conference.example.com', from: 'alice@example.com/desk', reason: 'hi' });
  const both = parseMessage(parse(`<message from='r@conference.example.com'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='alice@example.com/desk'/></x><x xmlns='jabber:x:conference' jid='r@conference.example.com'/></message>`));
  assert.equal(both.invite?.from, 'alice@example.com/desk');
});

test('a message from a bare address other than our own is sent by the server (scripts, alerts, reminders); one from a client carries its resource', async () => {
  const { isServerSent } = await import('./messages.ts');
  assert.equal(isServerSent('herald@example.com', 'alice@example.com'), true);
  assert.equal(isServerSent('example.com', 'alice@example.com'), true);
  assert.equal(isServerSent('bob@example.com/laptop', 'alice@example.com'), false);
  assert.equal(isServerSent('alice@example.com', 'alice@example.com'), false, 'our own (carbons, archive)');
  assert.equal(isServerSent(undefined, 'alice@example.com'), false);
});
