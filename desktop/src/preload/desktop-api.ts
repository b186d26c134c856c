// Builds the DesktopApi (`window.herald`) over an IPC transport: Electron's ipcRenderer in the
// preload, a WebSocket in the browser preview (desktop/preview). Every method is one invoke on a
// contract channel; main answers with an IpcReply, and errors reject as plain `{code, message}`
// (contextBridge would strip an Error's own fields). Listeners get the payload only, never
// Electron's event object (it carries `sender`, a way back into the IPC machinery).
import { EVENTS, INVOKE, type DesktopApi, type EventChannel, type InvokeChannel, type IpcReply } from '../shared/ipc.ts';

export interface IpcTransport {
  invoke(channel: InvokeChannel, payload: unknown): Promise<unknown>;
  /** Subscribes to a push channel; returns the unsubscribe function. */
  on(channel: EventChannel, listener: (payload: unknown) => void): () => void;
}

export interface IpcRejection {
  code: string;
  message: string;
}

function isReply(x: unknown): x is IpcReply {
  return typeof x === 'object' && x !== null && typeof (x as { ok?: unknown }).ok === 'boolean';
}

export function createDesktopApi(t: IpcTransport): DesktopApi {
  async function call<T>(channel: InvokeChannel, payload?: unknown): Promise<T> {
    let reply: unknown;
    try {
      reply = await t.invoke(channel, payload);
    } catch (e) {
      throw { code: 'internal', message: `${channel}: ${(e as Error)?.message ?? String(e)}` } satisfies IpcRejection;
    }
    if (!isReply(reply)) throw { code: 'internal', message: `${channel}: malformed reply` } satisfies IpcRejection;
    if (reply.ok) return reply.value as T;
    throw { code: reply.error.code, message: reply.error.message } satisfies IpcRejection;
  }
  const on =
    <T>(channel: EventChannel) =>
    (listener: (payload: T) => void): (() => void) =>
      t.on(channel, (p) => listener(p as T));

  return {
    getState: () => call(INVOKE.getState),
    onState: on(EVENTS.state),
    signIn: (req) => call(INVOKE.signIn, req),
    signOut: () => call(INVOKE.signOut),
    openFolder: (path) => call(INVOKE.openFolder, { path }),
    openWebmail: () => call(INVOKE.openWebmail),
    checkNow: () => call(INVOKE.checkNow),
    getSettings: () => call(INVOKE.getSettings),
    updateSettings: (patch) => call(INVOKE.updateSettings, patch),
    importSound: (s) => call(INVOKE.importSound, s),
    onSettings: on(EVENTS.settings),
    listSkins: () => call(INVOKE.listSkins),
    activeSkin: () => call(INVOKE.activeSkin),
    onSound: on(EVENTS.sound),
    getStartup: () => call(INVOKE.getStartup),
    setStartup: (s) => call(INVOKE.setStartup, s),
    appInfo: () => call(INVOKE.appInfo),
    alertRules: {
      list: () => call(INVOKE.alertRulesList),
      save: (r) => call(INVOKE.alertRulesSave, r),
      preview: (p) => call(INVOKE.alertRulesPreview, p),
    },
    history: {
      info: () => call(INVOKE.historyInfo),
      openFolder: () => call(INVOKE.historyOpenFolder),
      export: (e) => call(INVOKE.historyExport, e),
    },
    chat: {
      contacts: () => call(INVOKE.chatContacts),
      setPresence: (p) => call(INVOKE.chatSetPresence, p),
      send: (m) => call(INVOKE.chatSend, m),
      setChatState: (s) => call(INVOKE.chatState, s),
      history: (q) => call(INVOKE.chatHistory, q),
      createRoom: (r) => call(INVOKE.chatCreateRoom, r),
      joinRoom: (r) => call(INVOKE.chatJoinRoom, r),
      leaveRoom: (r) => call(INVOKE.chatLeaveRoom, r),
      invite: (i) => call(INVOKE.chatInvite, i),
      sendFile: (f) => call(INVOKE.chatSendFile, f),
      pickFile: () => call(INVOKE.chatPickFile),
      overview: () => call(INVOKE.chatOverview),
      answerSubscription: (a) => call(INVOKE.chatAnswerSubscription, a),
      addContact: (a) => call(INVOKE.chatAddContact, a),
      updateContact: (u) => call(INVOKE.chatUpdateContact, u),
      removeContact: (r) => call(INVOKE.chatRemoveContact, r),
      preferences: () => call(INVOKE.chatGetPreferences),
      setPreferences: (p) => call(INVOKE.chatSetPreferences, p),
      onEvent: on(EVENTS.chat),
    },
  };
}
