// The IPC contract between the Electron main process, the preload bridge and the renderer:
// channel names, the zod schema of every request payload (main validates each one, and checks
// the sender, before acting), and the DesktopApi type that preload exposes as `window.herald`
// and the renderer calls. Pure: no Node, no DOM, no Electron.
import { z } from 'zod';
import {
  ChatPreferencesPatchSchema,
  ChatStateSchema,
  CreateRoomSchema,
  HistoryQuerySchema,
  InviteSchema,
  JidSchema,
  JoinRoomSchema,
  OwnPresenceSchema,
  SendFileSchema,
  SendMessageSchema,
  type ChatEvent,
  type ChatMessage,
  type ChatWait,
  type ChatPreferences,
  type ChatPreferencesPatch,
  type Contact,
  type OwnPresenceState,
  type Room,
} from './chat.ts';
import { AlertPreviewSchema, AlertRulesSaveSchema, type AlertPreview, type AlertRulesView } from './alert-rules.ts';
import { SoundEventSchema, UserSettingsPatchSchema, type EffectiveSettings, type SoundEvent, type UserSettings, type UserSettingsPatch } from './settings.ts';
import type { Skin, SkinCatalog } from './skins.ts';
import type { CoreState } from './state.ts';

/** Renderer → main, request/response (ipcRenderer.invoke / ipcMain.handle). */
export const INVOKE = {
  getState: 'herald:state:get',
  signIn: 'herald:auth:sign-in',
  signOut: 'herald:auth:sign-out',
  openFolder: 'herald:mail:open-folder',
  openWebmail: 'herald:mail:open-webmail',
  checkNow: 'herald:mail:check-now',
  getSettings: 'herald:settings:get',
  updateSettings: 'herald:settings:update',
  // A sound file the user picked for an event (issue 14): the bytes, checked and kept by the core.
  importSound: 'herald:settings:import-sound',
  listSkins: 'herald:skins:list',
  activeSkin: 'herald:skins:active',
  // Chat (filled in by the chat part; until then main answers `chat_unavailable`).
  chatContacts: 'herald:chat:contacts',
  chatSetPresence: 'herald:chat:set-presence',
  chatSend: 'herald:chat:send',
  chatState: 'herald:chat:chat-state',
  chatHistory: 'herald:chat:history',
  chatCreateRoom: 'herald:chat:create-room',
  chatJoinRoom: 'herald:chat:join-room',
  chatLeaveRoom: 'herald:chat:leave-room',
  chatInvite: 'herald:chat:invite',
  chatSendFile: 'herald:chat:send-file',
  // The desktop shell (issue 6): the native file picker for sending files, start at login, about.
  chatPickFile: 'herald:chat:pick-file',
  chatOverview: 'herald:chat:overview',
  chatAnswerSubscription: 'herald:chat:answer-subscription',
  // Contacts the user manages (issue 14): add, rename / regroup, remove (a directory colleague is hidden).
  chatAddContact: 'herald:chat:add-contact',
  chatUpdateContact: 'herald:chat:update-contact',
  chatRemoveContact: 'herald:chat:remove-contact',
  // The history folder (issue 14): where it is, open it in the file manager, export a conversation.
  historyInfo: 'herald:history:info',
  historyOpenFolder: 'herald:history:open-folder',
  historyExport: 'herald:history:export',
  // The user's own mail-to-IM alert rules on the gateway (issue 14, "My alert rules").
  alertRulesList: 'herald:alerts:rules-list',
  alertRulesSave: 'herald:alerts:rules-save',
  alertRulesPreview: 'herald:alerts:rules-preview',
  chatGetPreferences: 'herald:chat:get-preferences',
  chatSetPreferences: 'herald:chat:set-preferences',
  getStartup: 'herald:app:get-startup',
  setStartup: 'herald:app:set-startup',
  appInfo: 'herald:app:info',
} as const;

/** Main → renderer pushes (webContents.send / ipcRenderer.on). */
export const EVENTS = {
  state: 'herald:state:changed',
  settings: 'herald:settings:changed',
  /** Play a sound (the renderer owns audio output). */
  sound: 'herald:sound:play',
  chat: 'herald:chat:event',
} as const;

export type InvokeChannel = (typeof INVOKE)[keyof typeof INVOKE];
export type EventChannel = (typeof EVENTS)[keyof typeof EVENTS];

const none = z.undefined();
export const SignInRequestSchema = z.strictObject({
  gatewayUrl: z.string().min(1).max(2000),
  user: z.string().min(3).max(320),
  password: z.string().min(1).max(1024),
});
export type SignInRequest = z.infer<typeof SignInRequestSchema>;
export const OpenFolderSchema = z.strictObject({ path: z.string().min(1).max(1000) });
export const LeaveRoomSchema = z.strictObject({ room: JoinRoomSchema.shape.room });
export const StartupSchema = z.strictObject({ openAtLogin: z.boolean() });
export const AnswerSubscriptionSchema = z.strictObject({ jid: JidSchema, approve: z.boolean() });
// The gateway's limits (RFC 6121 §2.3.3 checks in its roster module): names and groups up to 256
// characters, at most 32 groups; an empty name means "the directory's name".
const ContactNameSchema = z.string().max(256);
const GroupNameSchema = z.string().trim().min(1).max(256);
export const AddContactSchema = z.strictObject({ jid: JidSchema, name: ContactNameSchema.optional() });
export const UpdateContactSchema = z.strictObject({ jid: JidSchema, name: ContactNameSchema.optional(), groups: z.array(GroupNameSchema).max(32).optional() });
export const RemoveContactSchema = z.strictObject({ jid: JidSchema });
export const HistoryExportSchema = z.strictObject({ with: JidSchema, format: z.enum(['text', 'html']) });
/** 512 KiB of sound as base64 (core/sounds/user-sounds.ts USER_SOUND_MAX_BYTES; the core says the limit in words). */
export const ImportSoundSchema = z.strictObject({ event: SoundEventSchema, name: z.string().min(1).max(255), data: z.base64().max(Math.ceil((512 * 1024 + 1) / 3) * 4 + 4) });

/** The schema of each invoke channel's single argument. */
export const REQUEST_SCHEMAS = {
  [INVOKE.getState]: none,
  [INVOKE.signIn]: SignInRequestSchema,
  [INVOKE.signOut]: none,
  [INVOKE.openFolder]: OpenFolderSchema,
  [INVOKE.openWebmail]: none,
  [INVOKE.checkNow]: none,
  [INVOKE.getSettings]: none,
  [INVOKE.updateSettings]: UserSettingsPatchSchema,
  [INVOKE.importSound]: ImportSoundSchema,
  [INVOKE.listSkins]: none,
  [INVOKE.activeSkin]: none,
  [INVOKE.chatContacts]: none,
  [INVOKE.chatSetPresence]: OwnPresenceSchema,
  [INVOKE.chatSend]: SendMessageSchema,
  [INVOKE.chatState]: ChatStateSchema,
  [INVOKE.chatHistory]: HistoryQuerySchema,
  [INVOKE.chatCreateRoom]: CreateRoomSchema,
  [INVOKE.chatJoinRoom]: JoinRoomSchema,
  [INVOKE.chatLeaveRoom]: LeaveRoomSchema,
  [INVOKE.chatInvite]: InviteSchema,
  [INVOKE.chatSendFile]: SendFileSchema,
  [INVOKE.chatPickFile]: none,
  [INVOKE.chatOverview]: none,
  [INVOKE.chatAnswerSubscription]: AnswerSubscriptionSchema,
  [INVOKE.chatAddContact]: AddContactSchema,
  [INVOKE.chatUpdateContact]: UpdateContactSchema,
  [INVOKE.chatRemoveContact]: RemoveContactSchema,
  [INVOKE.historyInfo]: none,
  [INVOKE.historyOpenFolder]: none,
  [INVOKE.historyExport]: HistoryExportSchema,
  [INVOKE.alertRulesList]: none,
  [INVOKE.alertRulesSave]: AlertRulesSaveSchema,
  [INVOKE.alertRulesPreview]: AlertPreviewSchema,
  [INVOKE.chatGetPreferences]: none,
  [INVOKE.chatSetPreferences]: ChatPreferencesPatchSchema,
  [INVOKE.getStartup]: none,
  [INVOKE.setStartup]: StartupSchema,
  [INVOKE.appInfo]: none,
} as const satisfies Record<InvokeChannel, z.ZodType>;

/** Validates an invoke payload; throws an IpcPayloadError naming the channel and the field. */
export function parseRequest<C extends InvokeChannel>(channel: C, payload: unknown): z.infer<(typeof REQUEST_SCHEMAS)[C]> {
  const schema: z.ZodType | undefined = (REQUEST_SCHEMAS as Record<string, z.ZodType>)[channel];
  if (!schema) throw new IpcPayloadError(`unknown channel ${JSON.stringify(channel)}`);
  const r = schema.safeParse(payload);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new IpcPayloadError(`${channel}: invalid payload${i?.path.length ? ` at "${i.path.join('.')}"` : ''}: ${i?.message ?? 'invalid'}`);
  }
  return r.data as z.infer<(typeof REQUEST_SCHEMAS)[C]>;
}

export class IpcPayloadError extends Error {
  override name = 'IpcPayloadError';
}

/** Error codes an invoke may reject with (as `{code, message}`). */
export type IpcErrorCode = 'bad_request' | 'sign_in_failed' | 'not_signed_in' | 'webmail_unavailable' | 'settings_invalid' | 'chat_unavailable' | 'chat_failed' | 'forbidden' | 'internal'
  // The gateway said no (its message says why; `rule` when it named one), could not be reached, or failed.
  | 'gateway_refused'
  | 'gateway_unreachable'
  | 'gateway_failed';

/** Start at login: `supported` is false where the shell cannot set it. */
export interface StartupView {
  openAtLogin: boolean;
  supported: boolean;
}

/** A file the user chose in the native picker (the path goes back in chat.sendFile). */
export interface PickedFile {
  file: string;
  name: string;
  bytes: number;
}

/** The chat as a window opening late needs it (later changes come as chat events). */
export interface ChatOverview {
  connection: { state: 'offline' | 'connecting' | 'online'; detail?: string; wait?: ChatWait };
  rooms: Room[];
  /** Conversations with the server itself (scripts, alerts, reminders): History lists them. */
  servers: string[];
  /** The user's own presence (later: `own-presence` events). */
  ownPresence: OwnPresenceState;
}

/** For the About window: the version and where the device token is kept. */
export interface AppInfo {
  version: string;
  platform: string;
  /** `keychain`: OS-encrypted; `weak`: Linux without a keyring (safeStorage's basic_text); `memory`: not persisted. */
  secretStorage: 'keychain' | 'weak' | 'memory';
}

/** The history folder as Settings shows it. */
export interface HistoryInfo {
  /** The account's history folder (one sub-folder per conversation, one text file per day). */
  folder: string;
  /** Addresses with history, for "Export conversation…". */
  conversations: string[];
}

/** Where an export was saved; null when the user cancelled the save dialog. */
export type HistoryExportResult = { file: string } | null;

/** How main answers every invoke: errors travel as values (Electron keeps only an Error's message). */
export type IpcReply = { ok: true; value: unknown } | { ok: false; error: { code: IpcErrorCode; message: string } };

export type SignInResult = { ok: true; state: CoreState } | { ok: false; message: string; retryAfterSeconds?: number };

export interface SettingsView {
  user: UserSettings;
  effective: EffectiveSettings;
  /** Why the settings file on disk could not be used, if so. */
  problem?: string;
}

/** What `window.herald` offers the renderer: nothing more (preload exposes exactly this). */
export interface DesktopApi {
  getState(): Promise<CoreState>;
  onState(listener: (state: CoreState) => void): () => void;
  signIn(req: SignInRequest): Promise<SignInResult>;
  signOut(): Promise<void>;
  openFolder(path: string): Promise<void>;
  openWebmail(): Promise<void>;
  checkNow(): Promise<void>;
  getSettings(): Promise<SettingsView>;
  updateSettings(patch: UserSettingsPatch): Promise<SettingsView>;
  /** Checks and keeps a sound file the user picked (its bytes, base64) and chooses it for the event. */
  importSound(s: z.infer<typeof ImportSoundSchema>): Promise<SettingsView>;
  onSettings(listener: (view: SettingsView) => void): () => void;
  listSkins(): Promise<SkinCatalog>;
  activeSkin(): Promise<Skin | null>;
  onSound(listener: (sound: { event: SoundEvent; url: string }) => void): () => void;
  getStartup(): Promise<StartupView>;
  setStartup(s: z.infer<typeof StartupSchema>): Promise<StartupView>;
  appInfo(): Promise<AppInfo>;
  alertRules: {
    list(): Promise<AlertRulesView>;
    save(s: z.infer<typeof AlertRulesSaveSchema>): Promise<AlertRulesView>;
    preview(p: z.infer<typeof AlertPreviewSchema>): Promise<AlertPreview>;
  };
  history: {
    info(): Promise<HistoryInfo>;
    /** Opens the folder in the system's file manager. */
    openFolder(): Promise<void>;
    export(e: z.infer<typeof HistoryExportSchema>): Promise<HistoryExportResult>;
  };
  chat: {
    contacts(): Promise<Contact[]>;
    setPresence(p: z.infer<typeof OwnPresenceSchema>): Promise<void>;
    send(m: z.input<typeof SendMessageSchema>): Promise<ChatMessage>;
    setChatState(s: z.infer<typeof ChatStateSchema>): Promise<void>;
    history(q: z.input<typeof HistoryQuerySchema>): Promise<ChatMessage[]>;
    createRoom(r: z.input<typeof CreateRoomSchema>): Promise<Room>;
    joinRoom(r: z.input<typeof JoinRoomSchema>): Promise<Room>;
    leaveRoom(r: z.infer<typeof LeaveRoomSchema>): Promise<void>;
    invite(i: z.infer<typeof InviteSchema>): Promise<void>;
    sendFile(f: z.infer<typeof SendFileSchema>): Promise<ChatMessage>;
    /** Opens the native file picker; null when the user cancels. */
    pickFile(): Promise<PickedFile | null>;
    overview(): Promise<ChatOverview>;
    answerSubscription(a: z.infer<typeof AnswerSubscriptionSchema>): Promise<void>;
    addContact(a: z.infer<typeof AddContactSchema>): Promise<void>;
    updateContact(u: z.infer<typeof UpdateContactSchema>): Promise<void>;
    removeContact(r: z.infer<typeof RemoveContactSchema>): Promise<void>;
    preferences(): Promise<ChatPreferences>;
    setPreferences(p: ChatPreferencesPatch): Promise<ChatPreferences>;
    onEvent(listener: (e: ChatEvent) => void): () => void;
  };
}
