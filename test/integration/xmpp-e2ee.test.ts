// End-to-end encryption as a company decision (`xmpp.e2ee`), XML in and out: under `deny` an
// encrypted message (OMEMO, OpenPGP, …) from or to a user of that domain is bounced with
// <policy-violation/> and a text saying why — not delivered, not stored offline, not archived,
// not logged — in 1:1 chats and rooms; under `allow` it passes and the central IM log records
// that it was encrypted (from, to, scheme), never its fallback text; `herald-gateway log search`
// shows it as such.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Element } from 'ltx';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';

type Client = RawClient & { jid: string };
const PW = 'correct horse battery';
const MUC = 'http://jabber.org/protocol/muc';
const FALLBACK = 'I sent you an OMEMO encrypted message but your client doesn’t seem to support that.';
const OMEMO = `<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='27183'><key rid='31415'>BASE64KEY</key><iv>BASE64IV</iv></header><payload>BASE64CIPHER</payload></encrypted><body>${FALLBACK}</body><encryption xmlns='urn:xmpp:eme:0' name='OMEMO' namespace='eu.siacs.conversations.axolotl'/><store xmlns='urn:xmpp:hints'/>`;
const PGP = `<openpgp xmlns='urn:xmpp:openpgp:0'>BASE64SIGNCRYPT</openpgp><body>This message is encrypted with OpenPGP.</body>`;
let gw: TestGateway;

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.e2ee': { default: 'deny', domains: { 'open.example': 'allow' } } });
  for (const u of ['alice@example.com', 'bob@example.com', 'ann@open.example', 'ben@open.example', 'cat@open.example']) await gw.user(u, PW);
});
after(() => gw.destroy());

const condition = (e: Element) => e.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name;
const errorText = (e: Element) => e.getChild('error')?.getChildText('text') ?? '';
const logText = () => {
  const dir = path.join(gw.dataDir, 'logs');
  return readdirSync(dir)
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('');
};
async function online(address: string, resource: string): Promise<Client> {
  const c = await login(gw.xmppPort!, address, PW, resource);
  c.send('<presence/>');
  await c.next((e) => e.name === 'presence' && e.attrs.from === c.jid && !e.attrs.type);
  return c;
}
let n = 0;
async function iq(c: Client, to: string, type: string, payload: string): Promise<Element> {
  const id = `e${++n}`;
  c.send(`<iq type='${type}' id='${id}' to='${to}'>${payload}</iq>`);
  return c.next((e) => e.name === 'iq' && e.attrs.id === id);
}
const mamCount = async (c: Client, withJid: string) => {
  const qid = `q${++n}`;
  const r = await iq(c, c.jid.split('/')[0]!, 'set', `<query xmlns='urn:xmpp:mam:2' queryid='${qid}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field><field var='with'><value>${withJid}</value></field></x></query>`);
  assert.equal(r.attrs.type, 'result');
  return c.received.filter((e) => e.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === qid).length;
};

test('deny: OMEMO and OpenPGP messages are bounced with policy-violation and the reason; plain text still flows', async () => {
  const alice = await online('alice@example.com', 'a');
  const bob = await online('bob@example.com', 'b');
  alice.send(`<message to='bob@example.com' type='chat' id='x1'>${OMEMO}</message>`);
  const bounced = await alice.next((e) => e.attrs.id === 'x1' && e.attrs.type === 'error');
  assert.equal(condition(bounced), 'policy-violation');
  assert.equal(errorText(bounced), "end-to-end encrypted messages are not allowed by your organisation's policy: every message is logged centrally");
  alice.send(`<message to='bob@example.com/b' type='chat' id='x2'>${PGP}</message>`);
  assert.equal(condition(await alice.next((e) => e.attrs.id === 'x2')), 'policy-violation');
  // Key transport (no body at all) is OMEMO too.
  alice.send(`<message to='bob@example.com' type='chat' id='x3'><encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'/></encrypted></message>`);
  assert.equal(condition(await alice.next((e) => e.attrs.id === 'x3')), 'policy-violation');
  alice.send(`<message to='bob@example.com' type='chat' id='x4'><body>plain words</body></message>`);
  await bob.next((e) => e.attrs.id === 'x4');
  assert.deepEqual(bob.received.filter((e) => ['x1', 'x2', 'x3'].includes(e.attrs.id ?? '')).map(String), [], 'nothing encrypted reached bob');
  assert.equal(await mamCount(bob, 'alice@example.com'), 1, 'only the plain message is archived');
  const log = logText();
  assert.match(log, /plain words/);
  assert.doesNotMatch(log, /OMEMO encrypted message|OpenPGP/);
  alice.close();
  bob.close();
});

test('deny: nothing stored offline; a user of an allow domain writing to a deny domain is bounced too', async () => {
  const ann = await online('ann@open.example', 'a');
  ann.send(`<message to='bob@example.com' type='chat' id='y1'>${OMEMO}</message>`);
  const bounced = await ann.next((e) => e.attrs.id === 'y1');
  assert.equal(condition(bounced), 'policy-violation', 'the recipient’s domain denies it');
  assert.equal(gw.services.store.offline.count(gw.services.store.accounts.byAddress('bob@example.com')!.id), 0);
  const alice = await online('alice@example.com', 'a2');
  alice.send(`<message to='ben@open.example' type='chat' id='y2'>${OMEMO}</message>`);
  assert.equal(condition(await alice.next((e) => e.attrs.id === 'y2')), 'policy-violation', 'the sender’s domain denies it');
  ann.close();
  alice.close();
});

test('allow: OMEMO passes (live and offline), the log says encrypted with no text, log search shows it so', async () => {
  const ann = await online('ann@open.example', 'phone');
  const ben = await online('ben@open.example', 'desk');
  ann.send(`<message to='ben@open.example' type='chat' id='z1'>${OMEMO}</message>`);
  const got = await ben.next((e) => e.attrs.id === 'z1');
  assert.ok(got.getChild('encrypted', 'eu.siacs.conversations.axolotl'), 'delivered untouched');
  // Offline: stored and delivered at the next login.
  ann.send(`<message to='cat@open.example' type='chat' id='z2'>${PGP}</message>`);
  // A session's stanzas are handled in order: once the ping is answered, z2 was stored.
  await iq(ann, 'open.example', 'get', `<ping xmlns='urn:xmpp:ping'/>`);
  assert.equal(gw.services.store.offline.count(gw.services.store.accounts.byAddress('cat@open.example')!.id), 1);
  const cat = await online('cat@open.example', 'c');
  assert.ok((await cat.next((e) => e.attrs.id === 'z2')).getChild('openpgp', 'urn:xmpp:openpgp:0'));

  // OMEMO key transport (no payload) passes too, but is no message: not in the log.
  ann.send(`<message to='ben@open.example' type='chat' id='z3'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>K</key><iv>I</iv></header></encrypted></message>`);
  await ben.next((e) => e.attrs.id === 'z3');

  const lines = logText()
    .split('\n')
    .filter((l) => l.includes('@open.example') && l.split('\t').length === 7);
  assert.deepEqual(
    lines.map((l) => l.split('\t').slice(1)),
    [
      ['chat', 'ann@open.example/phone', 'ben@open.example', '', '', 'omemo'],
      ['chat', 'ann@open.example/phone', 'cat@open.example', '', '', 'openpgp'],
    ],
  );
  assert.doesNotMatch(logText(), /doesn’t seem to support/, 'the fallback text is never logged as the content');
  const bin = path.resolve(import.meta.dirname, '../../bin/herald-gateway.mjs');
  const r = spawnSync(process.execPath, [bin, 'log', 'search', '--user', 'ben@open.example', '--data', gw.dataDir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /chat {6}ann@open\.example\/phone → ben@open\.example: \[end-to-end encrypted: omemo\]\n$/);
  for (const c of [ann, ben, cat]) c.close();
});

test('rooms: encrypted groupchat is bounced in a deny domain’s rooms and logged as encrypted in an allow domain’s', async () => {
  const joinRoom = async (c: Client, room: string, nick: string, create: boolean) => {
    c.send(`<presence to='${room}/${nick}'><x xmlns='${MUC}'/></presence>`);
    await c.next((e) => e.name === 'presence' && e.attrs.from === `${room}/${nick}`);
    if (create) await iq(c, room, 'set', `<query xmlns='${MUC}#owner'><x xmlns='jabber:x:data' type='submit'/></query>`);
  };
  const alice = await online('alice@example.com', 'r');
  const bob = await online('bob@example.com', 'r');
  await joinRoom(alice, 'team@conference.example.com', 'alice', true);
  await joinRoom(bob, 'team@conference.example.com', 'bob', false);
  alice.send(`<message to='team@conference.example.com' type='groupchat' id='g1'>${OMEMO}</message>`);
  assert.equal(condition(await alice.next((e) => e.attrs.id === 'g1' && e.attrs.type === 'error')), 'policy-violation');
  alice.send(`<message to='team@conference.example.com/bob' type='chat' id='g2'>${OMEMO}</message>`);
  assert.equal(condition(await alice.next((e) => e.attrs.id === 'g2')), 'policy-violation', 'private messages in rooms too');
  alice.send(`<message to='team@conference.example.com' type='groupchat' id='g3'><body>in clear</body></message>`);
  await bob.next((e) => e.attrs.id === 'g3');
  assert.deepEqual(bob.received.filter((e) => e.attrs.id === 'g1' || e.attrs.id === 'g2').map(String), []);

  const ann = await online('ann@open.example', 'r');
  const ben = await online('ben@open.example', 'r');
  await joinRoom(ann, 'crypt@conference.open.example', 'ann', true);
  await joinRoom(ben, 'crypt@conference.open.example', 'ben', false);
  ann.send(`<message to='crypt@conference.open.example' type='groupchat' id='g4'>${OMEMO}</message>`);
  assert.ok((await ben.next((e) => e.attrs.id === 'g4')).getChild('encrypted', 'eu.siacs.conversations.axolotl'));
  const line = logText()
    .split('\n')
    .find((l) => l.includes('\tcrypt@conference.open.example\t'));
  assert.deepEqual(line?.split('\t').slice(1), ['groupchat', 'ann@open.example/r', 'crypt@conference.open.example', '', '', 'omemo']);
  for (const c of [alice, bob, ann, ben]) c.close();
});
