// The desktop core's chat (desktop/src/core/chat/, issue 5 item 5) against real servers: the SAME
// tests run against our gateway (the desktop over WebSocket, signed in with a device token) and
// against Debian's Prosody, a server none of us wrote (the desktop over TCP + STARTTLS, its
// self-signed certificate trusted, SCRAM with a password). The other side of a conversation is a
// second desktop chat, or Debian's slixmpp for independent proof. The desktop connects through a
// TCP relay (desktop-chat-helpers.ts) that the reconnection tests (desktop-chat-session.test.ts)
// cut, stall and black-hole. Tests in a block run in order and share the sessions.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { ChatError } from '../../desktop/src/core/chat/chat-errors.ts';
import { sleep } from '../fixtures/peer-utils.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';
import { addr, chatSuite, suiteTitle, until, type ChatServer, type TestChat } from './desktop-chat-helpers.ts';

type Ev<K extends SlixEvent['event']> = Extract<SlixEvent, { event: K }>;
const code = (c: string) => (e: unknown) => e instanceof ChatError && e.code === c;
const ALICE = addr('alice');
const BOB = addr('bob');
const CAROL = addr('carol');

for (const kind of ['gateway', 'prosody'] as const) {
  describe(suiteTitle(kind), () => {
    const suite = chatSuite(kind);
    const { chat, slix, contact, befriend } = suite;
    let srv: ChatServer;
    let alice: TestChat;
    let bob: TestChat;
    before(() => ({ srv, alice, bob } = suite));

    test('roster with live presence and own status (subscribing first where the server has no directory)', async () => {
      assert.equal(alice.chat.connection().state, 'online');
      await befriend(alice, ALICE, bob, BOB);
      await until('bob shown online to alice', () => contact(alice, BOB)?.show === 'online');
      assert.match(contact(alice, BOB)!.name, /^bob$/i, 'the directory\'s name, or the address\'s local part');
      alice.fresh();
      for (const p of [
        { show: 'away', status: 'At lunch' },
        { show: 'dnd', status: 'Focus time' },
        { show: 'xa', status: 'On holiday' },
      ] as const) {
        await bob.chat.setPresence(p);
        const seen = await alice.next('presence', (e) => e.jid === BOB && e.show === p.show);
        assert.equal(seen.status, p.status);
      }
      await bob.chat.setPresence({ show: 'invisible' });
      await alice.next('presence', (e) => e.jid === BOB && e.show === 'offline');
      assert.equal(bob.chat.connection().state, 'online', 'invisible keeps the connection');
      await bob.chat.setPresence({ show: 'online' });
      await alice.next('presence', (e) => e.jid === BOB && e.show === 'online');
      assert.equal(contact(alice, BOB)!.status, undefined);
      // Offline by choice: disconnected, and connect() (what the core calls after each reconnection
      // to the gateway) does not override it; any other show connects again.
      await bob.chat.setPresence({ show: 'offline' });
      assert.equal(bob.chat.connection().state, 'offline');
      await alice.next('presence', (e) => e.jid === BOB && e.show === 'offline');
      await bob.chat.connect(srv.options('bob'));
      assert.equal(bob.chat.connection().state, 'offline');
      await bob.chat.setPresence({ show: 'online' });
      assert.equal(bob.chat.connection().state, 'online');
      await alice.next('presence', (e) => e.jid === BOB && e.show === 'online');
      // Bad input: a clear error, nothing sent, the session undisturbed.
      await assert.rejects(alice.chat.addContact('no-at-sign'), code('bad_request'));
      await assert.rejects(alice.chat.addContact(ALICE), code('bad_request'));
      await assert.rejects(bob.chat.setPresence({ show: 'busy' } as never), code('bad_request'));
      await assert.rejects(bob.chat.setPresence({ show: 'away', status: 'x'.repeat(501) }), code('bad_request'));
      assert.equal(contact(alice, BOB)!.show, 'online');
    });

    test('1:1 with slixmpp: colour out, receipts and typing both ways, hostile XHTML sanitised, emoticons', async () => {
      const carol = await slix('carol', 'phone');
      const sent = await alice.chat.send({ to: CAROL, kind: 'chat', body: 'Hello Carol :-)', color: '#0055AA' });
      assert.equal(sent.delivery, 'pending');
      assert.equal(sent.body, 'Hello Carol 🙂', 'shown with the emoji');
      const m = await carol.next<Ev<'message'>>({ event: 'message', id: sent.id });
      assert.equal(m.body, 'Hello Carol :-)', 'the text goes out as typed');
      assert.equal(m.type, 'chat');
      assert.match(m.html ?? '', /<span style="color: #0055aa">Hello Carol :-\)<\/span>/);
      assert.equal(m.receipt_request, true);
      assert.equal(m.chat_state, 'active');
      assert.equal(m.origin_id, sent.id);
      await alice.next('delivery', (e) => e.id === sent.id && e.delivery === 'received');

      alice.chat.setChatState(CAROL, 'composing');
      await carol.next({ event: 'chatstate', state: 'composing' });
      await carol.call('send', { to: ALICE, chat_state: 'composing' });
      await alice.next('chat-state', (e) => e.jid === CAROL && e.state === 'composing');

      const evil = await carol.call('send', {
        to: ALICE,
        body: 'look ;) <3',
        html: '<p onclick="steal()">look <script>alert(1)</script><img src="http://tracker.example/p.png"/><a href="javascript:alert(1)">here</a> <a href="https://example.org/">safe</a> <span style="color: red; background-image: url(http://x/)">red</span> ;)</p>',
        receipt_request: true,
      });
      const got = (await alice.next('message', (e) => e.message.id === evil.msg_id)).message;
      assert.equal(got.direction, 'in');
      assert.equal(got.from, CAROL);
      assert.equal(got.body, 'look 😉 ❤️');
      const html = got.html ?? '';
      for (const bad of ['script', 'alert', 'onclick', '<img', 'tracker', 'javascript', 'url(']) assert.ok(!html.includes(bad), `${bad} removed from ${html}`);
      assert.match(html, /<a href="https:\/\/example\.org\/">safe<\/a>/);
      assert.match(html, /<span style="color: red">red<\/span> 😉/);
      await carol.next({ event: 'receipt', id: evil.msg_id });

      await alice.chat.setPreferences({ emoticons: false });
      const plain = await alice.chat.history({ with: CAROL, max: 10 });
      assert.equal(plain.find((x) => x.id === evil.msg_id)?.body, 'look ;) <3', 'switched off: the text as written');
      await alice.chat.setPreferences({ emoticons: true });
      await assert.rejects(alice.chat.setPreferences({ emoticons: 'yes' } as never), code('bad_request'));

      // Carbons (XEP-0280): what alice writes on her phone shows on the desktop as hers.
      const alicePhone = await slix('alice', 'phone');
      const fromPhone = await alicePhone.call('send', { to: CAROL, body: 'typed on my phone' });
      const carbon = (await alice.next('message', (e) => e.message.id === fromPhone.msg_id)).message;
      assert.deepEqual([carbon.direction, carbon.with, carbon.from], ['out', CAROL, ALICE]);
      await alicePhone.call('disconnect');

      await assert.rejects(alice.chat.send({ to: CAROL, kind: 'chat', body: '' }), code('bad_request'));
      await assert.rejects(alice.chat.send({ to: CAROL, kind: 'chat', body: 'x', color: 'red' }), code('bad_request'));
      await assert.rejects(alice.chat.send({ to: 'carol', kind: 'chat', body: 'x' }), code('bad_request'));
      await assert.rejects(alice.chat.send({ to: ALICE, kind: 'chat', body: 'x' }), code('bad_request'));
      await carol.call('disconnect');
    });

    test('two desktops: delivery goes pending → sent → received, never backwards; the same id twice shows once', async () => {
      const sent = await alice.chat.send({ to: BOB, kind: 'chat', body: 'Lunch at noon?' });
      const got = await bob.next('message', (e) => e.message.id === sent.id);
      assert.equal(got.message.body, 'Lunch at noon?');
      assert.equal(got.message.with, ALICE);
      await until('acknowledged and received', () => alice.events.some((e) => e.type === 'delivery' && e.id === sent.id && e.delivery === 'received'));
      await sleep(400);
      const states = alice.events.flatMap((e) => (e.type === 'delivery' && e.id === sent.id ? [e.delivery] : []));
      assert.ok(states.at(-1) === 'received' && (states.length === 1 || (states.length === 2 && states[0] === 'sent')), `in order: ${states.join(' → ')}`);

      // A sender repeating a stanza (its resend after a failed resumption): shown once. The same id
      // with another text is another message (clients that number ids per session reuse them).
      const carol = await slix('carol', 'dup');
      for (const body of ['once only', 'once only', 'same id, new text']) await carol.call('send', { to: ALICE, body, msg_id: 'dup-1' });
      await alice.next('message', (e) => e.message.body === 'same id, new text');
      await sleep(300);
      assert.equal(alice.messages(CAROL).filter((x) => x.body === 'once only').length, 1);
      await carol.call('disconnect');
    });

    test('group chat: create an ad-hoc room, invite, join, talk (also with slixmpp), subject, members, leave', async () => {
      const room = await alice.chat.createRoom('Project Zeta', [BOB]);
      assert.match(room.jid, new RegExp(`^project-zeta-[0-9a-f]{6}@${srv.mucDomain.replace(/\./g, '\\.')}$`));
      assert.equal(room.name, 'Project Zeta');
      assert.deepEqual(
        room.members.map((m) => [m.nick, m.affiliation]),
        [['alice', 'owner']],
      );
      const inv = await bob.next('invite', (e) => e.room === room.jid);
      assert.equal(inv.from, ALICE);
      const joined = await bob.chat.joinRoom(inv.room);
      assert.deepEqual(joined.members.map((m) => m.nick).sort(), ['alice', 'bob']);
      assert.equal(joined.members.find((m) => m.nick === 'alice')?.jid, ALICE, 'real addresses visible (the room was configured so)');
      await alice.next('room', (e) => e.room.members.some((m) => m.nick === 'bob'));

      const carol = await slix('carol', 'rooms');
      await carol.call('muc_join', { room: room.jid, nick: 'Carol', history: 10 });
      const hello = await alice.chat.send({ to: room.jid, kind: 'groupchat', body: 'Kick-off at 10 :)' });
      assert.equal(hello.from, `${room.jid}/alice`);
      const atBob = await bob.next('message', (e) => e.message.with === room.jid && e.message.id === hello.id);
      assert.equal(atBob.message.from, `${room.jid}/alice`);
      assert.equal(atBob.message.kind, 'groupchat');
      assert.equal(atBob.message.body, 'Kick-off at 10 🙂');
      assert.equal((await carol.next<Ev<'message'>>({ event: 'message', body: 'Kick-off at 10 :)' })).from, `${room.jid}/alice`);
      await alice.next('delivery', (e) => e.id === hello.id && e.delivery === 'received'); // the room's echo
      await carol.call('muc_send', { room: room.jid, body: 'Carol here' });
      for (const c of [alice, bob]) {
        const m = await c.next('message', (e) => e.message.body === 'Carol here');
        assert.equal(m.message.from, `${room.jid}/Carol`);
        assert.equal(m.message.direction, 'in');
      }
      await sleep(200);
      assert.equal(alice.messages(room.jid).filter((x) => x.id === hello.id).length, 1, 'our own echo is not a second message');
      // A private message through the room (XEP-0045 §7.5): its own conversation, room/nick.
      const pm = await carol.call('send', { to: `${room.jid}/alice`, type: 'chat', body: 'just between us' });
      const private1 = (await alice.next('message', (e) => e.message.id === pm.msg_id)).message;
      assert.deepEqual([private1.with, private1.from, private1.kind], [`${room.jid}/Carol`, `${room.jid}/Carol`, 'chat']);

      await alice.chat.setRoomSubject(room.jid, 'Zeta: planning');
      await bob.next('room', (e) => e.room.jid === room.jid && e.room.subject === 'Zeta: planning');
      const roomHistory = await bob.chat.history({ with: room.jid, max: 10 });
      assert.deepEqual(
        roomHistory.map((x) => [x.from, x.body]),
        [
          [`${room.jid}/alice`, 'Kick-off at 10 🙂'],
          [`${room.jid}/Carol`, 'Carol here'],
        ],
      );

      await bob.chat.leaveRoom(room.jid);
      await bob.next('room-left', (e) => e.room === room.jid);
      await alice.next('room', (e) => e.room.jid === room.jid && !e.room.members.some((m) => m.nick === 'bob'));
      assert.deepEqual(bob.chat.rooms(), []);
      await assert.rejects(bob.chat.send({ to: room.jid, kind: 'groupchat', body: 'still here?' }), code('bad_request'));
      // A nick in use (409, XEP-0045 §7.2.9): joined with another one.
      const asCarol = await bob.chat.joinRoom(room.jid, 'Carol');
      assert.ok(asCarol.members.some((m) => m.nick === 'Carol_' && m.jid === BOB), JSON.stringify(asCarol.members));
      await bob.chat.leaveRoom(room.jid);
      await assert.rejects(bob.chat.invite(room.jid, CAROL), code('bad_request'));
      await assert.rejects(alice.chat.joinRoom('not-a-room'), code('bad_request'));
      await assert.rejects(alice.chat.invite(room.jid, 'nobody'), code('bad_request'));
      await carol.call('muc_leave', { room: room.jid });
      await alice.chat.leaveRoom(room.jid);
      await carol.call('disconnect');
    });

    test('history: one readable file per conversation per day, paging, search; a new device fills it from MAM', async () => {
      await alice.chat.send({ to: BOB, kind: 'chat', body: 'Agenda attached' });
      const thanks = await bob.chat.send({ to: ALICE, kind: 'chat', body: 'Thanks!' });
      await alice.next('message', (e) => e.message.id === thanks.id);
      const folder = path.join(alice.dir, 'history', ALICE, BOB);
      const files = readdirSync(folder);
      assert.deepEqual(files, [`${new Date().toISOString().slice(0, 10)}.txt`]);
      const lines = readFileSync(path.join(folder, files[0]!), 'utf8').trim().split('\n');
      assert.ok(
        lines.some((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z\talice@example\.com\tLunch at noon\?\tid=herald-[0-9a-f-]+ dir=out kind=chat/.test(l)),
        lines.join('\n'),
      );
      const all = await alice.chat.history({ with: BOB, max: 50 });
      assert.ok(all.some((x) => x.body === 'Lunch at noon?'));
      assert.deepEqual(all.map((x) => x.at), all.map((x) => x.at).sort(), 'oldest first');
      assert.deepEqual(
        all.slice(-3).map((x) => [x.body, x.direction]),
        [
          ['Lunch at noon?', 'out'],
          ['Agenda attached', 'out'],
          ['Thanks!', 'in'],
        ],
      );
      const older = await alice.chat.history({ with: BOB, max: 1, before: all.at(-1)!.id });
      assert.deepEqual(older, [all.at(-2)]);
      const found = await alice.chat.history({ with: CAROL, max: 50, text: 'HELLO carol' });
      assert.deepEqual(found.map((x) => x.body), ['Hello Carol 🙂']);
      await assert.rejects(alice.chat.history({ with: 'x', max: 5 }), code('bad_request'));

      // A second device of alice's: its folder is empty (its first connection fetched only the very
      // last message), the server's archive is not.
      const laptop = chat({ deps: { tuning: { firstPage: 1 } } });
      await laptop.chat.connect(srv.options('alice'));
      const laptopFolder = path.join(laptop.dir, 'history', ALICE);
      const stored = () => readdirSync(laptopFolder, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => readFileSync(path.join(f.parentPath, f.name), 'utf8')).join('');
      assert.ok(!existsSync(laptopFolder) || stored().trim().split('\n').length <= 1, 'at most one message after the first connection');
      const fromServer = await laptop.chat.history({ with: BOB, max: 20 });
      assert.deepEqual(
        fromServer.slice(-3).map((x) => [x.body, x.direction]),
        all.slice(-3).map((x) => [x.body, x.direction]),
      );
      assert.match(stored(), /\tAgenda attached\t/, 'kept in the folder');
      const announced = laptop.messages().map((x) => x.body);
      assert.ok(!announced.includes('Lunch at noon?') && !announced.includes('Agenda attached'), `old messages read from the archive are history, not news: ${announced.join(', ')}`);
      await laptop.chat.disconnect();
    });

    test('MAM catch-up: what another device got while the desktop was off arrives once, and never again', async () => {
      await bob.chat.disconnect();
      const phone = await slix('bob', 'phone');
      const s1 = await alice.chat.send({ to: BOB, kind: 'chat', body: 'while you were out 1' });
      const s2 = await alice.chat.send({ to: BOB, kind: 'chat', body: 'while you were out 2' });
      await phone.next({ event: 'message', id: s1.id });
      await phone.next({ event: 'message', id: s2.id });
      const mine = await phone.call('send', { to: ALICE, body: 'sent from my phone' });
      await alice.next('message', (e) => e.message.id === mine.msg_id);
      await phone.call('disconnect');

      const desk = chat({ dir: bob.dir });
      await desk.chat.connect(srv.options('bob'));
      const caught = desk.messages(ALICE);
      assert.deepEqual(
        caught.map((x) => [x.body, x.direction]),
        [
          ['while you were out 1', 'in'],
          ['while you were out 2', 'in'],
          ['sent from my phone', 'out'],
        ],
      );
      await desk.chat.disconnect();
      const again = chat({ dir: bob.dir });
      await again.chat.connect(srv.options('bob'));
      await sleep(300);
      assert.deepEqual(again.messages(), [], 'nothing twice after the next start');
      const file = readFileSync(path.join(bob.dir, 'history', BOB, ALICE, `${new Date().toISOString().slice(0, 10)}.txt`), 'utf8');
      for (const body of ['while you were out 1', 'while you were out 2', 'sent from my phone']) assert.equal(file.split(`\t${body}\t`).length - 1, 1, `${body} once in the file`);
      bob = again;
    });

    test('catch-up when the server no longer knows the last archive id: by its time instead', async () => {
      const phone = await slix('carol', 'phone2');
      const before = await alice.chat.send({ to: CAROL, kind: 'chat', body: 'before the stamp' });
      await phone.next({ event: 'message', id: before.id });
      await sleep(1100); // archive stamps may have whole seconds
      const stamp = new Date().toISOString();
      await sleep(1100);
      const afterStamp = await alice.chat.send({ to: CAROL, kind: 'chat', body: 'after the stamp' });
      await phone.next({ event: 'message', id: afterStamp.id });
      await phone.call('disconnect');
      const desk = chat();
      mkdirSync(path.join(desk.dir, 'data'), { recursive: true });
      writeFileSync(path.join(desk.dir, 'data', 'chat-state.json'), JSON.stringify({ account: CAROL, resource: 'herald-desk', archive: { lastId: 'purged-long-ago', lastStamp: stamp } }));
      await desk.chat.connect(srv.options('carol'));
      assert.deepEqual(
        desk.messages(ALICE).map((x) => x.body),
        ['after the stamp'],
      );
      await desk.chat.disconnect();
    });

    test('send a file (HTTP upload with progress) and receive file links', async () => {
      const dir = alice.dir;
      const file = path.join(dir, 'notes.txt');
      const content = 'Herald notes\n'.repeat(8000);
      writeFileSync(file, content);
      const sent = await alice.chat.sendFile(BOB, 'chat', file);
      const url = sent.attachments?.[0]?.url ?? '';
      assert.match(url, /^https?:\/\/.+\/notes\.txt$/);
      assert.equal(sent.attachments?.[0]?.name, 'notes.txt');
      const progress = alice.events.flatMap((e) => (e.type === 'upload-progress' && e.id === sent.id ? [e] : []));
      assert.ok(progress.length >= 2, 'some progress');
      assert.equal(progress[0]!.sent, 0);
      assert.equal(progress.at(-1)!.sent, Buffer.byteLength(content));
      assert.ok(progress.every((p, i) => p.total === Buffer.byteLength(content) && (i === 0 || p.sent >= progress[i - 1]!.sent)));
      const got = await bob.next('message', (e) => e.message.id === sent.id);
      assert.deepEqual(got.message.attachments, [{ url, name: 'notes.txt' }]);
      assert.equal(await (await fetch(url)).text(), content);

      const carol = await slix('carol', 'files');
      await carol.call('send_oob', { to: ALICE, url: 'https://files.example.org/q3/report%20final.pdf' });
      const link = await alice.next('message', (e) => e.message.from === CAROL && !!e.message.attachments);
      assert.deepEqual(link.message.attachments, [{ url: 'https://files.example.org/q3/report%20final.pdf', name: 'report final.pdf' }]);
      await carol.call('send_oob', { to: ALICE, url: 'javascript:alert(1)', body: 'click me' });
      const bad = await alice.next('message', (e) => e.message.body === 'click me');
      assert.equal(bad.message.attachments, undefined, 'only http(s) links become attachments');

      await assert.rejects(alice.chat.sendFile(BOB, 'chat', path.join(dir, 'missing.txt')), code('bad_request'));
      await assert.rejects(alice.chat.sendFile('lobby@' + srv.mucDomain, 'groupchat', file), code('bad_request'));
      const big = path.join(dir, 'big.bin');
      writeFileSync(big, '');
      truncateSync(big, kind === 'gateway' ? 200_001 : 16 * 1024 * 1024 + 1);
      await assert.rejects(alice.chat.sendFile(BOB, 'chat', big), (e) => code('upload_failed')(e) && (e as ChatError).condition === 'file-too-large');
      await carol.call('disconnect');
    });
  });
}
