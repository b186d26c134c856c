// xmpp.e2ee in xmpp.mode=external, against Debian's ejabberd 23.01: mod_herald_policy, the Erlang
// module `herald-gateway ejabberd config` writes and compiles beside the ejabberd.yml it generates
// (cli/ejabberd-policy-module.ts), loaded per virtual host with the host's policy. Under `deny`,
// encrypted messages (OMEMO, OpenPGP) between users of the domain, to it from an `allow` domain, and
// into its rooms are refused with <policy-violation/> and the embedded server's text, and are neither
// delivered nor in ejabberd's archive (which the central IM log is fed from); publishing an OMEMO
// device list is refused with <not-allowed/>, and one published while it was allowed is hidden. Under `allow` both work. A domain the admin switches
// from allow to deny (config generated again + reload_config) is denied at once; a bad option value
// is refused by ejabberd's reload, which keeps the running configuration.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse, type Element } from 'ltx';
import { E2EE_DENIED_TEXT } from '../../gateway/src/xmpp/modules/e2ee-policy.ts';
import { createCli } from '../fixtures/cli.ts';
import type { TestEjabberd } from '../fixtures/ejabberd.ts';
import { configureEjabberd, seedHerald, type EjabberdForHerald } from '../fixtures/ejabberd-herald.ts';
import { sleep } from '../fixtures/peer-utils.ts';
import { startSlixmpp, type Slixmpp } from '../fixtures/slixmpp.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-e2ee-'));
const dataDir = path.join(dir, 'data');
const archiveDb = path.join(dir, 'mam.db');
const configFile = path.join(dir, 'herald.json');
const { cli } = createCli(dataDir);
const PW = 'a password 123';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
let node: EjabberdForHerald;
let ejabberd: TestEjabberd | undefined;
const clients: Slixmpp[] = [];

const omemo = (to: string, id: string, type = 'chat') =>
  `<message to='${to}' type='${type}' id='${id}'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>AA==</key><iv>AA==</iv></header><payload>${id}</payload></encrypted><body>I sent you an OMEMO encrypted message</body></message>`;
const openpgp = (to: string, id: string) => `<message to='${to}' type='chat' id='${id}'><openpgp xmlns='urn:xmpp:openpgp:0'>${id}</openpgp><body>This message is encrypted (OpenPGP)</body></message>`;
const deviceList = (id: string) =>
  `<iq type='set' id='${id}'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='eu.siacs.conversations.axolotl.devicelist'><item id='current'><list xmlns='eu.siacs.conversations.axolotl'><device id='12345'/></list></item></publish></pubsub></iq>`;

async function login(jid: string) {
  const c = await startSlixmpp({ label: jid });
  clients.push(c);
  await c.call('connect', { jid: `${jid}/slix`, password: PW, host: '127.0.0.1', port: node.c2sPort, starttls: true, sm: false }, 30_000);
  return c;
}

/** Sends `xml` and returns the stanza that answers its id. */
async function answer(c: Slixmpp, xml: string, id: string): Promise<Element> {
  const r = await c.call('raw', { xml, wait_id: id });
  return parse(r.reply!);
}

function errorOf(stanza: Element) {
  const e = stanza.getChild('error');
  const condition = e?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== 'text')?.name;
  return { type: stanza.attrs.type, errorType: e?.attrs.type, condition, text: e?.getChildText('text', NS_STANZAS) };
}

/** ejabberd's archive (mod_mam on SQLite): what the central IM log is fed from. */
function archived(): string[] {
  const db = new Database(archiveDb, { readonly: true });
  try {
    return (db.prepare('SELECT xml FROM archive ORDER BY timestamp').all() as { xml: string }[]).map((r) => r.xml);
  } finally {
    db.close();
  }
}

async function waitArchived(pred: (xml: string) => boolean, what: string): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = archived();
    if (rows.some(pred)) return rows;
    if (Date.now() > deadline) throw new Error(`${what} never reached the archive`);
    await sleep(100);
  }
}

async function generate(e2ee: Record<string, unknown>) {
  const settings = JSON.parse(readFileSync(configFile, 'utf8')) as { xmpp: Record<string, unknown> };
  writeFileSync(configFile, JSON.stringify({ ...settings, xmpp: { ...settings.xmpp, e2ee } }));
  const r = await cli(['ejabberd', 'config', '--config', configFile, '--out', node.yml]);
  assert.equal(r.code, 0, r.stderr);
  return r;
}

async function reloadConfig(): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${node.apiPort}/api/reload_config`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  return { status: res.status, text: await res.text() };
}

before(async () => {
  const domains = ['deny.example', 'open.example'];
  await seedHerald(dataDir, { domains, users: ['alice@deny.example', 'bob@deny.example', 'carol@open.example', 'dave@open.example'].map((a) => [a, PW]) });
  node = await configureEjabberd({ dir, domains, cli, xmpp: { e2ee: { default: 'deny', domains: { 'open.example': 'allow' } } }, external: { archiveDb } });
  const yaml = readFileSync(node.yml, 'utf8');
  assert.match(yaml, /"deny.example":\n {4}modules:\n {6}mod_herald_policy:\n {8}e2ee: deny\n/);
  assert.match(yaml, /"open.example":\n {4}modules:\n {6}mod_herald_policy:\n {8}e2ee: allow\n/);
  ejabberd = await node.start();
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await ejabberd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('deny: OMEMO, OpenPGP (and OMEMO 2, legacy PGP, XEP-0380, OTR) messages between users of the domain are refused with policy-violation and the policy text, not delivered, not archived; a plain message passes', { timeout: 120_000 }, async () => {
  const [alice, bob] = [await login('alice@deny.example'), await login('bob@deny.example')];
  // The other schemes encrypted-message.ts knows too: OMEMO 2, legacy OpenPGP, XEP-0380 (OTR here), an OTR body.
  const other = (id: string, inner: string) => `<message to='bob@deny.example' type='chat' id='${id}'>${inner}</message>`;
  const sent: [string, string][] = [
    [omemo('bob@deny.example', 'deny-omemo-1'), 'deny-omemo-1'],
    [openpgp('bob@deny.example', 'deny-pgp-1'), 'deny-pgp-1'],
    [other('deny-omemo2-1', "<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'/><payload>AA==</payload></encrypted>"), 'deny-omemo2-1'],
    [other('deny-xenc-1', "<x xmlns='jabber:x:encrypted'>AAAA</x><body>encrypted</body>"), 'deny-xenc-1'],
    [other('deny-eme-1', "<encryption xmlns='urn:xmpp:eme:0' namespace='urn:xmpp:otr:0'/><body>?OTR:AAMD</body>"), 'deny-eme-1'],
    [other('deny-otr-1', '<body>?OTRv3? an OTR query</body>'), 'deny-otr-1'],
  ];
  for (const [xml, id] of sent) {
    const reply = await answer(alice, xml, id);
    assert.deepEqual(errorOf(reply), { type: 'error', errorType: 'cancel', condition: 'policy-violation', text: E2EE_DENIED_TEXT }, reply.toString());
  }
  // A plain message after them: delivered and archived — so the refused ones could have been too.
  await alice.call('send', { to: 'bob@deny.example', body: 'plain after the refused ones' });
  await bob.next({ event: 'message', body: 'plain after the refused ones' }, 15_000);
  const rows = await waitArchived((x) => x.includes('plain after the refused ones'), 'the plain message');
  assert.ok(!bob.events.some((e) => e.event === 'message' && (e as { body?: string | null }).body !== 'plain after the refused ones'), `bob got only the plain message: ${JSON.stringify(bob.events.filter((e) => e.event === 'message'))}`);
  assert.deepEqual(rows.filter((x) => /deny-(omemo|pgp|omemo2|xenc|eme|otr)-1|\?OTR/.test(x)), [], 'the refused messages are in no archive');
});

test('deny: a message to a denied domain from an allowed one, and an OMEMO message into a room of the denied domain, are refused', { timeout: 120_000 }, async () => {
  const carol = await login('carol@open.example');
  const alice = await login('alice@deny.example');
  const reply = await answer(carol, omemo('alice@deny.example', 'cross-1'), 'cross-1');
  assert.deepEqual(errorOf(reply), { type: 'error', errorType: 'cancel', condition: 'policy-violation', text: E2EE_DENIED_TEXT });
  const room = 'policy@conference.deny.example';
  await alice.call('muc_join', { room, nick: 'alice' });
  const inRoom = await answer(alice, omemo(room, 'room-1', 'groupchat'), 'room-1');
  assert.deepEqual(errorOf(inRoom), { type: 'error', errorType: 'cancel', condition: 'policy-violation', text: E2EE_DENIED_TEXT });
  // The room works for plain messages (echoed back to the sender).
  const sent = await alice.call('muc_send', { room, body: 'plain in the room', wait_echo: true });
  assert.equal(sent.echo?.body, 'plain in the room');
  assert.ok(!alice.events.some((e) => e.event === 'message' && JSON.stringify(e).includes('room-1') && (e as { type?: string }).type === 'groupchat'));
});

test('deny: publishing an OMEMO device list is refused with not-allowed; other PEP nodes publish', { timeout: 120_000 }, async () => {
  const alice = await login('alice@deny.example');
  const reply = await answer(alice, deviceList('dl-1'), 'dl-1');
  const e = errorOf(reply);
  assert.deepEqual([e.type, e.errorType, e.condition], ['error', 'cancel', 'not-allowed'], reply.toString());
  assert.match(e.text ?? '', /OMEMO\) is not allowed for deny\.example by your company's policy/);
  const tune = await answer(alice, "<iq type='set' id='tune-1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='http://jabber.org/protocol/tune'><item><tune xmlns='http://jabber.org/protocol/tune'/></item></publish></pubsub></iq>", 'tune-1');
  assert.equal(tune.attrs.type, 'result', tune.toString());
});

test('allow: the OMEMO message is delivered and archived (the central IM log marks it encrypted: mam-row.ts); the device list publishes', { timeout: 120_000 }, async () => {
  const [carol, dave] = [await login('carol@open.example'), await login('dave@open.example')];
  await carol.call('raw', { xml: omemo('dave@open.example', 'allow-omemo-1') });
  const got = await dave.next((ev) => ev.event === 'message' && (ev as { id?: string | null }).id === 'allow-omemo-1', 15_000);
  assert.equal((got as { body?: string }).body, 'I sent you an OMEMO encrypted message');
  await waitArchived((x) => x.includes('allow-omemo-1') && x.includes('eu.siacs.conversations.axolotl'), 'the OMEMO message');
  const reply = await answer(carol, deviceList('dl-2'), 'dl-2');
  assert.equal(reply.attrs.type, 'result', reply.toString());
});

test('a domain switched from allow to deny: generated again and reloaded, its OMEMO messages are refused at once; a bad option value is refused by the reload', { timeout: 180_000 }, async () => {
  const [carol, dave] = [await login('carol@open.example'), await login('dave@open.example')];
  // carol's device list, published while open.example allowed OMEMO, can be read now…
  const listQuery = (id: string) => `<iq type='get' to='carol@open.example' id='${id}'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='eu.siacs.conversations.axolotl.devicelist'/></pubsub></iq>`;
  assert.equal((await answer(carol, deviceList('dl-3'), 'dl-3')).attrs.type, 'result');
  // (read by its owner: PEP's default access model is presence, and this test has no roster.)
  const before = await answer(carol, listQuery('list-1'), 'list-1');
  assert.equal(before.attrs.type, 'result', before.toString());
  assert.match(before.toString(), /device id="12345"/);
  const made = await generate({ default: 'deny', domains: { 'gone.example': 'allow' } });
  assert.match(made.stderr, /compiled mod_herald_policy \(xmpp\.e2ee\) into \S+\/herald-ejabberd\/ebin: every node needs it on ejabberd's code path/);
  assert.match(made.stderr, /xmpp\.e2ee\.domains names gone\.example, which is not one of Herald's domains: ignored/);
  assert.match(readFileSync(node.yml, 'utf8'), /"open.example":\n {4}modules:\n {6}mod_herald_policy:\n {8}e2ee: deny\n/);
  const r = await reloadConfig();
  assert.equal(r.status, 200, r.text);
  const reply = await answer(carol, omemo('dave@open.example', 'switched-1'), 'switched-1');
  assert.deepEqual(errorOf(reply), { type: 'error', errorType: 'cancel', condition: 'policy-violation', text: E2EE_DENIED_TEXT });
  await carol.call('send', { to: 'dave@open.example', body: 'plain after the switch' });
  await dave.next({ event: 'message', body: 'plain after the switch' }, 15_000);
  assert.ok(!dave.events.some((e) => JSON.stringify(e).includes('switched-1')));
  // …and is hidden once it is denied: nobody can encrypt to those devices any more.
  const after = await answer(carol, listQuery('list-2'), 'list-2');
  assert.deepEqual([after.attrs.type, errorOf(after).condition], ['error', 'item-not-found'], after.toString());

  // A value the module does not know: ejabberd's reload refuses the file, naming the option and the
  // value, and keeps running with the configuration it had (deny).
  writeFileSync(node.yml, readFileSync(node.yml, 'utf8').replace(/e2ee: deny/g, 'e2ee: maybe'));
  const bad = await reloadConfig();
  assert.notEqual(bad.status, 200, bad.text);
  assert.match(bad.text, /Invalid value of option modules->mod_herald_policy->e2ee: Unexpected value: maybe\. Did you mean allow\? Possible values are: allow, deny/);
  const still = await answer(carol, omemo('dave@open.example', 'switched-2'), 'switched-2');
  assert.equal(errorOf(still).condition, 'policy-violation');
});
