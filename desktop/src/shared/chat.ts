// Chat as the renderer sees it (issue 5, item 5 — built later over @xmpp/client): the payload
// schemas of the chat IPC channels and the events the chat part pushes. Only the contract lives
// here; core/chat/chat-service.ts is the seam the implementation fills.
import { z } from 'zod';

export const PresenceShowSchema = z.enum(['online', 'away', 'xa', 'dnd', 'offline']);
export type PresenceShow = z.infer<typeof PresenceShowSchema>;

/** A bare JID (local@domain), or a room's JID. */
export const JidSchema = z.string().min(3).max(3071).regex(/^[^\s@/]+@[^\s@/]+$/, 'must be a bare address local@domain');

export const ContactSchema = z.object({
  jid: z.string(),
  name: z.string(),
  groups: z.array(z.string()),
  show: PresenceShowSchema,
  status: z.string().optional(),
});
export type Contact = z.infer<typeof ContactSchema>;

export const OwnPresenceSchema = z.strictObject({
  show: z.enum(['online', 'away', 'xa', 'dnd', 'invisible']),
  status: z.string().max(500).optional(),
});
export type OwnPresence = z.infer<typeof OwnPresenceSchema>;

export const ChatMessageSchema = z.object({
  id: z.string(),
  /** The conversation: a contact's bare JID or a room's JID. */
  with: z.string(),
  from: z.string(),
  direction: z.enum(['in', 'out']),
  kind: z.enum(['chat', 'groupchat']),
  body: z.string(),
  /** Sanitised XHTML-IM (XEP-0071) rendition, if the sender sent one. */
  html: z.string().optional(),
  /** ISO 8601. */
  at: z.string(),
  delivery: z.enum(['pending', 'sent', 'received', 'failed']).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const SendMessageSchema = z.strictObject({
  to: JidSchema,
  kind: z.enum(['chat', 'groupchat']),
  body: z.string().min(1).max(64 * 1024),
  /** Text colour as #rrggbb (sent as an XHTML-IM span). */
  color: z.string().regex(/^#[0-9a-f]{6}$/i).optional(),
});
export type SendMessage = z.infer<typeof SendMessageSchema>;

export const HistoryQuerySchema = z.strictObject({
  with: JidSchema,
  /** Case-insensitive text to look for. */
  text: z.string().max(500).optional(),
  before: z.string().optional(),
  max: z.number().int().min(1).max(500).default(50),
});
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

export const RoomSchema = z.object({
  jid: z.string(),
  name: z.string(),
  subject: z.string().optional(),
  members: z.array(z.object({ nick: z.string(), jid: z.string().optional(), role: z.string(), affiliation: z.string() })),
});
export type Room = z.infer<typeof RoomSchema>;

export const JoinRoomSchema = z.strictObject({ room: JidSchema, nick: z.string().min(1).max(100).optional() });
export const CreateRoomSchema = z.strictObject({ name: z.string().min(1).max(100), invite: z.array(JidSchema).max(100).default([]) });
export const InviteSchema = z.strictObject({ room: JidSchema, jid: JidSchema, reason: z.string().max(500).optional() });
export const ChatStateSchema = z.strictObject({ to: JidSchema, state: z.enum(['active', 'composing', 'paused', 'inactive', 'gone']) });
export const SendFileSchema = z.strictObject({ to: JidSchema, kind: z.enum(['chat', 'groupchat']), file: z.string().min(1).max(4096) });

/** What the chat part pushes to the renderer. */
export type ChatEvent =
  | { type: 'roster'; contacts: Contact[] }
  | { type: 'presence'; jid: string; show: PresenceShow; status?: string }
  | { type: 'message'; message: ChatMessage }
  | { type: 'delivery'; id: string; delivery: NonNullable<ChatMessage['delivery']> }
  | { type: 'chat-state'; jid: string; state: 'active' | 'composing' | 'paused' | 'inactive' | 'gone' }
  | { type: 'room'; room: Room }
  | { type: 'upload-progress'; id: string; sent: number; total: number }
  | { type: 'connection'; state: 'offline' | 'connecting' | 'online'; detail?: string };
