// XEP-0313 Message Archive Management on the embedded XMPP server, stanza by stanza (XML in, XML
// out): 1:1 messages land in both users' archives (offline ones too) with XEP-0359 stanza-ids;
// queries by `with` and date; RSM paging both ways with counts; the #extended fields; an
// archive is its owner's alone; retention purges old rows. Interop: xmpp-mam-interop.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Element } from 'ltx';
import { archiveIdAt } from '../../gateway/src/store/archive.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { mam, NS_MAM } from '../fixtures/mam-query.ts';
import { login } from '../fixtures/xmpp-raw.ts';

const NS_SID = 'urn:xmpp:sid:0';
const PW = 'correct horse battery';
let gw: TestGateway;
let port: number;

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  port = gw.xmppPort!;
  for (const u of ['alice', 'bob', 'carol', 'dave']) await gw.user(`${u}@example.com`, PW);
  await gw.user('zed@other.example', PW);
});
after(() => gw.destroy());

const sids = (m: Element) => Object.fromEntries(m.getChildren('stanza-id', NS_SID).map((s) => [s.attrs.by!, s.attrs.id!]));

/** Logs in and sends initial presence; waits until `peer` (a full JID) is seen online, if given. */
async function online(address: string, resource: string, peer?: string, on = port) {
  const c = await login(on, address, PW, resource);
  c.send('<presence/>');
  if (peer) await c.next((e) => e.name === 'presence' && e.attrs.from === peer);
  return c;
}

let aliceBob: string[] = [];

test('1:1 messages are archived once for both users, with stanza-ids on the delivered copies', async () => {
  const alice = await online('alice@example.com', 'laptop');
  const bob = await online('bob@example.com', 'desk', 'alice@example.com/laptop');
  await alice.next((e) => e.name === 'presence' && e.attrs.from === 'bob@example.com/desk');

  alice.send(`<message to='bob@example.com' type='chat' id='a1'><body>one</body></message>`);
  alice.send(`<message to='bob@example.com' type='chat' id='cs'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  // A stanza-id the client made up is removed (XEP-0359 §7): only the server's reach bob.
  alice.send(`<message to='bob@example.com' type='chat' id='a2'><body>two</body><stanza-id xmlns='${NS_SID}' by='bob@example.com' id='forged'/></message>`);
  alice.send(`<message to='bob@example.com' type='headline' id='h1'><body>headline, not archived</body></message>`);
  alice.send(`<message to='bob@example.com' type='chat' id='ns'><body>off the record</body><no-store xmlns='urn:xmpp:hints'/></message>`);
  alice.send(`<message to='bob@example.com' id='a3'><body>three</body></message>`);
  const one = await bob.next((e) => e.attrs.id === 'a1');
  const two = await bob.next((e) => e.attrs.id === 'a2');
  await bob.next((e) => e.attrs.id === 'a3');
  assert.equal(Object.keys(sids(one)).length, 2);
  assert.equal(sids(one)['bob@example.com'], sids(one)['alice@example.com'], 'one archive id, in both archives');
  assert.notEqual(sids(two)['bob@example.com'], 'forged');
  assert.equal(two.getChildren('stanza-id', NS_SID).length, 2);
  assert.equal((await bob.next((e) => e.attrs.id === 'cs')).getChild('stanza-id', NS_SID), undefined, 'a chat state is not archived');
  assert.equal((await bob.next((e) => e.attrs.id === 'ns')).getChild('stanza-id', NS_SID), undefined, '<no-store/> is respected');

  bob.send(`<message to='alice@example.com/laptop' type='chat' id='b1'><body>four</body></message>`);
  bob.send(`<message to='alice@example.com' type='chat' id='b2'><body>five &amp; &lt;six&gt;</body></message>`);
  const four = await alice.next((e) => e.attrs.id === 'b1');
  await alice.next((e) => e.attrs.id === 'b2');

  const a = await mam(alice, { with: 'bob@example.com' });
  assert.deepEqual(a.bodies, ['one', 'two', 'three', 'four', 'five & <six>']);
  assert.equal(a.answer.attrs.type, 'result');
  assert.ok(a.complete);
  assert.equal(a.count, 5);
  assert.equal(a.first, a.ids[0]);
  assert.equal(a.firstIndex, '0');
  assert.equal(a.last, a.ids[4]);
  assert.equal(new Set(a.ids).size, 5);
  assert.equal(a.ids[0], sids(one)['bob@example.com'], 'the archive id is the delivered stanza-id');
  assert.equal(a.ids[3], sids(four)['alice@example.com']);
  assert.ok(a.results.every((r) => r.carrierFrom === 'alice@example.com' && r.stamp && !Number.isNaN(Date.parse(r.stamp))));
  assert.equal(a.results[0]!.from, 'alice@example.com/laptop');
  assert.equal(a.results[0]!.to, 'bob@example.com');
  assert.equal(a.results[3]!.from, 'bob@example.com/desk');
  assert.equal(a.results[0]!.inner.attrs.xmlns, 'jabber:client');
  assert.equal(a.results[0]!.inner.getChild('stanza-id', NS_SID), undefined, 'stored as received');

  const b = await mam(bob, { with: 'alice@example.com' });
  assert.deepEqual(b.ids, a.ids, 'the same messages, the same ids, in bob’s archive');
  const all = await mam(bob);
  assert.deepEqual(all.ids, a.ids, 'without `with`: everything bob sent and received');
  assert.equal((await mam(alice, { with: 'carol@example.com' })).count, 0);
  aliceBob = a.ids;
  alice.close();
  bob.close();
});

test('RSM paging: max 2 forward and backward (<before/>), counts, flip-page, max 0', async () => {
  const alice = await login(port, 'alice@example.com', PW, 'pager');
  const ids = aliceBob;
  assert.equal(ids.length, 5);
  const p1 = await mam(alice, { with: 'bob@example.com', max: 2 });
  assert.deepEqual([p1.ids, p1.complete, p1.count, p1.first, p1.last], [ids.slice(0, 2), false, 5, ids[0], ids[1]]);
  const p2 = await mam(alice, { with: 'bob@example.com', max: 2, after: p1.last });
  assert.deepEqual([p2.ids, p2.complete, p2.count], [ids.slice(2, 4), false, 5]);
  const p3 = await mam(alice, { with: 'bob@example.com', max: 2, after: p2.last });
  assert.deepEqual([p3.ids, p3.complete, p3.count], [ids.slice(4), true, 5]);

  const b1 = await mam(alice, { with: 'bob@example.com', max: 2, before: '' });
  // No index on a last page (slixmpp's backward paging would stop there: mam-query.ts).
  assert.deepEqual([b1.ids, b1.complete, b1.count, b1.firstIndex], [ids.slice(3), false, 5, undefined]);
  assert.deepEqual(b1.bodies, ['four', 'five & <six>'], 'the last page, oldest first');
  const b2 = await mam(alice, { with: 'bob@example.com', max: 2, before: b1.first });
  assert.deepEqual([b2.ids, b2.complete], [ids.slice(1, 3), false]);
  const b3 = await mam(alice, { with: 'bob@example.com', max: 2, before: b2.first });
  assert.deepEqual([b3.ids, b3.complete, b3.count], [ids.slice(0, 1), true, 5]);

  const flipped = await mam(alice, { with: 'bob@example.com', max: 2, before: '', flip: true });
  assert.deepEqual(flipped.ids, [ids[4], ids[3]], 'sent newest first');
  assert.deepEqual([flipped.first, flipped.last], [ids[3], ids[4]], 'first/last unchanged');

  const countOnly = await mam(alice, { with: 'bob@example.com', max: 0 });
  assert.deepEqual([countOnly.ids, countOnly.count, countOnly.first], [[], 5, undefined]);

  // An empty archive selection is complete with a zero count.
  const none = await mam(alice, { with: 'nobody@example.com', max: 2 });
  assert.deepEqual([none.ids, none.complete, none.count, none.first], [[], true, 0, undefined]);
  alice.close();
});

test('#extended: ids, after-id/before-id, form fields, metadata; bad queries get the right errors', async () => {
  const alice = await login(port, 'alice@example.com', PW, 'ext');
  const ids = aliceBob;
  assert.deepEqual((await mam(alice, { ids: [ids[3]!, ids[1]!] })).ids, [ids[1], ids[3]]);
  const range = await mam(alice, { afterId: ids[0], beforeId: ids[4] });
  assert.deepEqual([range.ids, range.count, range.complete], [ids.slice(1, 4), 3, true]);

  alice.send(`<iq type='get' id='form'><query xmlns='${NS_MAM}'/></iq>`);
  const form = (await alice.next((e) => e.attrs.id === 'form')).getChild('query', NS_MAM)!.getChild('x', 'jabber:x:data')!;
  assert.deepEqual(
    form.getChildren('field').map((f) => f.attrs.var),
    ['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids'],
  );
  alice.send(`<iq type='get' id='meta'><metadata xmlns='${NS_MAM}'/></iq>`);
  const meta = (await alice.next((e) => e.attrs.id === 'meta')).getChild('metadata', NS_MAM)!;
  assert.equal(meta.getChild('start')?.attrs.id, ids[0]);
  assert.equal(meta.getChild('end')?.attrs.id, ids[4]);
  assert.ok(meta.getChild('end')?.attrs.timestamp);

  assert.equal((await mam(alice, { after: 'no-such-id' })).error, 'item-not-found');
  assert.equal((await mam(alice, { ids: ['no-such-id'] })).error, 'item-not-found');
  assert.equal((await mam(alice, { formXml: `<field var='{urn:example}full-text'><value>x</value></field>` })).error, 'feature-not-implemented');
  assert.equal((await mam(alice, { start: 'yesterday' })).error, 'bad-request');
  assert.equal((await mam(alice, { with: 'a@b@c' })).error, 'jid-malformed');
  assert.equal((await mam(alice, { rsmXml: '<index>2</index>' })).error, 'feature-not-implemented');
  alice.send(`<iq type='set' id='ft'><query xmlns='${NS_MAM}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:1</value></field></x></query></iq>`);
  assert.ok((await alice.next((e) => e.attrs.id === 'ft')).getChild('error')?.getChild('bad-request'));

  // An id from bob's archive that is not alice's is not found in hers.
  const carol = await online('carol@example.com', 'c');
  const dave = await online('dave@example.com', 'd', 'carol@example.com/c');
  carol.send(`<message to='dave@example.com' type='chat' id='cd'><body>between us</body></message>`);
  const cd = sids(await dave.next((e) => e.attrs.id === 'cd'))['dave@example.com']!;
  assert.equal((await mam(alice, { after: cd })).error, 'item-not-found');
  assert.deepEqual((await mam(dave, { ids: [cd] })).bodies, ['between us']);
  for (const c of [alice, carol, dave]) c.close();
});

test('date filter: start and end select by the time the server received the message', async () => {
  // Rows from 2020, put straight into the store (archive ids are times: they sort first).
  gw.services.store.archive.add([
    { id: archiveIdAt(Date.parse('2020-03-01T10:00:00Z')), owner: 'alice@example.com', peer: 'bob@example.com', stanza: `<message from='alice@example.com/old' to='bob@example.com' type='chat'><body>March 1st</body></message>` },
    { id: archiveIdAt(Date.parse('2020-03-02T10:00:00Z')), owner: 'bob@example.com', peer: 'alice@example.com', stanza: `<message from='bob@example.com/old' to='alice@example.com' type='chat'><body>March 2nd</body></message>` },
  ]);
  const alice = await login(port, 'alice@example.com', PW, 'dates');
  const in2020 = await mam(alice, { with: 'bob@example.com', start: '2020-01-01T00:00:00Z', end: '2020-12-31T23:59:59Z' });
  assert.deepEqual([in2020.bodies, in2020.count, in2020.complete], [['March 1st', 'March 2nd'], 2, true]);
  assert.equal(in2020.results[0]!.stamp, '2020-03-01T10:00:00.000Z');
  const day2 = await mam(alice, { start: '2020-03-02T00:00:00+02:00', end: '2020-03-02T10:00:00Z' });
  assert.deepEqual(day2.bodies, ['March 2nd'], 'offsets and inclusive ends');
  const recent = await mam(alice, { with: 'bob@example.com', start: '2021-01-01T00:00:00Z' });
  assert.deepEqual(recent.ids, aliceBob);
  const everything = await mam(alice, { with: 'bob@example.com' });
  assert.deepEqual(everything.bodies.slice(0, 3), ['March 1st', 'March 2nd', 'one'], 'chronological order');
  // Between two live messages, to the millisecond.
  const cut = new Date(Date.now() + 5).toISOString();
  await new Promise((r) => setTimeout(r, 20));
  const bob = await online('bob@example.com', 'later');
  bob.send(`<message to='alice@example.com/dates' type='chat' id='late'><body>after the cut</body></message>`);
  await alice.next((e) => e.attrs.id === 'late');
  assert.deepEqual((await mam(alice, { start: cut })).bodies, ['after the cut']);
  assert.ok(!(await mam(alice, { end: cut })).bodies.includes('after the cut'));
  alice.close();
  bob.close();
});

test('messages stored offline are archived, and delivered with their stanza-id', async () => {
  const alice = await login(port, 'alice@example.com', PW, 'off');
  alice.send(`<message to='carol@example.com' type='chat' id='o1'><body>while you were out</body></message>`);
  // Wait until it is stored (alice's own archive shows it).
  for (let i = 0; i < 50 && !(await mam(alice, { with: 'carol@example.com' })).bodies.includes('while you were out'); i++) await new Promise((r) => setTimeout(r, 20));
  const carol = await online('carol@example.com', 'back');
  const offline = await carol.next((e) => e.attrs.id === 'o1');
  assert.ok(offline.getChild('delay', 'urn:xmpp:delay'), 'came from offline storage');
  const id = sids(offline)['carol@example.com'];
  assert.ok(id);
  const archived = await mam(carol, { with: 'alice@example.com' });
  assert.deepEqual(archived.bodies, ['while you were out']);
  assert.equal(archived.ids[0], id);
  alice.close();
  carol.close();
});

test('an archive is its owner’s alone; disco shows MAM on the account, and on the server for older clients (issue 16)', async () => {
  const bob = await login(port, 'bob@example.com', PW, 'snoop');
  for (const to of ['alice@example.com', 'nobody@example.com', 'zed@other.example']) {
    const r = await mam(bob, { to });
    assert.equal(r.error, 'forbidden', to);
    assert.deepEqual(r.results, []);
  }
  assert.equal((await mam(bob, { to: 'example.com' })).error, 'service-unavailable');
  assert.equal((await mam(bob, { to: 'bob@example.com', max: 0 })).count! > 0, true, 'one’s own bare JID is fine');

  bob.send(`<iq type='get' id='d1' to='bob@example.com'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
  const account = (await bob.next((e) => e.attrs.id === 'd1')).getChild('query')!;
  const features = account.getChildren('feature').map((f) => f.attrs.var);
  for (const f of [NS_MAM, `${NS_MAM}#extended`, NS_SID]) assert.ok(features.includes(f), f);
  assert.equal(account.getChild('identity')?.attrs.category, 'account');
  bob.send(`<iq type='get' id='d2' to='example.com'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
  const server = (await bob.next((e) => e.attrs.id === 'd2')).getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
  // profanity 0.13 looks for the archive on the server's disco#info (ejabberd lists it there too);
  // the archive itself is still the account's (a query to the server is refused above).
  assert.ok(server.includes(NS_MAM));

  // Preferences (XEP-0441): everything is archived; asking for less is refused.
  bob.send(`<iq type='get' id='p1'><prefs xmlns='${NS_MAM}'/></iq>`);
  assert.equal((await bob.next((e) => e.attrs.id === 'p1')).getChild('prefs', NS_MAM)?.attrs.default, 'always');
  bob.send(`<iq type='set' id='p2'><prefs xmlns='${NS_MAM}' default='never'><always/><never/></prefs></iq>`);
  assert.ok((await bob.next((e) => e.attrs.id === 'p2')).getChild('error')?.getChild('not-allowed'));
  bob.close();
});

test('retention: rows older than xmpp.archiveDays are purged at start, and by the store purge; 0 days = no archive', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-mam-'));
  const day = 86_400_000;
  try {
    const first = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir: dir });
    await first.user('ann@example.com', PW);
    await first.user('ben@example.com', PW);
    const row = (at: number, body: string) => ({ id: archiveIdAt(at), owner: 'ann@example.com', peer: 'ben@example.com', stanza: `<message from='ann@example.com/x' to='ben@example.com' type='chat'><body>${body}</body></message>` });
    first.services.store.archive.add([row(Date.now() - 400 * day, '400 days ago'), row(Date.now() - 10 * day, '10 days ago')]);
    await first.destroy();

    const again = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.archiveDays': 30 }, { dataDir: dir });
    try {
      const ann = await login(again.xmppPort!, 'ann@example.com', PW, 'r');
      assert.deepEqual((await mam(ann)).bodies, ['10 days ago'], 'the 400-day-old row was purged at start');
      assert.equal(again.services.store.archive.purge(Date.now() - 5 * day), 1);
      const after = await mam(ann);
      assert.deepEqual([after.bodies, after.count], [[], 0]);
      ann.close();
    } finally {
      await again.destroy();
    }

    // archiveDays 0: no archive at all — nothing stored, no stanza-id, no MAM on the account.
    const off = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.archiveDays': 0 }, { dataDir: dir });
    try {
      const ann = await online('ann@example.com', 'off', undefined, off.xmppPort!);
      const ben = await online('ben@example.com', 'off', 'ann@example.com/off', off.xmppPort!);
      ann.send(`<message to='ben@example.com' type='chat' id='x'><body>not archived</body><stanza-id xmlns='${NS_SID}' by='ben@example.com' id='forged'/></message>`);
      const got = await ben.next((e) => e.attrs.id === 'x');
      assert.equal(got.getChild('stanza-id', NS_SID), undefined, 'no id, and the forged one is gone');
      assert.equal((await mam(ann)).error, 'service-unavailable');
      assert.equal(off.services.store.archive.count({ archive: 'ann@example.com' }), 0);
      ann.send(`<iq type='get' id='d' to='ann@example.com'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
      const features = (await ann.next((e) => e.attrs.id === 'd')).getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
      assert.ok(!features.includes(NS_MAM));
      ann.close();
      ben.close();
    } finally {
      await off.destroy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
