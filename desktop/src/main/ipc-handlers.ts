// What each contract channel does: a thin mapping onto the desktop core (and its chat part) plus
// the few things only the shell knows (the native file picker, start at login, the app's version).
// Used by the Electron main process and, unchanged, by the browser preview's bridge.
import type { ChatService } from '../core/chat/chat-service.ts';
import { AlertRulesError } from '../core/gateway/alert-rules-service.ts';
import type { HeraldCore } from '../core/herald-core.ts';
import type { OwnPresence } from '../shared/chat.ts';
import { mkdir } from 'node:fs/promises';
import { INVOKE, type AppInfo, type ChatOverview, type HistoryExportResult, type HistoryInfo, type PickedFile, type StartupView } from '../shared/ipc.ts';
import { IpcError, type Handlers } from './ipc-router.ts';
import type { SenderInfo } from './sender-check.ts';

export interface ShellServices {
  /** The native "open file" dialog for the sender's window; null when cancelled. */
  pickFile(sender: SenderInfo): Promise<PickedFile | null>;
  startup: { get(): Promise<StartupView>; set(openAtLogin: boolean): Promise<StartupView> };
  appInfo(): AppInfo;
  /** Opens a folder in the system's file manager (Electron: shell.openPath). */
  openPath(folder: string): Promise<void>;
  /**
   * Saves an export where the user chooses (Electron: the native save dialog, then the file is
   * written by main); the path, or null when cancelled. The renderer never names the path.
   */
  saveFile(sender: SenderInfo, suggestedName: string, content: string): Promise<string | null>;
}

export interface HandlerDeps {
  core: HeraldCore;
  shell: ShellServices;
  /** Sets the user's own presence (the shell keeps do-not-disturb and the tray in step); default: the chat's. */
  setPresence?: (p: OwnPresence) => Promise<void>;
}

/** Files the user picked in the native dialog: the only paths chat.sendFile will send. */
export function createPickedFiles() {
  const picked = new Set<string>();
  return {
    add: (file: string) => void picked.add(file),
    has: (file: string) => picked.has(file),
  };
}

export function createIpcHandlers(d: HandlerDeps): Handlers & { readonly picked: ReturnType<typeof createPickedFiles> } {
  const { core } = d;
  const picked = createPickedFiles();
  const chat = (): ChatService => {
    const c = core.chat();
    if (!c) throw new IpcError('chat_unavailable', 'chat is not available (not signed in, or instant messaging is off for this account)');
    return c;
  };
  // Chat failures (a refused room, an upload the server rejected) are shown to the user as they are.
  const guard = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof IpcError) throw e;
      throw new IpcError('chat_failed', e instanceof Error ? e.message : String(e));
    }
  };
  const chatCall = <T>(fn: (c: ChatService) => T | Promise<T>): Promise<T> => {
    const c = chat();
    return guard(() => fn(c));
  };

  // Alert-rule calls go to the gateway: its refusal ("at most 5 rules per user") reaches the page as it was said.
  const gatewayCall = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof AlertRulesError)) throw e;
      const code = ({ not_signed_in: 'not_signed_in', refused: 'gateway_refused', unreachable: 'gateway_unreachable', failed: 'gateway_failed' } as const)[e.kind];
      throw new IpcError(code, e.ruleIndex === undefined ? e.message : `rule ${e.ruleIndex + 1}: ${e.message}`);
    }
  };

  return {
    picked,
    [INVOKE.getState]: () => core.state(),
    [INVOKE.signIn]: (r) => core.signIn(r.gatewayUrl, r.user, r.password),
    [INVOKE.signOut]: () => core.signOut(),
    [INVOKE.openFolder]: (r) => core.openFolder(r.path),
    [INVOKE.openWebmail]: () => core.openWebmail(),
    [INVOKE.checkNow]: () => core.checkNow(),
    [INVOKE.getSettings]: () => core.settings(),
    [INVOKE.updateSettings]: (patch) => core.updateSettings(patch),
    [INVOKE.importSound]: (s) => core.importSound(s.event, s.name, Buffer.from(s.data, 'base64')),
    [INVOKE.listSkins]: () => core.skins(),
    [INVOKE.activeSkin]: () => core.activeSkin() ?? null,
    [INVOKE.chatContacts]: () => chatCall((c) => c.contacts()),
    [INVOKE.chatSetPresence]: (p) => (d.setPresence ? guard(() => d.setPresence!(p)) : chatCall((c) => c.setPresence(p))),
    [INVOKE.chatSend]: (m) => chatCall((c) => c.send(m)),
    [INVOKE.chatState]: (s) => chatCall((c) => c.setChatState(s.to, s.state)),
    [INVOKE.chatHistory]: (q) => chatCall((c) => c.history(q)),
    [INVOKE.chatCreateRoom]: (r) => chatCall((c) => c.createRoom(r.name, r.invite)),
    [INVOKE.chatJoinRoom]: (r) => chatCall((c) => c.joinRoom(r.room, r.nick)),
    [INVOKE.chatLeaveRoom]: (r) => chatCall((c) => c.leaveRoom(r.room)),
    [INVOKE.chatInvite]: (i) => chatCall((c) => c.invite(i.room, i.jid, i.reason)),
    [INVOKE.chatSendFile]: (f) => {
      // A renderer names a path, but only a file the user chose in the native dialog may leave the
      // machine: a compromised page cannot send ~/.ssh/id_ed25519 to anyone.
      if (!picked.has(f.file)) throw new IpcError('forbidden', 'only a file chosen in the file dialog can be sent');
      return chatCall((c) => c.sendFile(f.to, f.kind, f.file));
    },
    [INVOKE.chatPickFile]: async (_none, sender) => {
      const p = await d.shell.pickFile(sender);
      if (p) picked.add(p.file);
      return p;
    },
    [INVOKE.chatOverview]: () => chatCall((c): ChatOverview => ({ connection: c.connection(), rooms: c.rooms(), servers: c.serverConversations(), ownPresence: c.ownPresence() })),
    [INVOKE.chatAnswerSubscription]: (a) => chatCall((c) => c.answerSubscription(a.jid, a.approve)),
    [INVOKE.chatAddContact]: (a) => chatCall((c) => c.addContact(a.jid, a.name?.trim() || undefined)),
    [INVOKE.chatUpdateContact]: (u) => chatCall((c) => c.updateContact(u.jid, { ...(u.name !== undefined ? { name: u.name } : {}), ...(u.groups ? { groups: u.groups } : {}) })),
    [INVOKE.chatRemoveContact]: (r) => chatCall((c) => c.removeContact(r.jid)),
    [INVOKE.historyInfo]: () => chatCall(async (c): Promise<HistoryInfo> => ({ folder: c.historyFolder(), conversations: await c.historyConversations() })),
    [INVOKE.historyOpenFolder]: () => chatCall(async (c) => {
      const folder = c.historyFolder();
      // The folder exists from the first message on; before that, made now, so the file manager opens it.
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await d.shell.openPath(folder);
    }),
    [INVOKE.historyExport]: (e, sender) =>
      chatCall(async (c): Promise<HistoryExportResult> => {
        const out = await c.exportConversation(e.with, e.format);
        const file = await d.shell.saveFile(sender, out.name, out.content);
        return file ? { file } : null;
      }),
    [INVOKE.alertRulesList]: () => gatewayCall(() => core.alertRules.list()),
    [INVOKE.alertRulesSave]: (r) => gatewayCall(() => core.alertRules.save(r.rules)),
    [INVOKE.alertRulesPreview]: (p) => gatewayCall(() => core.alertRules.preview(p)),
    [INVOKE.chatGetPreferences]: () => chatCall((c) => c.preferences()),
    [INVOKE.chatSetPreferences]: (p) => chatCall((c) => c.setPreferences(p)),
    [INVOKE.getStartup]: () => d.shell.startup.get(),
    [INVOKE.setStartup]: (s) => d.shell.startup.set(s.openAtLogin),
    [INVOKE.appInfo]: () => d.shell.appInfo(),
  };
}
