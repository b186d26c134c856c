// The seam between the core and the chat (issue 5, item 5): what herald-core.ts and the IPC layer
// call. Built over @xmpp/client against any standard XMPP server (xmpp-chat.ts: createXmppChat).
import type {
  ChatEvent,
  ChatMessage,
  ChatWait,
  ChatPreferences,
  ChatPreferencesPatch,
  Contact,
  HistoryQuery,
  OwnPresence,
  OwnPresenceState,
  Room,
  SendMessage,
} from '../../shared/chat.ts';

export interface ChatConnectOptions {
  /** From GET /api/v1/config (xmpp.websocketUrl): an RFC 7395 endpoint, '' for none. */
  websocketUrl: string;
  /** From GET /api/v1/config (xmpp.tcp): c2s with STARTTLS. */
  tcp: { host: string; port: number };
  domain: string;
  /** The bare JID. */
  jid: string;
  /** SASL PLAIN with the device token: what the gateway accepts (never sent without TLS). */
  deviceToken?: string;
  /** A password instead (any server: SCRAM-SHA-1, or PLAIN over TLS). */
  password?: string;
  /** Default: the WebSocket when there is a URL, else TCP. */
  transport?: 'websocket' | 'tcp';
  /** PEM certificates trusted besides the system's (a server with a self-signed certificate). */
  trustedCertificates?: string[];
}

export type ChatConnectionState = { state: 'offline' | 'connecting' | 'online'; detail?: string; wait?: ChatWait };

export interface ChatService {
  /**
   * Connects. Resolves once online; rejects with a ChatError when the first attempt fails —
   * `auth_failed` ends it, anything else keeps retrying in the background (`connection` events).
   */
  connect(o: ChatConnectOptions): Promise<void>;
  disconnect(): Promise<void>;
  connection(): ChatConnectionState;
  onEvent(listener: (e: ChatEvent) => void): () => void;
  contacts(): Contact[];
  /** Conversations with the server itself (scripted, alert, reminder messages) in the history folder. */
  serverConversations(): string[];
  addContact(jid: string, name?: string): Promise<void>;
  /** Renames (empty name: the server's default) and/or sets exactly these groups; the rest is kept. */
  updateContact(jid: string, patch: { name?: string; groups?: string[] }): Promise<void>;
  /** Removes a contact (a directory colleague on Herald is hidden from this user only). */
  removeContact(jid: string): Promise<void>;
  /** Where this account's history folder is (one sub-folder per conversation, one file per day). */
  historyFolder(): string;
  /** The addresses with a history folder (contacts and rooms). */
  historyConversations(): Promise<string[]>;
  /** A whole conversation as a file a person reads: plain text or a self-contained HTML page. */
  exportConversation(jid: string, format: 'text' | 'html'): Promise<{ name: string; content: string }>;
  /** Answers a `subscription-request`. */
  answerSubscription(jid: string, approve: boolean): Promise<void>;
  /** `offline` disconnects; any other show connects again if needed. */
  setPresence(p: OwnPresence): Promise<void>;
  /** What the user chose and what is in effect (auto-away); changes come as `own-presence` events. */
  ownPresence(): OwnPresenceState;
  send(m: SendMessage): Promise<ChatMessage>;
  setChatState(to: string, state: 'active' | 'composing' | 'paused' | 'inactive' | 'gone'): void;
  /** The local history folder, completed from the server's archive (MAM) when it has older messages. */
  history(q: HistoryQuery): Promise<ChatMessage[]>;
  rooms(): Room[];
  createRoom(name: string, invite: string[]): Promise<Room>;
  joinRoom(room: string, nick?: string): Promise<Room>;
  leaveRoom(room: string): Promise<void>;
  invite(room: string, jid: string, reason?: string): Promise<void>;
  setRoomSubject(room: string, subject: string): Promise<void>;
  sendFile(to: string, kind: 'chat' | 'groupchat', file: string): Promise<ChatMessage>;
  preferences(): ChatPreferences;
  setPreferences(patch: ChatPreferencesPatch): Promise<ChatPreferences>;
}
