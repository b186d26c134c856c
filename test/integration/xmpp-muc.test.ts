// Group chat (XEP-0045) on conference.<domain>, stanza by stanza over real sockets: room creation
// and the instant room, joins with occupant presence and status codes, groupchat fan-out and the
// central IM log, subject, history on join, nick conflicts, kick and ban, invitations, leaving and
// the end of temporary rooms, and a persistent room across a gateway restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Element } from 'ltx';
import { login } from '../fixtures/xmpp-raw.ts';
import { CONF, codes, errorOf, field, iq, join, MUC, mucGateway, PW, USER } from '../fixtures/muc-raw.ts';
import { startTestGateway } from '../fixtures/gateway.ts';

const env = mucGateway();

const item = (e: Element) => e.getChild('x', USER)?.getChild('item')?.attrs ?? {};
const presenceFrom = (from: string, type?: string) => (e: Element) => e.name === 'presence' && e.attrs.from === from && e.attrs.type === type;
const isSubject = (e: Element) => e.name === 'message' && e.attrs.type === 'groupchat' && !!e.getChild('subject') && !e.getChild('body');
const groupchat = (body: string) => (e: Element) => e.name === 'message' && e.attrs.type === 'groupchat' && e.getChildText('body') === body;


function imLog(dataDir: string): string {
  const dir = path.join(dataDir, 'logs');
  return readdirSync(dir)
    .filter((f) => /^XMPPServer-\d{4}-\d{2}-\d{2}\.log$/.test(f))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('');
}

test('disco: the server lists conference.<domain>; only the component claims MUC', async () => {
  const alice = await login(env.port, 'alice@example.com', PW, 'disco');
  const items = await iq(alice, 'example.com', 'get', `<query xmlns='http://jabber.org/protocol/disco#items'/>`);
  const listed = items
    .getChild('query')!
    .getChildren('item')
    .map((i) => i.attrs.jid);
  assert.ok(listed.includes(CONF), `${CONF} in ${listed.join(', ')}`);
  assert.ok(!listed.some((j) => j?.startsWith('conference.') && j !== CONF), 'only the domain’s own conference service');
  const server = await iq(alice, 'example.com', 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
  assert.ok(!server.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === MUC), 'the server itself is not a MUC service');
  const info = await iq(alice, CONF, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
  const q = info.getChild('query')!;
  assert.deepEqual(q.getChild('identity')?.attrs, { category: 'conference', type: 'text', name: 'Chatrooms' });
  assert.ok(q.getChildren('feature').some((f) => f.attrs.var === MUC));
  alice.close();
});

test('create an instant room; a colleague joins and sees the occupants; groupchat fan-out is logged; subject; history with delay', async () => {
  const room = `team@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'laptop');
  alice.send(`<presence to='${room}/Alice'><x xmlns='${MUC}'/></presence>`);
  const created = await alice.next(presenceFrom(`${room}/Alice`));
  assert.deepEqual(codes(created).sort(), [100, 110, 170, 201]);
  assert.deepEqual(item(created), { affiliation: 'owner', role: 'moderator', jid: 'alice@example.com/laptop' });
  await alice.next(isSubject);

  // Locked until configured (XEP-0045 §10.1): nobody else gets in.
  const bob = await login(env.port, 'bob@example.com', PW, 'desk');
  bob.send(`<presence to='${room}/Bob'><x xmlns='${MUC}'/></presence>`);
  const locked = await bob.next(presenceFrom(`${room}/Bob`, 'error'));
  assert.equal(errorOf(locked), 'item-not-found');

  const instant = await iq(alice, room, 'set', `<query xmlns='${MUC}#owner'><x xmlns='jabber:x:data' type='submit'/></query>`);
  assert.equal(instant.attrs.type, 'result');
  alice.send(`<message to='${room}' type='groupchat' id='g1'><body>first!</body></message>`);
  const echo = await alice.next(groupchat('first!'));
  assert.equal(echo.attrs.from, `${room}/Alice`);
  assert.equal(echo.attrs.id, 'g1', 'the echo keeps the id');

  // bob joins: alice's presence, then his own (110, no 201), history with delay, then the subject.
  bob.send(`<presence to='${room}/Bob'><x xmlns='${MUC}'><history maxstanzas='10'/></x></presence>`);
  const seenAlice = await bob.next(presenceFrom(`${room}/Alice`));
  assert.deepEqual(item(seenAlice), { affiliation: 'owner', role: 'moderator', jid: 'alice@example.com/laptop' });
  const self = await bob.next(presenceFrom(`${room}/Bob`));
  assert.deepEqual(codes(self).sort(), [100, 110, 170]);
  assert.deepEqual(item(self), { affiliation: 'none', role: 'participant', jid: 'bob@example.com/desk' });
  const hist = await bob.next(groupchat('first!'));
  assert.equal(hist.attrs.from, `${room}/Alice`);
  assert.equal(hist.getChild('delay', 'urn:xmpp:delay')?.attrs.from, room);
  assert.match(hist.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const subj = await bob.next(isSubject);
  assert.equal(subj.getChildText('subject'), '');
  assert.ok(bob.received.indexOf(seenAlice) < bob.received.indexOf(self) && bob.received.indexOf(self) < bob.received.indexOf(hist) && bob.received.indexOf(hist) < bob.received.indexOf(subj));
  const bobForAlice = await alice.next(presenceFrom(`${room}/Bob`));
  assert.deepEqual(codes(bobForAlice), [], 'no 110 for the others');
  assert.equal(item(bobForAlice).jid, 'bob@example.com/desk', 'non-anonymous room');

  const occupants = await iq(bob, room, 'get', `<query xmlns='http://jabber.org/protocol/disco#items'/>`);
  assert.deepEqual(
    occupants
      .getChild('query')!
      .getChildren('item')
      .map((i) => `${i.attrs.jid} ${i.attrs.name}`)
      .sort(),
    [`${room}/Alice Alice`, `${room}/Bob Bob`],
  );
  const roomInfo = (await iq(bob, room, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`)).getChild('query')!;
  const features = roomInfo.getChildren('feature').map((f) => f.attrs.var);
  for (const f of [MUC, 'muc_temporary', 'muc_open', 'muc_nonanonymous']) assert.ok(features.includes(f), f);

  // Fan-out to everyone, the sender included, from the occupant JID; logged with real JIDs first.
  bob.send(`<message to='${room}' type='groupchat' id='g2'><body>hello room</body></message>`);
  const atAlice = await alice.next(groupchat('hello room'));
  assert.equal(atAlice.attrs.from, `${room}/Bob`);
  assert.equal(atAlice.attrs.to, 'alice@example.com/laptop');
  await bob.next(groupchat('hello room'));
  assert.match(imLog(env.gw.dataDir), /\tgroupchat\tbob@example\.com\/desk\tteam@conference\.example\.com\thello room\t/);

  // Subject: moderators only by default.
  bob.send(`<message to='${room}' type='groupchat' id='s1'><subject>Bob's topic</subject></message>`);
  assert.equal(errorOf(await bob.next((e) => e.attrs.id === 's1' && e.attrs.type === 'error')), 'forbidden');
  alice.send(`<message to='${room}' type='groupchat' id='s2'><subject>Weekly sync</subject></message>`);
  const newSubject = await bob.next(isSubject);
  assert.equal(newSubject.getChildText('subject'), 'Weekly sync');
  assert.equal(newSubject.attrs.from, `${room}/Alice`);

  // Private message between occupants.
  bob.send(`<message to='${room}/Alice' type='chat' id='pm1'><body>psst</body></message>`);
  const pm = await alice.next((e) => e.name === 'message' && e.attrs.id === 'pm1');
  assert.equal(pm.attrs.from, `${room}/Bob`);
  assert.ok(pm.getChild('x', USER));

  // A late joiner asking for one message of history gets the last one and the current subject.
  const carol = await login(env.port, 'carol@example.com', PW, 'phone');
  carol.send(`<presence to='${room}/Carol'><x xmlns='${MUC}'><history maxstanzas='1'/></x></presence>`);
  await carol.next(presenceFrom(`${room}/Carol`));
  const carolSubject = await carol.next(isSubject);
  assert.equal(carolSubject.getChildText('subject'), 'Weekly sync');
  const carolHistory = carol.received.filter((e) => e.name === 'message' && e.getChild('body'));
  assert.deepEqual(
    carolHistory.map((e) => e.getChildText('body')),
    ['hello room'],
  );
  for (const c of [alice, bob, carol]) c.close();
});

test('nick conflict (409), kick (307), ban (301) and the outcast list', async () => {
  const room = `ops@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'ops');
  await join(alice, room, 'Alice');
  const bob = await login(env.port, 'bob@example.com', PW, 'ops');
  const conflict = await join(bob, room, 'alice'); // nicks compare case-insensitively
  assert.equal(conflict.attrs.type, 'error');
  assert.equal(errorOf(conflict), 'conflict');
  await join(bob, room, 'Bob');
  const carol = await login(env.port, 'carol@example.com', PW, 'ops');
  await join(carol, room, 'Carol');

  const denied = await iq(bob, room, 'set', `<query xmlns='${MUC}#admin'><item nick='Carol' role='none'/></query>`);
  assert.equal(errorOf(denied), 'forbidden', 'participants cannot kick');
  const ownerKick = await iq(alice, room, 'set', `<query xmlns='${MUC}#admin'><item nick='Alice' role='none'/></query>`);
  assert.equal(errorOf(ownerKick), 'not-allowed', 'owners cannot be kicked');

  const kick = await iq(alice, room, 'set', `<query xmlns='${MUC}#admin'><item nick='Bob' role='none'><reason>be nice</reason></item></query>`);
  assert.equal(kick.attrs.type, 'result');
  const kicked = await bob.next(presenceFrom(`${room}/Bob`, 'unavailable'));
  assert.deepEqual(codes(kicked).sort(), [110, 307]);
  assert.equal(kicked.getChild('x', USER)!.getChild('item')!.getChildText('reason'), 'be nice');
  assert.equal(kicked.getChild('x', USER)!.getChild('item')!.getChild('actor')?.attrs.nick, 'Alice');
  assert.deepEqual(codes(await carol.next(presenceFrom(`${room}/Bob`, 'unavailable'))), [307]);
  bob.send(`<message to='${room}' type='groupchat' id='after-kick'><body>still here?</body></message>`);
  assert.equal(errorOf(await bob.next((e) => e.attrs.id === 'after-kick')), 'not-acceptable', 'no longer an occupant');

  // A kick is not a ban: bob comes back; then he is banned.
  await join(bob, room, 'Bob');
  const ban = await iq(alice, room, 'set', `<query xmlns='${MUC}#admin'><item jid='bob@example.com' affiliation='outcast'><reason>spam</reason></item></query>`);
  assert.equal(ban.attrs.type, 'result');
  const banned = await bob.next(presenceFrom(`${room}/Bob`, 'unavailable'));
  assert.deepEqual(codes(banned).sort(), [110, 301]);
  assert.equal(item(banned).affiliation, 'outcast');
  assert.equal(item(await alice.next((e) => presenceFrom(`${room}/Bob`, 'unavailable')(e) && codes(e).includes(301))).affiliation, 'outcast');
  const refused = await join(bob, room, 'Bobby');
  assert.equal(errorOf(refused), 'forbidden');
  const outcasts = await iq(alice, room, 'get', `<query xmlns='${MUC}#admin'><item affiliation='outcast'/></query>`);
  assert.deepEqual(
    outcasts
      .getChild('query')!
      .getChildren('item')
      .map((i) => i.attrs.jid),
    ['bob@example.com'],
  );
  for (const c of [alice, bob, carol]) c.close();
});

test('invitations: mediated through the room, direct (XEP-0249), declines; other domains and non-members refused', async () => {
  const room = `plans@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'inv');
  alice.send('<presence/>'); // declines and invitations go to available clients (or offline storage)
  const carol = await login(env.port, 'carol@example.com', PW, 'inv');
  carol.send('<presence/>');
  await join(alice, room, 'Alice');

  alice.send(`<message to='${room}' id='i1'><x xmlns='${USER}'><invite to='carol@example.com'><reason>planning</reason></invite></x></message>`);
  const invite = await carol.next((e) => e.name === 'message' && !!e.getChild('x', USER)?.getChild('invite'));
  assert.equal(invite.attrs.from, room);
  assert.equal(invite.getChild('x', USER)!.getChild('invite')!.attrs.from, 'alice@example.com/inv');
  assert.equal(invite.getChild('x', USER)!.getChild('invite')!.getChildText('reason'), 'planning');

  carol.send(`<message to='${room}'><x xmlns='${USER}'><decline to='alice@example.com'><reason>busy</reason></decline></x></message>`);
  const decline = await alice.next((e) => e.name === 'message' && !!e.getChild('x', USER)?.getChild('decline'));
  assert.equal(decline.attrs.from, room);
  assert.equal(decline.getChild('x', USER)!.getChild('decline')!.getChildText('reason'), 'busy');

  alice.send(`<message to='carol@example.com' id='d1'><x xmlns='jabber:x:conference' jid='${room}' reason='come in'/></message>`);
  const direct = await carol.next((e) => e.name === 'message' && e.attrs.id === 'd1');
  assert.equal(direct.attrs.from, 'alice@example.com/inv');
  assert.equal(direct.getChild('x', 'jabber:x:conference')?.attrs.jid, room);

  alice.send(`<message to='${room}' id='i2'><x xmlns='${USER}'><invite to='zed@other.example'/></x></message>`);
  assert.equal(errorOf(await alice.next((e) => e.attrs.id === 'i2')), 'not-acceptable', 'only colleagues can be invited');

  // Users of another domain cannot use this conference service at all.
  const zed = await login(env.port, 'zed@other.example', PW, 'x');
  const foreign = await join(zed, room, 'Zed');
  assert.equal(errorOf(foreign), 'forbidden');

  // Members-only: a colleague who is not a member is told to register; an invitation makes him one.
  const board = `board@${CONF}`;
  await join(alice, board, 'Alice', { config: field('muc#roomconfig_membersonly', '1') });
  const dave = await login(env.port, 'dave@example.com', PW, 'inv');
  dave.send('<presence/>');
  assert.equal(errorOf(await join(dave, board, 'Dave')), 'registration-required');
  alice.send(`<message to='${board}'><x xmlns='${USER}'><invite to='dave@example.com'/></x></message>`);
  await dave.next((e) => e.name === 'message' && e.attrs.from === board);
  const member = await join(dave, board, 'Dave');
  assert.deepEqual(item(member), { affiliation: 'member', role: 'participant', jid: 'dave@example.com/inv' });
  for (const c of [alice, carol, zed, dave]) c.close();
});

test('leaving: unavailable presence to the others (also when a connection dies); an empty temporary room is gone', async () => {
  const room = `adhoc@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'leave');
  await join(alice, room, 'Alice');
  const bob = await login(env.port, 'bob@example.com', PW, 'leave');
  await join(bob, room, 'Bob');
  await alice.next(presenceFrom(`${room}/Bob`));

  bob.kill(); // a dead TCP connection: the session ends, bob leaves the room
  const gone = await alice.next(presenceFrom(`${room}/Bob`, 'unavailable'));
  assert.equal(item(gone).role, 'none');

  alice.send(`<presence to='${room}/Alice' type='unavailable'><status>bye</status></presence>`);
  const left = await alice.next(presenceFrom(`${room}/Alice`, 'unavailable'));
  assert.deepEqual(codes(left), [110]);
  assert.equal(left.getChildText('status'), 'bye');

  const carol = await login(env.port, 'carol@example.com', PW, 'leave');
  const info = await iq(carol, room, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
  assert.equal(errorOf(info), 'item-not-found', 'the temporary room was destroyed');
  const again = await join(carol, room, 'Carol');
  assert.ok(codes(again).includes(201), 'joining creates a new room');
  assert.equal(item(again).affiliation, 'owner');
  for (const c of [alice, carol]) c.close();
});

test('nick change (303), two clients of one user sharing a nick, XEP-0410 self-ping, owner destroys the room', async () => {
  const room = `nicks@${CONF}`;
  const alice = await login(env.port, 'alice@example.com', PW, 'n1');
  await join(alice, room, 'Alice');
  const bob = await login(env.port, 'bob@example.com', PW, 'n1');
  await join(bob, room, 'Bob');
  await alice.next(presenceFrom(`${room}/Bob`));

  bob.send(`<presence to='${room}/Robert'/>`);
  const renamed = await alice.next(presenceFrom(`${room}/Bob`, 'unavailable'));
  assert.deepEqual(codes(renamed), [303]);
  assert.equal(item(renamed).nick, 'Robert');
  await alice.next(presenceFrom(`${room}/Robert`));
  assert.deepEqual(codes(await bob.next(presenceFrom(`${room}/Bob`, 'unavailable'))).sort(), [110, 303]);
  assert.ok(codes(await bob.next(presenceFrom(`${room}/Robert`))).includes(110));
  const taken = await join(bob, room, 'Alice');
  assert.equal(errorOf(taken), 'conflict', 'a nick change to a nick in use is refused too');

  // bob's second client joins under the same nick: it shares the occupant, the others see nothing new.
  const bob2 = await login(env.port, 'bob@example.com', PW, 'n2');
  const shared = await join(bob2, room, 'Robert');
  assert.ok(codes(shared).includes(110));
  alice.send(`<message to='${room}' type='groupchat'><body>to both of bob's clients</body></message>`);
  await bob.next(groupchat("to both of bob's clients"));
  await bob2.next(groupchat("to both of bob's clients"));
  assert.equal((await iq(bob2, `${room}/Robert`, 'get', `<ping xmlns='urn:xmpp:ping'/>`)).attrs.type, 'result', 'still joined');
  bob2.send(`<presence to='${room}/Robert' type='unavailable'/>`);
  await bob2.next(presenceFrom(`${room}/Robert`, 'unavailable'));
  assert.equal(errorOf(await iq(bob2, `${room}/Robert`, 'get', `<ping xmlns='urn:xmpp:ping'/>`)), 'not-acceptable', 'this client left');
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(!alice.received.some(presenceFrom(`${room}/Robert`, 'unavailable')), 'bob is still in the room with his first client');

  const notOwner = await iq(bob, room, 'set', `<query xmlns='${MUC}#owner'><destroy/></query>`);
  assert.equal(errorOf(notOwner), 'forbidden');
  const form = await iq(alice, room, 'get', `<query xmlns='${MUC}#owner'/>`);
  const vars = form
    .getChild('query')!
    .getChild('x', 'jabber:x:data')!
    .getChildren('field')
    .map((f) => f.attrs.var);
  for (const v of ['muc#roomconfig_roomname', 'muc#roomconfig_persistentroom', 'muc#roomconfig_membersonly', 'muc#roomconfig_changesubject', 'muc#maxhistoryfetch']) assert.ok(vars.includes(v), v);
  const destroyed = await iq(alice, room, 'set', `<query xmlns='${MUC}#owner'><destroy><reason>done</reason></destroy></query>`);
  assert.equal(destroyed.attrs.type, 'result');
  const out = await bob.next(presenceFrom(`${room}/Robert`, 'unavailable'));
  assert.equal(out.getChild('x', USER)!.getChild('destroy')!.getChildText('reason'), 'done');
  assert.equal(errorOf(await iq(bob, room, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`)), 'item-not-found');
  for (const c of [alice, bob, bob2]) c.close();
});

test('a groupchat message that cannot be logged is refused with resource-constraint and reaches nobody', async () => {
  const fresh = await startTestGateway({ 'xmpp.requireTls': false });
  try {
    await fresh.user('alice@example.com', PW);
    await fresh.user('bob@example.com', PW);
    const alice = await login(fresh.xmppPort!, 'alice@example.com', PW);
    const bob = await login(fresh.xmppPort!, 'bob@example.com', PW);
    const room = `logged@${CONF}`;
    await join(alice, room, 'Alice');
    await join(bob, room, 'Bob');
    const logs = path.join(fresh.dataDir, 'logs');
    rmSync(logs, { recursive: true, force: true });
    writeFileSync(logs, 'not a folder'); // the log cannot be opened now
    bob.send(`<message to='${room}' type='groupchat' id='nolog'><body>unlogged</body></message>`);
    const err = await bob.next((e) => e.attrs.id === 'nolog');
    assert.equal(err.attrs.type, 'error');
    assert.equal(errorOf(err), 'resource-constraint');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alice.received.some(groupchat('unlogged')), 'not delivered unlogged');
    rmSync(logs);
    bob.send(`<message to='${room}' type='groupchat' id='logged'><body>logged now</body></message>`);
    await alice.next(groupchat('logged now'));
    alice.close();
    bob.close();
  } finally {
    await fresh.destroy();
  }
});

test('a persistent room keeps its configuration, subject, affiliations and history (from its archive) across a restart', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-muc-'));
  const room = `archive@${CONF}`;
  try {
    let g = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir });
    for (const u of ['alice', 'bob', 'carol']) await g.user(`${u}@example.com`, PW);
    const alice = await login(g.xmppPort!, 'alice@example.com', PW);
    const created = await join(alice, room, 'Alice', {
      config:
        field('FORM_TYPE', `${MUC}#roomconfig`) +
        field('muc#roomconfig_persistentroom', '1') +
        field('muc#roomconfig_roomname', 'The Archive') +
        field('muc#roomconfig_roomdesc', 'kept forever') +
        field('muc#maxhistoryfetch', '2'),
    });
    assert.ok(codes(created).includes(201));
    alice.send(`<message to='${room}' type='groupchat'><subject>Records</subject></message>`);
    await alice.next(isSubject);
    for (const body of ['one', 'two', 'three']) {
      alice.send(`<message to='${room}' type='groupchat'><body>${body}</body></message>`);
      await alice.next(groupchat(body));
    }
    const ban = await iq(alice, room, 'set', `<query xmlns='${MUC}#admin'><item jid='carol@example.com' affiliation='outcast'/></query>`);
    assert.equal(ban.attrs.type, 'result');
    alice.send(`<presence to='${room}/Alice' type='unavailable'/>`);
    await alice.next(presenceFrom(`${room}/Alice`, 'unavailable'));
    alice.close();
    await g.destroy();

    g = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir });
    try {
      const bob = await login(g.xmppPort!, 'bob@example.com', PW);
      const listed = await iq(bob, CONF, 'get', `<query xmlns='http://jabber.org/protocol/disco#items'/>`);
      assert.deepEqual(
        listed
          .getChild('query')!
          .getChildren('item')
          .map((i) => `${i.attrs.jid} ${i.attrs.name}`),
        [`${room} The Archive`],
        'public persistent rooms are listed',
      );
      const info = (await iq(bob, room, 'get', `<query xmlns='http://jabber.org/protocol/disco#info'/>`)).getChild('query')!;
      assert.ok(info.getChildren('feature').some((f) => f.attrs.var === 'muc_persistent'));
      const self = await join(bob, room, 'Bob');
      assert.ok(!codes(self).includes(201), 'the room still exists');
      const subject = await bob.next(isSubject);
      assert.equal(subject.getChildText('subject'), 'Records');
      const history = bob.received.filter((e) => e.name === 'message' && e.getChild('body'));
      assert.deepEqual(
        history.map((e) => e.getChildText('body')),
        ['two', 'three'],
        'the last maxhistoryfetch messages',
      );
      assert.ok(history.every((e) => e.getChild('delay', 'urn:xmpp:delay')?.attrs.from === room));
      const carol = await login(g.xmppPort!, 'carol@example.com', PW);
      assert.equal(errorOf(await join(carol, room, 'Carol')), 'forbidden', 'the ban survived');
      const alice2 = await login(g.xmppPort!, 'alice@example.com', PW);
      const owner = await join(alice2, room, 'Alice');
      assert.equal(item(owner).affiliation, 'owner', 'so did the ownership');
      // Even empty, the room stays (persistent).
      for (const c of [bob, alice2]) {
        c.send(`<presence to='${room}/${c === bob ? 'Bob' : 'Alice'}' type='unavailable'/>`);
        await c.next((e) => e.name === 'presence' && e.attrs.type === 'unavailable' && codes(e).includes(110));
      }
      const still = await iq(carol, CONF, 'get', `<query xmlns='http://jabber.org/protocol/disco#items'/>`);
      assert.equal(still.getChild('query')!.getChildren('item').length, 1);
      for (const c of [bob, carol, alice2]) c.close();
    } finally {
      await g.destroy();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
