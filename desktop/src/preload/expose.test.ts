// The preload with a fake contextBridge and a recording ipcRenderer: exactly the DesktopApi is
// exposed (every contract method, nothing else: no ipcRenderer, no generic invoke), each method
// invokes its own contract channel with the payload, errors arrive as {code, message}, and
// listeners see the payload only, never Electron's event object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENTS, INVOKE, type DesktopApi, type IpcReply } from '../shared/ipc.ts';
import { exposeHerald, type PreloadElectron } from './expose.ts';

// Every key of DesktopApi (and of its chat part), checked by the compiler both ways: a missing or
// an extra key here is a type error, so this list is the contract's, not a copy to keep in sync.
const TOP = {
  getState: true, onState: true, signIn: true, signOut: true, openFolder: true, openWebmail: true, checkNow: true,
  getSettings: true, updateSettings: true, importSound: true, onSettings: true, listSkins: true, activeSkin: true, onSound: true,
  getStartup: true, setStartup: true, appInfo: true, history: true, chat: true, alertRules: true,
} as const satisfies Record<keyof DesktopApi, true>;
const CHAT = {
  contacts: true, setPresence: true, send: true, setChatState: true, history: true, createRoom: true, joinRoom: true,
  leaveRoom: true, invite: true, sendFile: true, pickFile: true, overview: true, answerSubscription: true, preferences: true,
  setPreferences: true, onEvent: true, addContact: true, updateContact: true, removeContact: true,
} as const satisfies Record<keyof DesktopApi['chat'], true>;
const HISTORY = { info: true, openFolder: true, export: true } as const satisfies Record<keyof DesktopApi['history'], true>;
const ALERT_RULES = { list: true, save: true, preview: true } as const satisfies Record<keyof DesktopApi['alertRules'], true>;

function fakeElectron(reply: (channel: string, payload: unknown) => IpcReply = () => ({ ok: true, value: 'v' })) {
  const exposed: { key: string; api: unknown }[] = [];
  const invoked: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();
  const electron: PreloadElectron = {
    contextBridge: { exposeInMainWorld: (key, api) => void exposed.push({ key, api }) },
    ipcRenderer: {
      async invoke(channel, ...args) {
        invoked.push({ channel, args });
        return reply(channel, args[0]);
      },
      on(channel, l) {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(l);
      },
      removeListener(channel, l) {
        listeners.get(channel)?.delete(l);
      },
    },
  };
  const emit = (channel: string, payload: unknown) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: 'the ipc event object', ports: [] }, payload);
  };
  return { electron, exposed, invoked, listeners, emit };
}

test('exactly the DesktopApi is exposed, once, as window.herald', () => {
  const f = fakeElectron();
  exposeHerald(f.electron);
  assert.equal(f.exposed.length, 1);
  assert.equal(f.exposed[0]!.key, 'herald');
  const api = f.exposed[0]!.api as Record<string, unknown>;
  assert.deepEqual(Object.keys(api).sort(), Object.keys(TOP).sort());
  const chat = api.chat as Record<string, unknown>;
  assert.deepEqual(Object.keys(chat).sort(), Object.keys(CHAT).sort());
  const history = api.history as Record<string, unknown>;
  assert.deepEqual(Object.keys(history).sort(), Object.keys(HISTORY).sort());
  const alertRules = api.alertRules as Record<string, unknown>;
  assert.deepEqual(Object.keys(alertRules).sort(), Object.keys(ALERT_RULES).sort());
  for (const [k, v] of [...Object.entries(api).filter(([k]) => k !== 'chat' && k !== 'history' && k !== 'alertRules'), ...Object.entries(chat), ...Object.entries(history), ...Object.entries(alertRules)]) assert.equal(typeof v, 'function', k);
  assert.ok(!('invoke' in api) && !('ipcRenderer' in api) && !('send' in api), 'no generic IPC escape hatch');
});

test('each method invokes its own contract channel with its payload; every invoke channel is reachable', async () => {
  const f = fakeElectron();
  exposeHerald(f.electron);
  const api = f.exposed[0]!.api as DesktopApi;
  const calls: [() => Promise<unknown>, string, unknown][] = [
    [() => api.getState(), INVOKE.getState, undefined],
    [() => api.signIn({ gatewayUrl: 'http://gw', user: 'a@b.c', password: 'pw' }), INVOKE.signIn, { gatewayUrl: 'http://gw', user: 'a@b.c', password: 'pw' }],
    [() => api.signOut(), INVOKE.signOut, undefined],
    [() => api.openFolder('Projects/Herald'), INVOKE.openFolder, { path: 'Projects/Herald' }],
    [() => api.openWebmail(), INVOKE.openWebmail, undefined],
    [() => api.checkNow(), INVOKE.checkNow, undefined],
    [() => api.getSettings(), INVOKE.getSettings, undefined],
    [() => api.updateSettings({ skin: 'Dark' }), INVOKE.updateSettings, { skin: 'Dark' }],
    [() => api.importSound({ event: 'MessageOut', name: 'ding.wav', data: 'UklGRg==' }), INVOKE.importSound, { event: 'MessageOut', name: 'ding.wav', data: 'UklGRg==' }],
    [() => api.listSkins(), INVOKE.listSkins, undefined],
    [() => api.activeSkin(), INVOKE.activeSkin, undefined],
    [() => api.getStartup(), INVOKE.getStartup, undefined],
    [() => api.setStartup({ openAtLogin: true }), INVOKE.setStartup, { openAtLogin: true }],
    [() => api.appInfo(), INVOKE.appInfo, undefined],
    [() => api.chat.contacts(), INVOKE.chatContacts, undefined],
    [() => api.chat.setPresence({ show: 'away', status: 'lunch' }), INVOKE.chatSetPresence, { show: 'away', status: 'lunch' }],
    [() => api.chat.send({ to: 'bob@example.com', kind: 'chat', body: 'hi' }), INVOKE.chatSend, { to: 'bob@example.com', kind: 'chat', body: 'hi' }],
    [() => api.chat.setChatState({ to: 'bob@example.com', state: 'composing' }), INVOKE.chatState, { to: 'bob@example.com', state: 'composing' }],
    [() => api.chat.history({ with: 'bob@example.com', text: 'x' }), INVOKE.chatHistory, { with: 'bob@example.com', text: 'x' }],
    [() => api.chat.createRoom({ name: 'Team' }), INVOKE.chatCreateRoom, { name: 'Team' }],
    [() => api.chat.joinRoom({ room: 'team@conference.example.com' }), INVOKE.chatJoinRoom, { room: 'team@conference.example.com' }],
    [() => api.chat.leaveRoom({ room: 'team@conference.example.com' }), INVOKE.chatLeaveRoom, { room: 'team@conference.example.com' }],
    [() => api.chat.invite({ room: 'team@conference.example.com', jid: 'bob@example.com' }), INVOKE.chatInvite, { room: 'team@conference.example.com', jid: 'bob@example.com' }],
    [() => api.chat.sendFile({ to: 'bob@example.com', kind: 'chat', file: '/tmp/a.pdf' }), INVOKE.chatSendFile, { to: 'bob@example.com', kind: 'chat', file: '/tmp/a.pdf' }],
    [() => api.chat.pickFile(), INVOKE.chatPickFile, undefined],
    [() => api.chat.overview(), INVOKE.chatOverview, undefined],
    [() => api.chat.answerSubscription({ jid: 'carol@example.org', approve: true }), INVOKE.chatAnswerSubscription, { jid: 'carol@example.org', approve: true }],
    [() => api.chat.preferences(), INVOKE.chatGetPreferences, undefined],
    [() => api.chat.setPreferences({ emoticons: false }), INVOKE.chatSetPreferences, { emoticons: false }],
    [() => api.chat.addContact({ jid: 'dave@other.example', name: 'Dave' }), INVOKE.chatAddContact, { jid: 'dave@other.example', name: 'Dave' }],
    [() => api.chat.updateContact({ jid: 'bob@example.com', groups: ['Team'] }), INVOKE.chatUpdateContact, { jid: 'bob@example.com', groups: ['Team'] }],
    [() => api.chat.removeContact({ jid: 'bob@example.com' }), INVOKE.chatRemoveContact, { jid: 'bob@example.com' }],
    [() => api.history.info(), INVOKE.historyInfo, undefined],
    [() => api.history.openFolder(), INVOKE.historyOpenFolder, undefined],
    [() => api.history.export({ with: 'bob@example.com', format: 'html' }), INVOKE.historyExport, { with: 'bob@example.com', format: 'html' }],
    [() => api.alertRules.list(), INVOKE.alertRulesList, undefined],
    [() => api.alertRules.save({ rules: [{ name: 'Boss', enabled: true, conditions: { sender: { match: 'equals' as const, value: 'boss@example.com' } }, action: {} }] }), INVOKE.alertRulesSave, { rules: [{ name: 'Boss', enabled: true, conditions: { sender: { match: 'equals' as const, value: 'boss@example.com' } }, action: {} }] }],
    [() => api.alertRules.preview({ rule: { name: 'Boss', enabled: true, conditions: { sender: { match: 'equals' as const, value: 'boss@example.com' } }, action: {} } }), INVOKE.alertRulesPreview, { rule: { name: 'Boss', enabled: true, conditions: { sender: { match: 'equals' as const, value: 'boss@example.com' } }, action: {} } }],
  ];
  for (const [fn, channel, payload] of calls) {
    f.invoked.length = 0;
    assert.equal(await fn(), 'v');
    assert.deepEqual(f.invoked, [{ channel, args: [payload] }], channel);
  }
  assert.deepEqual(new Set(calls.map((c) => c[1])), new Set(Object.values(INVOKE)), 'every invoke channel has a method');
});

test('a refused call rejects with {code, message}; a malformed reply or a transport failure is an internal error', async () => {
  const f = fakeElectron((channel) => (channel === INVOKE.openFolder ? { ok: false, error: { code: 'not_signed_in', message: 'not signed in' } } : ({ nope: 1 } as never)));
  exposeHerald(f.electron);
  const api = f.exposed[0]!.api as DesktopApi;
  await assert.rejects(api.openFolder('INBOX'), (e: unknown) => {
    assert.deepEqual(e, { code: 'not_signed_in', message: 'not signed in' });
    return true;
  });
  await assert.rejects(api.getState(), { code: 'internal', message: 'herald:state:get: malformed reply' });
  f.electron.ipcRenderer.invoke = async () => {
    throw new Error('No handler registered');
  };
  await assert.rejects(api.getState(), { code: 'internal', message: 'herald:state:get: No handler registered' });
});

test('listeners get the payload only (never the event object) and unsubscribe cleanly', () => {
  const f = fakeElectron();
  exposeHerald(f.electron);
  const api = f.exposed[0]!.api as DesktopApi;
  const got: unknown[][] = [];
  const off = api.onState((...args: unknown[]) => got.push(args));
  const offChat = api.chat.onEvent((...args: unknown[]) => got.push(args));
  f.emit(EVENTS.state, { connection: { state: 'connected' } });
  f.emit(EVENTS.chat, { type: 'presence', jid: 'bob@example.com', show: 'away' });
  assert.deepEqual(got, [[{ connection: { state: 'connected' } }], [{ type: 'presence', jid: 'bob@example.com', show: 'away' }]]);
  off();
  offChat();
  f.emit(EVENTS.state, { connection: { state: 'signed-out' } });
  assert.equal(got.length, 2);
  assert.equal(f.listeners.get(EVENTS.state)!.size, 0);
  assert.equal(f.listeners.get(EVENTS.chat)!.size, 0);
});
