// Room archives (XEP-0313 §5.1.2 on XEP-0045 rooms) stanza by stanza: what a room archives and
// the XEP-0359 stanza-id on what it reflects; queries to the room's JID with RSM paging and the
// with/start/end/after-id/before-id/ids filters; who may read (members-only, open, banned, other
// domains); history on join served from the archive; a destroyed room's archive is gone;
// retention; archiving off; a shutdown writes what was waiting; history kept before room archives
// moves into them. Interop with slixmpp's own MAM plugin: xmpp-muc-interop.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Element } from 'ltx';
import { archiveIdAt } from '../../gateway/src/store/archive.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import { mam, NS_MAM, type MamQuery } from '../fixtures/mam-query.ts';
import { login } from '../fixtures/xmpp-raw.ts';
import { startTestGateway } from '../fixtures/gateway.ts';
import { CONF, errorOf, field, iq, join as joinRoom, MUC, mucGateway, PW, USER, type Client } from '../fixtures/muc-raw.ts';

const env = mucGateway();
const NS_SID = 'urn:xmpp:sid:0';
const roomSid = (e: Element, room: string) => e.getChildren('stanza-id', NS_SID).find((s) => s.attrs.by === room)?.attrs.id;
/** Joins and waits for the subject that ends the join (after history). */
const join = (c: Client, room: string, nick: string, opts: { history?: string; config?: string } = {}) => joinRoom(c, room, nick, { ...opts, untilSubject: true });

/** Sends a groupchat message and returns the room's echo of it (by id). */
async function say(c: Client, room: string, id: string, inner: string): Promise<Element> {
  c.send(`<message to='${room}' type='groupchat' id='${id}'>${inner}</message>`);
  return c.next((e) => e.name === 'message' && e.attrs.id === id && e.attrs.from?.startsWith(`${room}/`) === true);
}

const history = (c: Client, room: string, since: number) =>
  c.received.slice(since).filter((e) => e.name === 'message' && e.attrs.from?.startsWith(`${room}/`) && !!e.getChild('delay', 'urn:xmpp:delay'));

test('a room archives what it accepts, once, with a stanza-id by the room; anyone of the domain may read an open room’s archive', async () => {
  const room = `lounge@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'laptop');
  const bob = await login(env.port, 'bob@example.com', PW, 'desk');
  await join(alice, room, 'Alice');
  await join(bob, room, 'Bob');

  const one = await say(alice, room, 'm1', '<body>one</body>');
  // A client-made stanza-id and real JID are not the room's: both are replaced.
  const two = await say(bob, room, 'm2', `<body>two</body><stanza-id xmlns='${NS_SID}' by='${room}' id='forged'/><x xmlns='${USER}'><item jid='ceo@example.com/x'/></x>`);
  const topic = await say(alice, room, 'm3', '<subject>Topic</subject>');
  const state = await say(bob, room, 'm4', `<composing xmlns='http://jabber.org/protocol/chatstates'/>`);
  const offRecord = await say(bob, room, 'm5', `<body>off the record</body><no-store xmlns='urn:xmpp:hints'/>`);
  const file = await say(bob, room, 'm6', `<x xmlns='jabber:x:oob'><url>https://example.com/f.png</url></x>`);
  bob.send(`<message to='${room}/Alice' type='chat' id='pm'><body>private</body></message>`);
  await alice.next((e) => e.attrs.id === 'pm');

  const sidOne = roomSid(one, room);
  assert.match(sidOne ?? '', /^\d+$/);
  assert.equal(one.getChildren('stanza-id', NS_SID).length, 1);
  assert.equal(two.getChildren('stanza-id', NS_SID).length, 1, 'the forged stanza-id is gone');
  assert.notEqual(roomSid(two, room), 'forged');
  assert.equal(two.getChild('x', USER), undefined, 'the forged muc#user data is gone');
  assert.ok(roomSid(topic, room), 'subject changes are archived');
  assert.equal(roomSid(state, room), undefined, 'a chat state is not archived');
  assert.equal(roomSid(offRecord, room), undefined, '<no-store/> is respected');
  assert.ok(roomSid(file, room), 'an attachment without a body is archived');
  // The copy bob's other occupant gets carries the same id.
  assert.equal(roomSid(await bob.next((e) => e.attrs.id === 'm1'), room), sidOne);

  // carol never joined: the room is open, she is of the domain, she may read.
  const carol = await login(env.port, 'carol@example.com', PW, 'reader');
  const all = await mam(carol, { to: room });
  assert.equal(all.answer.attrs.type, 'result', all.answer.toString());
  assert.deepEqual(all.ids, [sidOne, roomSid(two, room), roomSid(topic, room), roomSid(file, room)]);
  assert.deepEqual([all.count, all.complete], [4, true]);
  assert.deepEqual(
    all.results.map((r) => r.from),
    [`${room}/Alice`, `${room}/Bob`, `${room}/Alice`, `${room}/Bob`],
  );
  assert.ok(all.results.every((r) => r.carrierFrom === room && r.to === undefined && r.stamp && r.inner.attrs.type === 'groupchat'));
  assert.equal(all.results[0]!.inner.attrs.xmlns, 'jabber:client');
  assert.deepEqual(all.results[1]!.inner.getChild('x', USER)!.getChild('item')!.attrs, { jid: 'bob@example.com/desk', affiliation: 'none', role: 'participant' });
  assert.equal(all.results[0]!.inner.getChild('x', USER)!.getChild('item')!.attrs.affiliation, 'owner');
  assert.equal(all.results[1]!.inner.getChild('stanza-id', NS_SID), undefined, 'stored without stanza-ids');
  assert.equal(all.results[2]!.inner.getChildText('subject'), 'Topic');
  assert.equal(all.results[3]!.inner.getChild('x', 'jabber:x:oob')?.getChildText('url'), 'https://example.com/f.png');

  // The room's messages are the room's: not in the personal archives of those who took part.
  for (const c of [alice, bob]) assert.equal((await mam(c, { max: 0 })).count, 0);

  // Disco on the room advertises MAM and stanza-ids; the service itself keeps no archive.
  const info = (await iq(carol, room, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`)).getChild('query')!;
  const features = info.getChildren('feature').map((f) => f.attrs.var);
  for (const f of [NS_MAM, `${NS_MAM}#extended`, NS_SID]) assert.ok(features.includes(f), f);
  assert.equal((await mam(carol, { to: CONF })).error, 'service-unavailable');
  assert.equal((await mam(carol, { to: `nosuchroom@${CONF}` })).error, 'item-not-found');
  for (const c of [alice, bob, carol]) c.close();
});

test('paging and filters on a room archive: RSM both ways, with = occupant JID, after-id/before-id/ids, dates, metadata; bad queries', async () => {
  const room = `paging@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'pg');
  const bob = await login(env.port, 'bob@example.com', PW, 'pg');
  await join(alice, room, 'Alice');
  await join(bob, room, 'Bob');
  const sids: string[] = [];
  for (const [i, c] of [alice, bob, alice, bob, alice, bob, alice].entries()) sids.push(roomSid(await say(c, room, `p${i}`, `<body>m${i}</body>`), room)!);

  const p1 = await mam(bob, { to: room, max: 3 });
  assert.deepEqual([p1.ids, p1.complete, p1.count, p1.first, p1.last, p1.firstIndex], [sids.slice(0, 3), false, 7, sids[0], sids[2], '0']);
  const p2 = await mam(bob, { to: room, max: 3, after: p1.last });
  assert.deepEqual([p2.ids, p2.complete], [sids.slice(3, 6), false]);
  const p3 = await mam(bob, { to: room, max: 3, after: p2.last });
  assert.deepEqual([p3.ids, p3.complete], [sids.slice(6), true]);
  const lastPage = await mam(bob, { to: room, max: 3, before: '' });
  assert.deepEqual([lastPage.bodies, lastPage.complete], [['m4', 'm5', 'm6'], false]);
  const earlier = await mam(bob, { to: room, max: 3, before: lastPage.first });
  assert.deepEqual([earlier.ids, earlier.complete], [sids.slice(1, 4), false]);
  const flipped = await mam(bob, { to: room, max: 2, before: '', flip: true });
  assert.deepEqual(flipped.bodies, ['m6', 'm5']);

  const bobs = await mam(alice, { to: room, with: `${room}/Bob` });
  assert.deepEqual([bobs.bodies, bobs.count], [['m1', 'm3', 'm5'], 3]);
  assert.equal((await mam(alice, { to: room, with: `${room}/Nobody` })).count, 0);
  assert.deepEqual((await mam(alice, { to: room, afterId: sids[1], beforeId: sids[4] })).bodies, ['m2', 'm3']);
  assert.deepEqual((await mam(alice, { to: room, ids: [sids[5]!, sids[0]!] })).bodies, ['m0', 'm5']);

  const meta = (await iq(alice, room, 'get', `<metadata xmlns='${NS_MAM}'/>`)).getChild('metadata', NS_MAM)!;
  assert.deepEqual([meta.getChild('start')?.attrs.id, meta.getChild('end')?.attrs.id], [sids[0], sids[6]]);
  const form = (await iq(alice, room, 'get', `<query xmlns='${NS_MAM}'/>`)).getChild('query', NS_MAM)!.getChild('x', 'jabber:x:data')!;
  assert.ok(form.getChildren('field').some((f) => f.attrs.var === 'with'));

  // Rows from 2021, put straight into the store (archive ids are times): start/end select them.
  env.gw.services.store.archive.add([
    { id: archiveIdAt(Date.parse('2021-06-01T09:00:00Z')), owner: room, peer: `${room}/Old`, stanza: `<message type='groupchat' from='${room}/Old'><body>June</body></message>` },
    { id: archiveIdAt(Date.parse('2021-07-01T09:00:00Z')), owner: room, peer: `${room}/Old`, stanza: `<message type='groupchat' from='${room}/Old'><body>July</body></message>` },
  ]);
  const june = await mam(alice, { to: room, start: '2021-06-01T00:00:00Z', end: '2021-06-30T23:59:59Z' });
  assert.deepEqual([june.bodies, june.count, june.complete], [['June'], 1, true]);
  assert.equal(june.results[0]!.stamp, '2021-06-01T09:00:00.000Z');
  assert.deepEqual((await mam(alice, { to: room, start: '2022-01-01T00:00:00Z' })).ids, sids);
  assert.deepEqual((await mam(alice, { to: room, max: 2 })).bodies, ['June', 'July'], 'chronological order');

  // Bad input: ids of other archives, unknown fields, malformed values — errors, nothing sent.
  const other = `other@${CONF}`;
  await join(alice, other, 'Alice');
  const foreign = roomSid(await say(alice, other, 'o1', '<body>elsewhere</body>'), other)!;
  const bad: [MamQuery, string][] = [
    [{ after: foreign }, 'item-not-found'],
    [{ ids: [foreign] }, 'item-not-found'],
    [{ afterId: 'nope' }, 'item-not-found'],
    [{ formXml: field('{urn:example}search', 'x') }, 'feature-not-implemented'],
    [{ start: 'last week' }, 'bad-request'],
    [{ with: 'a@b@c' }, 'jid-malformed'],
  ];
  for (const [q, condition] of bad) {
    const r = await mam(alice, { to: room, ...q });
    assert.equal(r.error, condition, JSON.stringify(q));
    assert.deepEqual(r.results, []);
  }
  assert.equal((await mam(alice, { to: room, max: 0 })).count, 9, 'the archive is untouched');
  for (const c of [alice, bob]) c.close();
});

test('who may read: members-only rooms their members, open rooms everyone of the domain but the banned; other domains never', async () => {
  const board = `board@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'acl');
  await join(alice, board, 'Alice', { config: field('muc#roomconfig_membersonly', '1') });
  await say(alice, board, 'b1', '<body>for members</body>');
  const dave = await login(env.port, 'dave@example.com', PW, 'acl');
  const refused = await mam(dave, { to: board });
  assert.deepEqual([refused.error, refused.results], ['forbidden', []]);
  assert.equal(errorOf(await iq(alice, board, 'set', `<query xmlns='${MUC}#admin'><item jid='dave@example.com' affiliation='member'/></query>`)), undefined);
  assert.deepEqual((await mam(dave, { to: board })).bodies, ['for members'], 'a member may read without having joined');
  assert.deepEqual((await mam(alice, { to: board })).bodies, ['for members'], 'so may the owner');

  const open = `open@${CONF}`;
  await join(alice, open, 'Alice');
  await say(alice, open, 'o1', '<body>hello all</body>');
  const bob = await login(env.port, 'bob@example.com', PW, 'acl');
  assert.deepEqual((await mam(bob, { to: open })).bodies, ['hello all']);
  await iq(alice, open, 'set', `<query xmlns='${MUC}#admin'><item jid='bob@example.com' affiliation='outcast'/></query>`);
  assert.equal((await mam(bob, { to: open })).error, 'forbidden', 'the banned may not');

  const zed = await login(env.port, 'zed@other.example', PW, 'acl');
  assert.equal((await mam(zed, { to: open })).error, 'forbidden', 'users of another domain may not');
  for (const c of [alice, bob, dave, zed]) c.close();
});

test('history on join comes from the archive: last messages (no subject changes, no <no-store/>), with their stanza-ids; maxstanzas and since', async () => {
  const room = `hist@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'h');
  await join(alice, room, 'Alice', { config: field('muc#maxhistoryfetch', '3') });
  const sent: Element[] = [];
  for (const i of [1, 2, 3, 4]) sent.push(await say(alice, room, `h${i}`, `<body>h${i}</body>`));
  await say(alice, room, 'nh', `<body>not kept</body><no-store xmlns='urn:xmpp:hints'/>`);
  await say(alice, room, 'hs', '<subject>the latest thing is a subject</subject>');

  const bob = await login(env.port, 'bob@example.com', PW, 'h');
  let mark = bob.received.length;
  await join(bob, room, 'Bob');
  const got = history(bob, room, mark);
  assert.deepEqual(
    got.map((e) => e.getChildText('body')),
    ['h2', 'h3', 'h4'],
    'the room’s muc#maxhistoryfetch (3)',
  );
  assert.deepEqual(
    got.map((e) => roomSid(e, room)),
    sent.slice(1).map((e) => roomSid(e, room)),
    'history carries the archive ids',
  );
  assert.ok(got.every((e) => e.getChild('delay', 'urn:xmpp:delay')?.attrs.from === room));
  const subject = bob.received.slice(mark).find((e) => !!e.getChild('subject'))!;
  assert.equal(subject.getChildText('subject'), 'the latest thing is a subject');
  assert.ok(bob.received.indexOf(got.at(-1)!) < bob.received.indexOf(subject), 'history, then the subject');

  const carol = await login(env.port, 'carol@example.com', PW, 'h');
  mark = carol.received.length;
  await join(carol, room, 'Carol', { history: `<history maxstanzas='1'/>` });
  assert.deepEqual(
    history(carol, room, mark).map((e) => e.getChildText('body')),
    ['h4'],
  );
  const dave = await login(env.port, 'dave@example.com', PW, 'h');
  mark = dave.received.length;
  await join(dave, room, 'Dave', { history: `<history since='2999-01-01T00:00:00Z'/>` });
  assert.deepEqual(history(dave, room, mark), []);
  for (const c of [alice, bob, carol, dave]) c.close();
});

test('destroying a room deletes its archive; so does the end of a temporary room; a new room starts with an empty one', async () => {
  const store = env.gw.services.store.archive;
  const room = `doomed@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'd');
  await join(alice, room, 'Alice', { config: field('muc#roomconfig_persistentroom', '1') });
  await say(alice, room, 'd1', '<body>soon gone</body>');
  assert.equal((await mam(alice, { to: room })).count, 1);
  assert.equal((await iq(alice, room, 'set', `<query xmlns='${MUC}#owner'><destroy/></query>`)).attrs.type, 'result');
  await alice.next((e) => e.name === 'presence' && e.attrs.type === 'unavailable' && e.attrs.from === `${room}/Alice`);
  assert.equal(store.count({ archive: room }), 0, 'no row left');
  assert.equal((await mam(alice, { to: room })).error, 'item-not-found');
  await join(alice, room, 'Alice');
  assert.deepEqual([(await mam(alice, { to: room })).count], [0], 'the new room’s archive is empty');

  const temp = `adhoc@${CONF}`;
  const bob = await login(env.port, 'bob@example.com', PW, 'd');
  await join(bob, temp, 'Bob');
  await say(bob, temp, 't1', '<body>temporary</body>');
  assert.equal((await mam(bob, { to: temp })).count, 1, 'written (a query writes what waits)');
  bob.send(`<presence to='${temp}/Bob' type='unavailable'/>`);
  await bob.next((e) => e.name === 'presence' && e.attrs.type === 'unavailable' && e.attrs.from === `${temp}/Bob`);
  assert.equal(store.count({ archive: temp }), 0, 'the last occupant left: room and archive are gone');

  // Rows of a temporary room that ended with a shutdown: the next room of that name does not inherit them.
  const orphan = `orphan@${CONF}`;
  store.add([{ id: store.nextId(), owner: orphan, peer: `${orphan}/Ghost`, stanza: `<message type='groupchat' from='${orphan}/Ghost'><body>boo</body></message>` }]);
  await join(bob, orphan, 'Bob');
  assert.equal((await mam(bob, { to: orphan })).count, 0);
  for (const c of [alice, bob]) c.close();
});

test('retention purges room archives too; a shutdown writes what was waiting; history kept before room archives moves into them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-muc-mam-'));
  const room = `kept@${CONF}`;
  const day = 86_400_000;
  try {
    const first = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir: dir });
    await first.user('ann@example.com', PW);
    const ann = await login(first.xmppPort!, 'ann@example.com', PW);
    await join(ann, room, 'Ann', { config: field('muc#roomconfig_persistentroom', '1') + field('muc#maxhistoryfetch', '50') });
    // Twenty messages, and the gateway goes down right after the last echo: rows still waiting
    // to be written (50 ms) must be written by the shutdown.
    for (let i = 0; i < 20; i++) ann.send(`<message to='${room}' type='groupchat' id='s${i}'><body>s${i}</body></message>`);
    await ann.next((e) => e.attrs.id === 's19' && e.attrs.from === `${room}/Ann`);
    await first.destroy();

    // Old rows (400 and 10 days), and history as rooms kept it before archives (muc_history).
    const store = createStore(dir);
    store.archive.add([
      { id: archiveIdAt(Date.now() - 400 * day), owner: room, peer: `${room}/Ann`, stanza: `<message type='groupchat' from='${room}/Ann'><body>400 days ago</body></message>` },
      { id: archiveIdAt(Date.now() - 10 * day), owner: room, peer: `${room}/Ann`, stanza: `<message type='groupchat' from='${room}/Ann'><body>10 days ago</body></message>` },
    ]);
    const legacyAt = Date.now() - 20 * day;
    const insert = store.db.prepare('INSERT INTO muc_history (room, stanza, created_at) VALUES (?, ?, ?)');
    insert.run(room, `<message type="groupchat" from="${room}/Old Timer"><body>legacy one</body></message>`, legacyAt);
    insert.run(room, `<message type="groupchat" from="${room}/Old Timer"><body>legacy two</body></message>`, legacyAt);
    insert.run(room, `<message type="groupchat" from="${room}"><body>no occupant</body></message>`, legacyAt);
    store.close();

    const again = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.archiveDays': 30 }, { dataDir: dir });
    try {
      const ann2 = await login(again.xmppPort!, 'ann@example.com', PW);
      const all = await mam(ann2, { to: room, max: 100 });
      const shutdown = Array.from({ length: 20 }, (_, i) => `s${i}`);
      assert.deepEqual(all.bodies, ['legacy one', 'legacy two', '10 days ago', ...shutdown], 'nothing lost at shutdown; the 400-day-old row purged at start');
      assert.equal(all.results[0]!.from, `${room}/Old Timer`);
      assert.equal(Date.parse(all.results[0]!.stamp!), legacyAt, 'moved with the time it was received');
      assert.equal(again.services.store.rooms.legacyHistory().length, 0, 'moved once');
      const mark = ann2.received.length;
      await join(ann2, room, 'Ann', { history: `<history maxstanzas='21'/>` });
      assert.deepEqual(
        history(ann2, room, mark).map((e) => e.getChildText('body')),
        ['10 days ago', ...shutdown],
        'history on join after a restart, from the archive',
      );
      ann2.close();
    } finally {
      await again.destroy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('archiving off (xmpp.archiveDays 0): no room archive, no stanza-id, no MAM in disco; history on join still works, from memory', async () => {
  const off = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.archiveDays': 0 });
  try {
    await off.user('ann@example.com', PW);
    await off.user('ben@example.com', PW);
    const room = `plain@${CONF}`;
    const ann = await login(off.xmppPort!, 'ann@example.com', PW);
    await join(ann, room, 'Ann');
    const echo = await say(ann, room, 'x1', `<body>not archived</body><stanza-id xmlns='${NS_SID}' by='${room}' id='forged'/>`);
    assert.equal(echo.getChild('stanza-id', NS_SID), undefined, 'no id, and the forged one is gone');
    await say(ann, room, 'x2', '<subject>no archive</subject>');
    assert.equal((await mam(ann, { to: room })).error, 'service-unavailable');
    assert.equal(off.services.store.archive.count({ archive: room }), 0);
    const info = (await iq(ann, room, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`)).getChild('query')!;
    assert.ok(!info.getChildren('feature').some((f) => f.attrs.var === NS_MAM || f.attrs.var === NS_SID));
    const ben = await login(off.xmppPort!, 'ben@example.com', PW);
    const mark = ben.received.length;
    await join(ben, room, 'Ben');
    const got = history(ben, room, mark);
    assert.deepEqual(
      got.map((e) => e.getChildText('body')),
      ['not archived'],
    );
    assert.equal(got[0]!.getChild('stanza-id', NS_SID), undefined);
    for (const c of [ann, ben]) c.close();
  } finally {
    await off.destroy();
  }
});
