// The shell over a real desktop core (signed out; fake adapters record what Electron would be told
// to do): the tray is drawn at start with the skin's images and a full menu; state and settings
// reach the windows; a mail pop-up's click that cannot open webmail opens the folders window; the
// core's sounds become URLs our origin serves; "Do not disturb" from the tray quiets mail; a skin
// switch redraws the tray with the new skin's images; the tray's status follows the chat's own
// presence however it was set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createXmppChat } from '../core/chat/xmpp-chat.ts';
import { createHeraldCore, type HeraldCore } from '../core/herald-core.ts';
import { systemClock } from '../core/ports/clock.ts';
import { createDirStorage } from '../core/storage/dir-storage.ts';
import { MemorySecretStore, RecordingBrowser } from '../../test-support/fake-ports.ts';
import { EVENTS } from '../shared/ipc.ts';
import type { TrayIcon } from '../shared/state.ts';
import { createAppFiles } from './app-files.ts';
import { APP_ORIGIN } from './app-origin.ts';
import { MAIN_STRINGS } from './main-strings.ts';
import { createShell, type ShellAdapters } from './shell.ts';
import type { TrayLook } from './tray-menu.ts';
import type { Route } from './window-routes.ts';

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; !ok(); i++) {
    assert.ok(i < 200, 'waited 2 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const STYLES = path.resolve(import.meta.dirname, '../../../styles');
let dir: string;
let core: HeraldCore;
const rec = {
  pushed: [] as { channel: string; payload: unknown }[],
  sounds: [] as { event: string; url: string }[],
  trays: [] as { look: TrayLook; images: Partial<Record<TrayIcon, string>> }[],
  notes: [] as { n: { id: string; title: string; body: string }; onClick: () => void }[],
  windows: [] as Route[],
  logs: [] as string[],
};
let shell: ReturnType<typeof createShell>;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'herald-shell-'));
  const adapters: ShellAdapters = {
    broadcast: (channel, payload) => void rec.pushed.push({ channel, payload }),
    playSound: (p) => void rec.sounds.push(p),
    drawTray: (look, images) => void rec.trays.push({ look, images }),
    notify: (n, onClick) => void rec.notes.push({ n, onClick }),
    openWindow: (r) => void rec.windows.push(r),
    focusedConversation: () => undefined,
    quit: () => {},
    log: (m) => void rec.logs.push(m),
  };
  const appFiles = createAppFiles({ rendererDir: path.join(dir, 'renderer'), skins: () => core.skins() });
  shell = createShell({ adapters, strings: MAIN_STRINGS.en, clock: systemClock, appFiles, origin: APP_ORIGIN });
  core = createHeraldCore({
    storage: createDirStorage(path.join(dir, 'user')),
    secrets: new MemorySecretStore(),
    notifier: shell.ports.notifier,
    sound: shell.ports.sound,
    tray: shell.ports.tray,
    browser: new RecordingBrowser(),
    places: { userDataDir: path.join(dir, 'user') },
    styles: { bundledDir: STYLES },
  });
  shell.attach(core);
  await core.start();
});
after(async () => {
  await core.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('at start: the tray is drawn (offline icon from the skin, a full menu) and the windows get state and settings', () => {
  const t = rec.trays.at(-1)!;
  assert.equal(t.look.icon, 'offline');
  assert.equal(t.images.offline, path.join(STYLES, 'Default', 'images', 'tray-offline.png'));
  assert.deepEqual(t.look.menu.filter((i) => i.type !== 'separator').map((i) => i.label).slice(-4), ['Help', 'About Herald', 'Sign in…', 'Quit Herald']);
  const state = rec.pushed.filter((p) => p.channel === EVENTS.state).at(-1)!.payload as { connection: { state: string } };
  assert.equal(state.connection.state, 'signed-out');
  assert.ok(rec.pushed.some((p) => p.channel === EVENTS.settings));
});

test('a mail pop-up is shown silently by the adapter; its click opens the folder, or the folders window when webmail cannot open', async () => {
  shell.ports.notifier.show({ id: 'mail-1', kind: 'mail', title: 'Bob <bob@example.com>', body: 'Numbers\nINBOX', folder: 'INBOX' });
  assert.deepEqual(rec.notes.at(-1)!.n, { id: 'mail-1', title: 'Bob <bob@example.com>', body: 'Numbers\nINBOX' });
  rec.notes.at(-1)!.onClick();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(rec.windows.at(-1), { view: 'folders' });
  assert.match(rec.logs.at(-1)!, /not signed in; showing the folders window/);
});

test('the core’s sound becomes a URL our origin serves, and that URL leads back to the skin’s file', () => {
  const file = path.join(STYLES, 'Default', 'sounds', 'new-mail.wav');
  shell.ports.sound.play({ event: 'NewMail', file });
  assert.deepEqual(rec.sounds.at(-1), { event: 'NewMail', url: `${APP_ORIGIN}/skins/Default/sounds/new-mail.wav` });
});

test('tray status "Do not disturb" switches mail do-not-disturb on, and back off with "Online"; a skin switch redraws the tray', async () => {
  await shell.run({ kind: 'presence', show: 'dnd' });
  assert.equal(core.settings().user.alerts.doNotDisturb, true);
  const status = rec.trays.at(-1)!.look.menu.find((i) => i.label === 'Status')!;
  assert.deepEqual(status.submenu!.filter((i) => i.checked).map((i) => i.label), ['Do not disturb']);
  await shell.run({ kind: 'presence', show: 'online' });
  assert.equal(core.settings().user.alerts.doNotDisturb, false);
  // Away needs the chat part (there is none while signed out): refused, logged, nothing changed.
  await shell.run({ kind: 'presence', show: 'away' });
  assert.match(rec.logs.at(-1)!, /chat is not available/);
  await core.updateSettings({ skin: 'Classic' });
  assert.equal(rec.trays.at(-1)!.images.offline, path.join(STYLES, 'Classic', 'images', 'tray-offline.png'));
  const settings = rec.pushed.filter((p) => p.channel === EVENTS.settings).at(-1)!.payload as { user: { skin: string } };
  assert.equal(settings.user.skin, 'Classic');
});

test('with chat: the tray’s status follows the chat’s own presence, also when set elsewhere; the tray keeps its status text', async () => {
  const trays: TrayLook[] = [];
  const adapters: ShellAdapters = {
    broadcast: () => {},
    playSound: () => {},
    drawTray: (look) => void trays.push(look),
    notify: () => {},
    openWindow: () => {},
    focusedConversation: () => undefined,
    quit: () => {},
    log: () => {},
  };
  const user = path.join(dir, 'with-chat');
  const appFiles = createAppFiles({ rendererDir: path.join(dir, 'renderer'), skins: () => withChat.skins() });
  const s = createShell({ adapters, strings: MAIN_STRINGS.en, clock: systemClock, appFiles, origin: APP_ORIGIN });
  const withChat = createHeraldCore({
    storage: createDirStorage(user),
    secrets: new MemorySecretStore(),
    notifier: s.ports.notifier,
    sound: s.ports.sound,
    tray: s.ports.tray,
    browser: new RecordingBrowser(),
    places: { userDataDir: user },
    styles: { bundledDir: STYLES },
  });
  const chat = createXmppChat({ storage: createDirStorage(user), historyDir: path.join(user, 'History') });
  withChat.attachChat(chat);
  s.attach(withChat);
  await withChat.start();
  const checked = () => trays.at(-1)!.menu.find((i) => i.label === 'Status')!.submenu!.filter((i) => i.checked).map((i) => i.label);
  assert.deepEqual(checked(), ['Online']);
  // Set by the chat part itself (as a window would through the contract): its event redraws the tray.
  const drawn = trays.length;
  await chat.setPresence({ show: 'invisible', status: 'Heads down' });
  assert.ok(trays.length > drawn, 'redrawn');
  assert.deepEqual(checked(), ['Invisible']);
  // From the tray: the chat gets the new show with the status text it has.
  await s.run({ kind: 'presence', show: 'away' });
  assert.deepEqual(chat.ownPresence(), { chosen: { show: 'away', status: 'Heads down' }, shown: 'away' });
  assert.deepEqual(checked(), ['Away']);
  await s.run({ kind: 'presence', show: 'dnd' });
  assert.equal(withChat.state().doNotDisturb, true, 'do not disturb quiets mail too');
  assert.deepEqual(checked(), ['Do not disturb']);
  await s.run({ kind: 'presence', show: 'online' });
  assert.equal(withChat.state().doNotDisturb, false);
  assert.deepEqual(checked(), ['Online']);
  assert.deepEqual(chat.ownPresence().chosen, { show: 'online', status: 'Heads down' });
  // The Settings checkbox switches mail do-not-disturb: the chat follows, the status text stays.
  await withChat.updateSettings({ alerts: { doNotDisturb: true } });
  await until(() => chat.ownPresence().chosen.show === 'dnd');
  assert.deepEqual(chat.ownPresence().chosen, { show: 'dnd', status: 'Heads down' });
  assert.deepEqual(checked(), ['Do not disturb']);
  await withChat.updateSettings({ alerts: { doNotDisturb: false } });
  await until(() => chat.ownPresence().chosen.show === 'online');
  assert.deepEqual(checked(), ['Online']);
  // A hidden user stays hidden when do-not-disturb is switched on.
  await chat.setPresence({ show: 'invisible' });
  await withChat.updateSettings({ alerts: { doNotDisturb: true } });
  await new Promise((r) => setImmediate(r));
  assert.equal(chat.ownPresence().chosen.show, 'invisible');
  await withChat.updateSettings({ alerts: { doNotDisturb: false } });
  await withChat.stop();
});
