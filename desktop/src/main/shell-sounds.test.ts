// Every chat sound event reaches the sound port (the adapter that sends it to the window that
// plays sounds), over a real desktop core with the bundled skins: message in, message sent (only
// this app's own send — not a carbon from another device or a room's reflection), file received,
// contact online and contact offline (after the presence flood at connect). Do-not-disturb and
// quiet hours hold every one back; the same event plays once they are over. (NewMail goes through
// the core's alert policy: core/mail/alert-policy.test.ts.) The chat part is a recorded event
// source here: what it emits is exactly the ChatEvent contract the real one emits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChatService } from '../core/chat/chat-service.ts';
import { createHeraldCore } from '../core/herald-core.ts';
import { createDirStorage } from '../core/storage/dir-storage.ts';
import { FakeClock } from '../../test-support/fake-clock.ts';
import { MemorySecretStore, RecordingBrowser } from '../../test-support/fake-ports.ts';
import type { ChatEvent, ChatMessage } from '../shared/chat.ts';
import { createAppFiles } from './app-files.ts';
import { APP_ORIGIN } from './app-origin.ts';
import { MAIN_STRINGS } from './main-strings.ts';
import { createShell } from './shell.ts';

const STYLES = path.resolve(import.meta.dirname, '../../../styles');

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-shell-sounds-'));
  const clock = new FakeClock(new Date(2026, 0, 15, 12, 0, 0).getTime());
  const played: { event: string; url: string }[] = [];
  const listeners = new Set<(e: ChatEvent) => void>();
  const chat = {
    onEvent: (l: (e: ChatEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
    contacts: () => [],
    ownPresence: () => ({ chosen: { show: 'online' as const }, shown: 'online' as const }),
    connection: () => ({ state: 'offline' as const }),
    disconnect: async () => {},
  } as unknown as ChatService;
  const appFiles = createAppFiles({ rendererDir: path.join(dir, 'renderer'), skins: () => core.skins() });
  const shell = createShell({
    adapters: { broadcast: () => {}, playSound: (p) => void played.push(p), drawTray: () => {}, notify: () => {}, openWindow: () => {}, focusedConversation: () => undefined, quit: () => {}, log: () => {} },
    strings: MAIN_STRINGS.en,
    clock,
    appFiles,
    origin: APP_ORIGIN,
    tuning: { soundGapMs: 0, presenceSettleMs: 1000 },
  });
  const core = createHeraldCore({
    storage: createDirStorage(path.join(dir, 'user')),
    secrets: new MemorySecretStore(),
    notifier: shell.ports.notifier,
    sound: shell.ports.sound,
    tray: shell.ports.tray,
    browser: new RecordingBrowser(),
    clock,
    places: { userDataDir: path.join(dir, 'user') },
    styles: { bundledDir: STYLES },
  });
  core.attachChat(chat);
  shell.attach(core);
  await core.start();
  t.after(async () => {
    await core.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const emit = (e: ChatEvent) => {
    for (const l of listeners) l(e);
  };
  let n = 0;
  const msg = (m: Partial<ChatMessage>): ChatEvent => ({ type: 'message', message: { id: `m${++n}`, with: 'bob@example.com', from: 'bob@example.com', direction: 'in', kind: 'chat', body: 'hi', at: new Date(clock.now()).toISOString(), ...m } });
  // Connected, and the presence flood at connect (Bob online) has settled.
  emit({ type: 'connection', state: 'online' });
  emit({ type: 'presence', jid: 'bob@example.com', show: 'online' });
  await clock.advance(1500);
  /** The events played since the last call. */
  let seen = 0;
  const newly = () => played.slice(seen, (seen = played.length)).map((p) => p.event);
  newly();
  return { core, clock, played, emit, msg, newly };
}

test('all five chat events play their sound through the sound port, as URLs of the skin’s files', async (t) => {
  const s = await setup(t);
  s.emit(s.msg({}));
  assert.deepEqual(s.newly(), ['MessageIn']);
  s.emit(s.msg({ direction: 'out', from: 'alice@example.com', delivery: 'pending' }));
  assert.deepEqual(s.newly(), ['MessageOut']);
  // Our message as another device sent it (a carbon) or as a room reflects it: not this app's send.
  s.emit(s.msg({ direction: 'out', from: 'alice@example.com' }));
  s.emit(s.msg({ direction: 'out', kind: 'groupchat', with: 'team@conference.example.com', from: 'team@conference.example.com/alice' }));
  assert.deepEqual(s.newly(), []);
  s.emit(s.msg({ body: 'https://example.com/upload/x.pdf', attachments: [{ url: 'https://example.com/upload/x.pdf', name: 'x.pdf' }] }));
  assert.deepEqual(s.newly(), ['FileReceived']);
  s.emit({ type: 'presence', jid: 'bob@example.com', show: 'offline' });
  assert.deepEqual(s.newly(), ['ContactOffline']);
  s.emit({ type: 'presence', jid: 'bob@example.com', show: 'away' });
  assert.deepEqual(s.newly(), ['ContactOnline']);
  // Away → online is no "came online": Bob was there already.
  s.emit({ type: 'presence', jid: 'bob@example.com', show: 'online' });
  assert.deepEqual(s.newly(), []);
  const urls = s.played.map((p) => p.url.slice(APP_ORIGIN.length));
  assert.deepEqual(urls, ['message-in', 'message-out', 'file-received', 'contact-offline', 'contact-online'].map((f) => `/skins/Default/sounds/${f}.wav`));
});

test('an IM the server sends (herald@, a script, an alert rule) plays the server-message sound; the user can silence it alone', async (t) => {
  const s = await setup(t);
  s.emit(s.msg({ with: 'herald@example.com', from: 'herald@example.com', server: true, body: 'Reminder: Budget review at 14:00' }));
  assert.deepEqual(s.newly(), ['ServerMessage']);
  assert.equal(s.played.at(-1)!.url.slice(APP_ORIGIN.length), '/skins/Default/sounds/server-message.wav');
  s.emit(s.msg({}));
  assert.deepEqual(s.newly(), ['MessageIn'], 'a person’s message keeps its own sound');
  await s.core.updateSettings({ sounds: { events: { ServerMessage: 'none' } } });
  s.emit(s.msg({ with: 'ci@example.com', from: 'ci@example.com', server: true, body: 'Build 42 failed' }));
  s.emit(s.msg({ body: 'still there?' }));
  assert.deepEqual(s.newly(), ['MessageIn']);
});

test('the presence flood right after connecting is silent; a contact leaving then is heard', async (t) => {
  const s = await setup(t);
  s.emit({ type: 'connection', state: 'offline' });
  s.emit({ type: 'connection', state: 'online' });
  s.emit({ type: 'presence', jid: 'carol@example.com', show: 'online' });
  s.emit({ type: 'presence', jid: 'carol@example.com', show: 'offline' });
  assert.deepEqual(s.newly(), []);
  await s.clock.advance(1500);
  s.emit({ type: 'presence', jid: 'carol@example.com', show: 'online' });
  s.emit({ type: 'presence', jid: 'carol@example.com', show: 'offline' });
  assert.deepEqual(s.newly(), ['ContactOnline', 'ContactOffline']);
});

const everyEvent = (s: Awaited<ReturnType<typeof setup>>) => {
  s.emit(s.msg({}));
  s.emit(s.msg({ direction: 'out', from: 'alice@example.com', delivery: 'pending' }));
  s.emit(s.msg({ attachments: [{ url: 'https://example.com/upload/y.png', name: 'y.png' }] }));
  s.emit({ type: 'presence', jid: 'bob@example.com', show: 'offline' });
  s.emit({ type: 'presence', jid: 'bob@example.com', show: 'online' });
};

test('quiet hours hold every chat sound back; when they end (the core’s timer), the same events play', async (t) => {
  const s = await setup(t);
  // Quiet from now (12:00 local) to 13:00.
  await s.core.updateSettings({ alerts: { quietHours: { enabled: true, from: '12:00', to: '13:00' } } });
  assert.equal(s.core.state().quiet, true);
  everyEvent(s);
  assert.deepEqual(s.newly(), []);
  await s.clock.advance(61 * 60 * 1000);
  assert.equal(s.core.state().quiet, false, 'quiet hours are over');
  everyEvent(s);
  assert.deepEqual(s.newly(), ['MessageIn', 'MessageOut', 'FileReceived', 'ContactOffline', 'ContactOnline']);
});

test('do-not-disturb holds every chat sound back; switched off, the same events play', async (t) => {
  const s = await setup(t);
  await s.core.setDoNotDisturb(true);
  everyEvent(s);
  assert.deepEqual(s.newly(), []);
  await s.core.setDoNotDisturb(false);
  everyEvent(s);
  assert.deepEqual(s.newly(), ['MessageIn', 'MessageOut', 'FileReceived', 'ContactOffline', 'ContactOnline']);
});

test('an event set to "none" is silent while the others play', async (t) => {
  const s = await setup(t);
  await s.core.updateSettings({ sounds: { events: { MessageOut: 'none', ContactOffline: 'none' } } });
  everyEvent(s);
  assert.deepEqual(s.newly(), ['MessageIn', 'FileReceived', 'ContactOnline']);
});
