// The desktop chat's sessions against real servers (the same tests for our gateway and Debian's
// Prosody, set up as in desktop-chat.test.ts): a network that dies and comes back (stream
// resumption), a server restarted meanwhile (resumption impossible: the outbox and the MAM
// catch-up), auto-away on a fake clock, the core connecting its chat, and refused sign-ins and
// untrusted certificates. The desktop reaches the server through a relay the tests control.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { ChatError } from '../../desktop/src/core/chat/chat-errors.ts';
import { createHeraldCore } from '../../desktop/src/core/herald-core.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import { FakeClock } from '../../desktop/test-support/fake-clock.ts';
import { MemorySecretStore, RecordingBrowser, RecordingNotifier, RecordingSoundPlayer, RecordingTray } from '../../desktop/test-support/fake-ports.ts';
import { sleep } from '../fixtures/peer-utils.ts';
import type { SlixEvent } from '../fixtures/slixmpp.ts';
import { addr, chatSuite, suiteTitle, until, type ChatServer, type TestChat } from './desktop-chat-helpers.ts';

const STYLES = path.resolve(import.meta.dirname, '../../styles');

type Ev<K extends SlixEvent['event']> = Extract<SlixEvent, { event: K }>;
const code = (c: string) => (e: unknown) => e instanceof ChatError && e.code === c;
const ALICE = addr('alice');
const BOB = addr('bob');
const CAROL = addr('carol');
const DAVE = addr('dave');

for (const kind of ['gateway', 'prosody'] as const) {
  describe(suiteTitle(kind), () => {
    const suite = chatSuite(kind);
    const { chat, slix, contact, befriend } = suite;
    let srv: ChatServer;
    let alice: TestChat;
    let bob: TestChat;
    before(() => ({ srv, alice, bob } = suite));

    test('network gone and back: the stream resumes, nothing lost, nothing twice', async () => {
      const carol = await slix('carol', 'peer');
      const rosterEvents = alice.events.filter((e) => e.type === 'roster').length;
      // The route dies: bytes vanish, then the connection drops and stays down for a moment.
      srv.relay.blackhole(true);
      const lost = await alice.chat.send({ to: CAROL, kind: 'chat', body: 'written into the void' });
      await sleep(150);
      srv.relay.down(true);
      srv.relay.cut();
      srv.relay.blackhole(false);
      await alice.next('connection', (e) => e.state === 'connecting');
      const offline = await alice.chat.send({ to: CAROL, kind: 'chat', body: 'written while offline' });
      assert.equal(offline.delivery, 'pending');
      const meanwhile = await carol.call('send', { to: ALICE, body: 'carol while alice is away' });
      await sleep(300);
      srv.relay.down(false);
      await alice.next('connection', (e) => e.state === 'online', 10_000);
      await carol.next({ event: 'message', id: lost.id });
      await carol.next({ event: 'message', id: offline.id });
      await alice.next('message', (e) => e.message.id === meanwhile.msg_id);
      await until('both acknowledged', () => [lost.id, offline.id].every((id) => alice.events.some((e) => e.type === 'delivery' && e.id === id && e.delivery !== 'failed')));
      await sleep(800);
      assert.equal(carol.events.filter((e) => e.event === 'message' && e.id === lost.id).length, 1);
      assert.equal(carol.events.filter((e) => e.event === 'message' && e.id === offline.id).length, 1);
      assert.equal(alice.messages(CAROL).filter((x) => x.id === meanwhile.msg_id).length, 1);
      assert.equal(alice.events.filter((e) => e.type === 'roster').length, rosterEvents, 'resumed: no new session (no roster fetched again)');
      await carol.call('disconnect');
    });

    test('server restarted while the desktop was cut off: unacknowledged messages go again once, missed ones arrive once', async () => {
      srv.relay.blackhole(true);
      const lost = await alice.chat.send({ to: CAROL, kind: 'chat', body: 'lost before the restart' });
      await sleep(150);
      srv.relay.down(true);
      srv.relay.cut();
      srv.relay.blackhole(false);
      await srv.restart();
      const carol = await slix('carol', 'after-restart');
      const missed = await carol.call('send', { to: ALICE, body: 'sent while alice was gone' });
      await carol.call('iq_ping', { to: 'example.com' });
      srv.relay.down(false);
      await carol.next({ event: 'message', id: lost.id }, 15_000);
      await alice.next('message', (e) => e.message.id === missed.msg_id, 15_000);
      await sleep(1000);
      assert.equal(carol.events.filter((e) => e.event === 'message' && e.id === lost.id).length, 1);
      const m = carol.events.find((e): e is Ev<'message'> => e.event === 'message' && e.id === lost.id)!;
      assert.ok(m.delay?.stamp, 'sent again with the time it was written (XEP-0203)');
      assert.equal(alice.messages(CAROL).filter((x) => x.id === missed.msg_id).length, 1);
      assert.equal(alice.chat.connection().state, 'online');
      await carol.call('disconnect');
    });

    test('auto-away after idle (fake clock, IdleSource port), never over a status the user chose', async () => {
      const clock = new FakeClock(Date.now());
      let idle = 0;
      const dave = chat({ deps: { clock, idle: { idleSeconds: () => idle }, tuning: { idleCheckMs: 15_000 } } });
      await dave.chat.connect(srv.options('dave'));
      await befriend(dave, DAVE, bob, BOB);
      await until('dave online for bob', () => contact(bob, DAVE)?.show === 'online');
      idle = 5 * 60;
      await clock.advance(15_000);
      await bob.next('presence', (e) => e.jid === DAVE && e.show === 'away');
      idle = 30 * 60;
      await clock.advance(15_000);
      await bob.next('presence', (e) => e.jid === DAVE && e.show === 'xa');
      idle = 2;
      await clock.advance(15_000);
      await bob.next('presence', (e) => e.jid === DAVE && e.show === 'online');
      await dave.chat.setPresence({ show: 'dnd', status: 'Presenting' });
      await bob.next('presence', (e) => e.jid === DAVE && e.show === 'dnd');
      idle = 3600;
      await clock.advance(30_000);
      await sleep(300);
      assert.equal(contact(bob, DAVE)?.show, 'dnd', 'the user\'s own choice stays');
      await dave.chat.setPresence({ show: 'online' });
      await dave.chat.setPreferences({ autoAway: { enabled: false } });
      await clock.advance(30_000);
      await sleep(300);
      assert.equal(contact(bob, DAVE)?.show, 'online', 'switched off');
      await assert.rejects(dave.chat.setPreferences({ autoAway: { awayMinutes: 10, xaMinutes: 5 } }), code('bad_request'));
      await dave.chat.disconnect();
    });

    test('the core connects its chat with the device token once signed in, and disconnects it at sign-out', { skip: kind === 'gateway' ? false : 'the core signs in to a Herald gateway only' }, async () => {
      const desk = chat();
      const userData = path.join(desk.dir, 'core');
      const core = createHeraldCore({
        storage: createDirStorage(userData),
        secrets: new MemorySecretStore(),
        notifier: new RecordingNotifier(),
        sound: new RecordingSoundPlayer(),
        tray: new RecordingTray(),
        browser: new RecordingBrowser(),
        places: { userDataDir: userData },
        styles: { bundledDir: STYLES },
        tuning: { backoff: { minMs: 100, maxMs: 800 } },
      });
      try {
        await core.start();
        core.attachChat(desk.chat);
        const gwUrl = (srv as ChatServer & { gw(): { url: string } }).gw().url;
        assert.equal((await core.signIn(gwUrl, CAROL, 'carol-secret-pw')).ok, true);
        await desk.next('connection', (e) => e.state === 'online');
        assert.equal(core.chat(), desk.chat);
        const hi = await desk.chat.send({ to: ALICE, kind: 'chat', body: 'from the core' });
        assert.equal((await alice.next('message', (e) => e.message.id === hi.id)).message.from, CAROL);
        await core.signOut();
        assert.equal(desk.chat.connection().state, 'offline');
      } finally {
        await core.stop();
      }
    });

    test('sign-in refused, or a certificate nobody trusts: a clear error, no endless retries', async () => {
      const wrong = chat();
      const o = srv.options('carol');
      await assert.rejects(wrong.chat.connect(kind === 'gateway' ? { ...o, deviceToken: 'not-a-valid-token-at-all' } : { ...o, password: 'wrong' }), code('auth_failed'));
      await sleep(500);
      assert.equal(wrong.chat.connection().state, 'offline');
      assert.equal(wrong.events.filter((e) => e.type === 'connection' && e.state === 'connecting').length, 1, 'tried once');

      // ws:// to another machine: refused before anything is sent (the device token would travel in clear).
      const plainRemote = chat();
      await assert.rejects(
        plainRemote.chat.connect({ ...o, websocketUrl: 'ws://gw.example.com/xmpp-websocket', transport: 'websocket' }),
        (e) => code('bad_request')(e) && /refusing ws:\/\/gw\.example\.com: .*use wss:\/\/gw\.example\.com/.test((e as Error).message),
      );
      assert.equal(plainRemote.events.filter((e) => e.type === 'connection').length, 0, 'nothing tried');

      const untrusting = chat();
      const tcp = { ...srv.options('carol', { direct: true }), transport: 'tcp' as const, trustedCertificates: [] };
      await assert.rejects(untrusting.chat.connect(tcp), (e) => code('not_connected')(e) && /certificate/i.test((e as Error).message));
      await untrusting.chat.disconnect();
      if (kind === 'gateway') {
        // The gateway's own TCP port, STARTTLS with its certificate trusted, the device token over TLS.
        const overTcp = chat();
        await overTcp.chat.connect({ ...srv.options('carol', { direct: true }), transport: 'tcp' });
        assert.equal(overTcp.chat.connection().state, 'online');
        await overTcp.chat.disconnect();
      }
    });
  });
}
