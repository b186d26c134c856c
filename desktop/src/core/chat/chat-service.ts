// The seam for chat (issue 5, item 5): what the core expects of the chat part, built later over
// @xmpp/client against any standard XMPP server. Nothing implements it yet; the core runs without
// it (mail alerts only) and the DesktopApi's chat methods answer "not available" until it exists.
import type { ChatEvent, ChatMessage, Contact, HistoryQuery, OwnPresence, Room, SendMessage } from '../../shared/chat.ts';

export interface ChatConnectOptions {
  /** From GET /api/v1/config (xmpp.websocketUrl, xmpp.tcp, xmpp.domain). */
  websocketUrl: string;
  tcp: { host: string; port: number };
  domain: string;
  /** The bare JID; SASL PLAIN with the device token (the gateway accepts it) or SCRAM elsewhere. */
  jid: string;
  deviceToken: string;
}

export interface ChatService {
  connect(o: ChatConnectOptions): Promise<void>;
  disconnect(): Promise<void>;
  onEvent(listener: (e: ChatEvent) => void): () => void;
  contacts(): Contact[];
  setPresence(p: OwnPresence): Promise<void>;
  send(m: SendMessage): Promise<ChatMessage>;
  setChatState(to: string, state: 'active' | 'composing' | 'paused' | 'inactive' | 'gone'): void;
  history(q: HistoryQuery): Promise<ChatMessage[]>;
  createRoom(name: string, invite: string[]): Promise<Room>;
  joinRoom(room: string, nick?: string): Promise<Room>;
  leaveRoom(room: string): Promise<void>;
  invite(room: string, jid: string, reason?: string): Promise<void>;
  sendFile(to: string, kind: 'chat' | 'groupchat', file: string): Promise<ChatMessage>;
}
