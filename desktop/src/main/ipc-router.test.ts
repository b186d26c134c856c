// IPC validation, as main runs it: the real router and handlers over a real desktop core (signed
// out, fake ports), called with a table of good and bad payloads and senders. A refused sender's
// call never reaches the core (proved by a settings change that does not happen); a bad payload
// is refused naming the field; errors travel as {code, message}.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createXmppChat } from '../core/chat/xmpp-chat.ts';
import { createHeraldCore, type HeraldCore } from '../core/herald-core.ts';
import { createDirStorage } from '../core/storage/dir-storage.ts';
import { INVOKE, type ChatOverview, type IpcReply } from '../shared/ipc.ts';
import { MemorySecretStore, RecordingBrowser, RecordingNotifier, RecordingSoundPlayer, RecordingTray } from '../../test-support/fake-ports.ts';
import { APP_ORIGIN } from './app-origin.ts';
import { createIpcHandlers } from './ipc-handlers.ts';
import { createIpcRouter, type IpcRouter } from './ipc-router.ts';
import type { SenderInfo } from './sender-check.ts';

const STYLES = path.resolve(import.meta.dirname, '../../../styles');
let dir: string;
let core: HeraldCore;
let route: IpcRouter;
const shellCalls: string[] = [];
const logged: string[] = [];
const picks: (string | null)[] = [];
const OURS = 7;
const ok: SenderInfo = { id: OURS, url: `${APP_ORIGIN}/index.html#/settings`, mainFrame: true };

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'herald-ipc-'));
  core = createHeraldCore({
    storage: createDirStorage(path.join(dir, 'user')),
    secrets: new MemorySecretStore(),
    notifier: new RecordingNotifier(),
    sound: new RecordingSoundPlayer(),
    tray: new RecordingTray(),
    browser: new RecordingBrowser(),
    places: { userDataDir: path.join(dir, 'user') },
    styles: { bundledDir: STYLES },
  });
  await core.start();
  const handlers = createIpcHandlers({
    core,
    shell: {
      async pickFile() {
        const file = picks.shift() ?? null;
        return file ? { file, name: path.basename(file), bytes: 5 } : null;
      },
      startup: { get: async () => ({ openAtLogin: false, supported: true }), set: async (on) => ({ openAtLogin: on, supported: true }) },
      appInfo: () => ({ version: '0.1.0', platform: 'linux', secretStorage: 'keychain' }),
      openPath: async (folder) => void shellCalls.push(`open ${folder}`),
      saveFile: async (_sender, name) => (shellCalls.push(`save ${name}`), null),
    },
  });
  route = createIpcRouter({ handlers, sender: { origins: [APP_ORIGIN], isOurs: (id) => id === OURS }, log: (m) => logged.push(m) });
});
after(async () => {
  await core.stop();
  rmSync(dir, { recursive: true, force: true });
});

const code = (r: IpcReply) => (r.ok ? 'ok' : r.error.code);

test('good payloads from our window are answered by the core', async () => {
  const state = await route(INVOKE.getState, undefined, ok);
  assert.ok(state.ok && (state.value as { connection: { state: string } }).connection.state === 'signed-out');
  const skins = await route(INVOKE.listSkins, undefined, ok);
  assert.ok(skins.ok && (skins.value as { skins: { id: string }[] }).skins.some((s) => s.id === 'Classic'));
  const set = await route(INVOKE.updateSettings, { alerts: { quietHours: { enabled: true, from: '21:30' } } }, ok);
  assert.equal(code(set), 'ok');
  assert.deepEqual(core.settings().user.alerts.quietHours, { enabled: true, from: '21:30', to: '07:00' });
  assert.deepEqual(await route(INVOKE.appInfo, undefined, ok), { ok: true, value: { version: '0.1.0', platform: 'linux', secretStorage: 'keychain' } });
  assert.deepEqual(await route(INVOKE.setStartup, { openAtLogin: true }, ok), { ok: true, value: { openAtLogin: true, supported: true } });
  // Valid, but the core refuses: its reason comes through with its code.
  assert.deepEqual(await route(INVOKE.openFolder, { path: 'INBOX' }, ok), { ok: false, error: { code: 'not_signed_in', message: 'not signed in' } });
  assert.equal(code(await route(INVOKE.chatContacts, undefined, ok)), 'chat_unavailable');
  // Contacts and the history folder need the chat; without it nothing reaches the shell.
  assert.equal(code(await route(INVOKE.chatAddContact, { jid: 'dave@other.example' }, ok)), 'chat_unavailable');
  assert.equal(code(await route(INVOKE.historyOpenFolder, undefined, ok)), 'chat_unavailable');
  assert.equal(code(await route(INVOKE.historyExport, { with: 'bob@example.com', format: 'html' }, ok)), 'chat_unavailable');
  assert.deepEqual(shellCalls, []);
  assert.equal(code(await route(INVOKE.signOut, undefined, ok)), 'ok');
});

test('bad payloads are refused before anything runs, naming the channel and the field', async () => {
  const table: [string, unknown, RegExp][] = [
    [INVOKE.openFolder, {}, /open-folder: invalid payload at "path"/],
    [INVOKE.openFolder, 'INBOX', /open-folder: invalid payload/],
    [INVOKE.openFolder, { path: 'INBOX', extra: true }, /open-folder: invalid payload/],
    [INVOKE.getState, { sneaky: 1 }, /state:get: invalid payload/],
    [INVOKE.signIn, { gatewayUrl: 'http://gw', user: 'alice@example.com' }, /at "password"/],
    [INVOKE.signIn, { gatewayUrl: 'http://gw', user: 'alice@example.com', password: 'x'.repeat(2000) }, /at "password"/],
    [INVOKE.updateSettings, { version: 99 }, /settings:update: invalid payload/],
    [INVOKE.updateSettings, { skin: '' }, /at "skin"/],
    [INVOKE.updateSettings, { alerts: { quietHours: { from: '25:00' } } }, /at "alerts.quietHours.from"/],
    [INVOKE.updateSettings, { sounds: { events: { NewMail: { file: '' } } } }, /at "sounds.events.NewMail/],
    [INVOKE.chatSend, { to: 'bob', kind: 'chat', body: 'hi' }, /at "to"/],
    [INVOKE.chatSend, { to: 'bob@example.com', kind: 'chat', body: '' }, /at "body"/],
    [INVOKE.chatSend, { to: 'bob@example.com', kind: 'chat', body: 'hi', color: 'red;background:url(//x)' }, /at "color"/],
    [INVOKE.chatSetPresence, { show: 'partying' }, /at "show"/],
    [INVOKE.chatHistory, { with: 'bob@example.com', max: 100000 }, /at "max"/],
    [INVOKE.setStartup, { openAtLogin: 'yes' }, /at "openAtLogin"/],
    [INVOKE.chatPickFile, { path: '/etc/passwd' }, /pick-file: invalid payload/],
  ];
  const before = JSON.stringify(core.settings().user);
  for (const [channel, payload, want] of table) {
    const r = await route(channel, payload, ok);
    assert.ok(!r.ok && r.error.code === 'bad_request' && want.test(r.error.message), `${channel} ${JSON.stringify(payload).slice(0, 60)} → ${JSON.stringify(r)}`);
  }
  assert.equal(JSON.stringify(core.settings().user), before, 'no bad payload changed anything');
  const unknown = await route('herald:shell:exec', { cmd: 'rm -rf ~' }, ok);
  assert.deepEqual(unknown, { ok: false, error: { code: 'bad_request', message: 'unknown channel "herald:shell:exec"' } });
});

test('senders other than our windows’ main frames on our origin are refused, and their calls never reach the core', async () => {
  const senders: [SenderInfo, RegExp][] = [
    [{ ...ok, id: 99 }, /sender 99 is not one of Herald's windows/],
    [{ ...ok, mainFrame: false }, /subframes/],
    [{ ...ok, url: 'https://evil.example/index.html' }, /origin "https:\/\/evil.example" is not Herald's/],
    [{ ...ok, url: 'file:///home/alice/Downloads/evil.html' }, /is not Herald's/],
    [{ ...ok, url: 'app://herald.evil.example/index.html' }, /is not Herald's/],
    [{ ...ok, url: 'http://herald/index.html' }, /is not Herald's/],
    [{ ...ok, url: '' }, /is not Herald's/],
    [{ ...ok, url: 'devtools://devtools/bundled/inspector.html' }, /is not Herald's/],
  ];
  const before = JSON.stringify(core.settings().user);
  for (const [sender, want] of senders) {
    const r = await route(INVOKE.updateSettings, { skin: 'Classic' }, sender);
    assert.ok(!r.ok && r.error.code === 'forbidden' && want.test(r.error.message), `${JSON.stringify(sender)} → ${JSON.stringify(r)}`);
  }
  assert.equal(JSON.stringify(core.settings().user), before, 'no refused sender changed the settings');
  assert.equal(logged.filter((l) => /refused/.test(l)).length, senders.length, 'each refusal is logged');
  // The same call from our window goes through.
  assert.equal(code(await route(INVOKE.updateSettings, { skin: 'Classic' }, ok)), 'ok');
  assert.equal(core.settings().user.skin, 'Classic');
});

test('only a file the user picked in the native dialog may be sent', async () => {
  const file = path.join(dir, 'report.pdf');
  writeFileSync(file, 'hello');
  const send = { to: 'bob@example.com', kind: 'chat', file };
  assert.deepEqual(await route(INVOKE.chatSendFile, send, ok), { ok: false, error: { code: 'forbidden', message: 'only a file chosen in the file dialog can be sent' } });
  assert.deepEqual(await route(INVOKE.chatSendFile, { ...send, file: '/etc/passwd' }, ok), { ok: false, error: { code: 'forbidden', message: 'only a file chosen in the file dialog can be sent' } });
  picks.push(null);
  assert.deepEqual(await route(INVOKE.chatPickFile, undefined, ok), { ok: true, value: null }, 'cancelled');
  picks.push(file);
  assert.deepEqual(await route(INVOKE.chatPickFile, undefined, ok), { ok: true, value: { file, name: 'report.pdf', bytes: 5 } });
  // Now allowed past the check; the chat part is what answers (not available while signed out).
  assert.equal(code(await route(INVOKE.chatSendFile, send, ok)), 'chat_unavailable');
});

test('the chat overview carries the own presence, so a window opened later shows what was chosen elsewhere', async () => {
  // Last in this file: from here on the core has a chat part (not connected: signed out).
  const chat = createXmppChat({ storage: createDirStorage(path.join(dir, 'user')), historyDir: path.join(dir, 'History') });
  core.attachChat(chat);
  const overview = async () => {
    const r = await route(INVOKE.chatOverview, undefined, ok);
    assert.ok(r.ok, JSON.stringify(r));
    return r.value as ChatOverview;
  };
  assert.deepEqual((await overview()).ownPresence, { chosen: { show: 'online' }, shown: 'online' });
  assert.equal(code(await route(INVOKE.chatSetPresence, { show: 'xa', status: 'On leave' }, ok)), 'ok');
  assert.deepEqual(await overview(), { connection: { state: 'offline' }, rooms: [], servers: [], ownPresence: { chosen: { show: 'xa', status: 'On leave' }, shown: 'xa' } });
  await chat.disconnect();
});
