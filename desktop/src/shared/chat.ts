// Chat as the renderer sees it (issue 5, item 5): the payload schemas of the chat IPC channels and
// the events the chat part pushes. Only the contract lives here; core/chat/chat-service.ts is the
// seam, core/chat/xmpp-chat.ts the implementation over @xmpp/client.
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
  /** RFC 6121 §2.1.2.5: `to`/`both` = we see their presence; `pending` = our request is unanswered. */
  subscription: z.enum(['none', 'to', 'from', 'both', 'pending']).optional(),
});
export type Contact = z.infer<typeof ContactSchema>;

/**
 * `invisible`: connected, but shown as offline to everyone (unavailable presence; what contacts
 * send to the bare address waits in the server's offline store until the user is visible again);
 * `offline`: disconnected from the chat server until another show is set.
 */
export const OwnPresenceSchema = z.strictObject({
  show: z.enum(['online', 'away', 'xa', 'dnd', 'invisible', 'offline']),
  status: z.string().max(500).optional(),
});
export type OwnPresence = z.infer<typeof OwnPresenceSchema>;

/**
 * The user's own presence as the chat part keeps it: what the user chose (in any window or the
 * tray) and what is in effect now — `shown` is the chosen show, or away/xa while auto-away applies.
 */
export const OwnPresenceStateSchema = z.object({ chosen: OwnPresenceSchema, shown: OwnPresenceSchema.shape.show });
export type OwnPresenceState = z.infer<typeof OwnPresenceStateSchema>;

/**
 * The one status the tray and every window show. "Do not disturb" is one choice for chat and mail,
 * so mail do-not-disturb (also a settings checkbox) decides it; `idle` while auto-away is in effect
 * (`shown` is then away or xa). Without the chat part (`own` undefined) only online and dnd exist.
 */
export function statusShown(own: OwnPresenceState | undefined, doNotDisturb: boolean): { chosen: OwnPresence['show']; shown: OwnPresence['show']; idle: boolean } {
  if (doNotDisturb) return { chosen: 'dnd', shown: 'dnd', idle: false };
  if (!own) return { chosen: 'online', shown: 'online', idle: false };
  const chosen = own.chosen.show === 'dnd' ? 'online' : own.chosen.show;
  const idle = own.chosen.show === 'online' && (own.shown === 'away' || own.shown === 'xa');
  return { chosen, shown: idle ? own.shown : chosen, idle };
}

/** A shared file (XEP-0066 jabber:x:oob, e.g. an XEP-0363 upload's GET URL): only http(s) URLs. */
export const AttachmentSchema = z.object({ url: z.string(), name: z.string().optional(), description: z.string().optional() });
export type Attachment = z.infer<typeof AttachmentSchema>;

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
  attachments: z.array(AttachmentSchema).optional(),
  /**
   * Sent by the server itself, not by a person's client: scripted SEM messages, alert-rule
   * messages, calendar reminders and invitation summaries (from `herald@<domain>` or a script's
   * sender such as `ci@`). Shown as a "Herald" conversation.
   */
  server: z.boolean().optional(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/**
 * The name a server sender is shown by: "Herald" for the service address's usual `herald@`, the
 * local part in words for others ("CI", "Monitoring"), with "Herald" beside it so it reads as the
 * server's.
 */
export function serverSenderName(jid: string): string {
  const local = (jid.split('@')[0] ?? jid).replace(/[._-]+/g, ' ').trim();
  if (!local || local.toLowerCase() === 'herald') return 'Herald';
  const words = local.split(' ').map((w) => (w.length <= 3 ? w.toUpperCase() : w[0]!.toUpperCase() + w.slice(1)));
  return `${words.join(' ')} (Herald)`;
}

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

/** The chat's own preferences (kept by the chat part in chat-preferences.json). */
export const ChatPreferencesSchema = z.strictObject({
  /** Text shortcuts such as :-) become emoji in what is sent and shown. */
  emoticons: z.boolean().default(true),
  /** Away after `awayMinutes` without input, extended away after `xaMinutes`; back when input returns. */
  autoAway: z
    .strictObject({
      enabled: z.boolean().default(true),
      awayMinutes: z.number().int().min(1).max(24 * 60).default(5),
      xaMinutes: z.number().int().min(1).max(24 * 60).default(30),
    })
    .prefault({}),
});
export type ChatPreferences = z.infer<typeof ChatPreferencesSchema>;
export const ChatPreferencesPatchSchema = z.strictObject({
  emoticons: z.boolean(),
  autoAway: z.strictObject({ enabled: z.boolean(), awayMinutes: z.number().int().min(1).max(24 * 60), xaMinutes: z.number().int().min(1).max(24 * 60) }).partial(),
}).partial();
export type ChatPreferencesPatch = z.infer<typeof ChatPreferencesPatchSchema>;

/** What the chat part pushes to the renderer. */
/**
 * What a retrying chat waits for, as a code the renderer puts into words in the user's language
 * (`detail` keeps the English words, for logs). `retryInSeconds`: when the next attempt is; absent
 * while an attempt runs. `condition`: the stream error (session-ended); `text`: what went wrong, in
 * the transport's words (no-connection).
 */
export interface ChatWait {
  code: 'im-off' | 'server-restarting' | 'server-reset' | 'session-ended' | 'connection-lost' | 'no-connection';
  condition?: string;
  text?: string;
  retryInSeconds?: number;
}

export type ChatEvent =
  | { type: 'roster'; contacts: Contact[] }
  | { type: 'presence'; jid: string; show: PresenceShow; status?: string }
  | { type: 'message'; message: ChatMessage }
  | { type: 'delivery'; id: string; delivery: NonNullable<ChatMessage['delivery']> }
  | { type: 'chat-state'; jid: string; state: 'active' | 'composing' | 'paused' | 'inactive' | 'gone' }
  | { type: 'room'; room: Room }
  | { type: 'room-left'; room: string; reason?: string }
  /** A mediated (XEP-0045 §7.8.2) or direct (XEP-0249) invitation: join with joinRoom(room). */
  | { type: 'invite'; room: string; from: string; reason?: string; /** The room's name (its disco#info identity), when it tells. */ roomName?: string }
  /** Someone asks to see the user's presence: answer with answerSubscription(jid, yes/no). */
  | { type: 'subscription-request'; jid: string }
  | { type: 'upload-progress'; id: string; sent: number; total: number }
  | { type: 'connection'; state: 'offline' | 'connecting' | 'online'; detail?: string; wait?: ChatWait }
  /**
   * A file the chat keeps could not be written (today: the outbox of unacknowledged messages).
   * Nothing is lost while the app runs; `detail` says what and why; without it the problem is over.
   */
  | { type: 'storage-problem'; file: string; detail?: string; /** The system's error, for the log. */ error?: string }
  /** The user's own presence changed: chosen (in a window, the tray) or by auto-away starting or ending. */
  | ({ type: 'own-presence' } & OwnPresenceState);
