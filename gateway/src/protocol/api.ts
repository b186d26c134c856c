// HTTP API v1 of the gateway: the wire contract shared with the desktop app.
// Pure types and zod schemas — no Node, no I/O — so desktop/src/core may import it.
import { z } from 'zod';

export const API_PREFIX = '/api/v1';

/** A mail address `local@domain`, lower-cased. */
export const AddressSchema = z
  .string()
  .trim()
  .min(3)
  .max(320)
  .regex(/^[^\s@"<>()[\],;:\\/]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i, 'must look like local@domain')
  .transform((s) => s.toLowerCase());

export const EnrollRequestSchema = z.strictObject({
  token: z.string().min(10).max(200),
  device: z.string().max(100).optional(),
  /** What the device runs on ("linux-x64", "win32 arm64"): shown to admins beside the device name. */
  platform: z.string().max(40).optional(),
});
export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;

export const SessionRequestSchema = z.strictObject({
  user: AddressSchema,
  password: z.string().min(1).max(1024),
  device: z.string().max(100).optional(),
  platform: z.string().max(40).optional(),
});
export type SessionRequest = z.infer<typeof SessionRequestSchema>;

export const UserInfoSchema = z.object({ address: z.string(), displayName: z.string() });
export type UserInfo = z.infer<typeof UserInfoSchema>;

export const AuthResponseSchema = z.object({ deviceToken: z.string(), user: UserInfoSchema });
export type AuthResponse = z.infer<typeof AuthResponseSchema>;

export const FolderSchema = z.object({
  /** Folder path as the mail server names it (IMAP path, UTF-8), used in webmail links. */
  path: z.string(),
  /** Last path segment, for display. */
  name: z.string(),
  /** RFC 6154 special use (`\\Sent`, `\\Drafts`, `\\Trash`, `\\Junk`, `\\Archive`) or null; INBOX is `\\Inbox`. */
  specialUse: z.string().nullable(),
  total: z.number().int().nonnegative(),
  /** Messages without \Seen. */
  unread: z.number().int().nonnegative(),
  /** Unread messages above the user's acknowledged watermark. */
  new: z.number().int().nonnegative(),
});
export type Folder = z.infer<typeof FolderSchema>;

export const FoldersResponseSchema = z.object({
  folders: z.array(FolderSchema),
  /** Increases whenever the counts change (per gateway run; compare ETags across restarts). */
  version: z.number().int(),
});
export type FoldersResponse = z.infer<typeof FoldersResponseSchema>;

export const AckRequestSchema = z.strictObject({
  path: z.string().min(1).max(1000),
  /** Acknowledge up to this uid only (what the user saw); default: everything currently in the folder. */
  uid: z.number().int().positive().optional(),
});
export type AckRequest = z.infer<typeof AckRequestSchema>;

/** What a mail alert's `subject` and `from` say when the message has none (clients may show their own words). */
export const NO_SUBJECT = '(no subject)';
export const UNKNOWN_SENDER = '(unknown sender)';

export const MailAlertSchema = z.object({
  folder: z.string(),
  from: z.string(),
  subject: z.string(),
  /** ISO 8601. */
  date: z.string(),
  uid: z.number().int().positive(),
});
export type MailAlert = z.infer<typeof MailAlertSchema>;

export const ClientConfigSchema = z.object({
  user: UserInfoSchema,
  webmail: z.object({
    /** `{folder}` (percent-encoded by the client) and `{user}` placeholders. */
    urlTemplate: z.string(),
  }),
  xmpp: z.object({
    /** False until the gateway's embedded XMPP server runs and IM is on for the user's domain. */
    enabled: z.boolean(),
    domain: z.string(),
    tcp: z.object({ host: z.string(), port: z.number().int() }),
    websocketUrl: z.string(),
  }),
  pollIntervalSeconds: z.number().int().positive(),
  skin: z.object({ default: z.string(), locked: z.boolean() }),
  sounds: z.object({ newMail: z.boolean(), messageIn: z.boolean() }),
  alerts: z.object({
    /** Above this many new messages at once, one digest notification instead of one each. */
    digestThreshold: z.number().int().positive(),
    folders: z.enum(['all', 'inbox']),
  }),
  /**
   * Desktop updates from the gateway (README "Updates"): `feedUrl` is an electron-updater "generic"
   * feed, fetched with the device token as Bearer. Absent (an older gateway): no updates.
   */
  updates: z.object({ mode: z.enum(['off', 'notify', 'automatic']), feedUrl: z.string() }).optional(),
});
export type ClientConfig = z.infer<typeof ClientConfigSchema>;

export const MailStatusSchema = z.object({
  state: z.enum(['ok', 'unavailable']),
  /** Which mail server, and why, when unavailable. */
  message: z.string().optional(),
});
export type MailStatus = z.infer<typeof MailStatusSchema>;

/** What `GET /api/v1/events` pushes, one JSON text frame each. */
export const ServerEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('folders'), folders: z.array(FolderSchema), version: z.number().int() }),
  z.object({ type: z.literal('mail'), alert: MailAlertSchema }),
  z.object({ type: z.literal('status'), mail: MailStatusSchema }),
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('error'), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type ServerEvent = z.infer<typeof ServerEventSchema>;

/** What a client may send on the events socket. */
export const ClientEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ping') }),
  z.strictObject({ type: z.literal('refresh') }),
]);
export type ClientEvent = z.infer<typeof ClientEventSchema>;

// ---- Mail-to-IM alert rules (GET/PUT /api/v1/alert-rules; the engine is gateway/src/im/alerts/) ----

/** Macros an alert template may use; anything else between dollars stays as written. */
export const ALERT_MACROS = ['$SENDER$', '$SUBJECT$', '$FOLDER$', '$DATE$', '$RECIPIENT$', '$TO$', '$PRIORITY$'] as const;

export const MailPrioritySchema = z.enum(['high', 'normal', 'low']);
export type MailPriorityValue = z.infer<typeof MailPrioritySchema>;

/**
 * How a text condition compares, always case-insensitively: `contains` a substring, `equals` the
 * whole text, `glob` the whole text with `*` (any run of characters) and `?` (one character).
 * No regular expressions: a pattern from a user must never be able to stall the server.
 */
export const TextMatchSchema = z.strictObject({
  match: z.enum(['contains', 'equals', 'glob']),
  value: z.string().min(1).max(256),
});
export type TextMatch = z.infer<typeof TextMatchSchema>;

/** All given conditions must hold (AND); none given: every new message matches. */
export const AlertConditionsSchema = z.strictObject({
  /** The folder path as the mail server names it ("INBOX", "Projects/Herald"). */
  folder: TextMatchSchema.optional(),
  /** The From address or name ("Name <address>" matches too). */
  sender: TextMatchSchema.optional(),
  subject: TextMatchSchema.optional(),
  /** Any To or Cc address (or name). */
  recipient: TextMatchSchema.optional(),
  /** One priority, or a list of which any matches. */
  priority: z.union([MailPrioritySchema, z.array(MailPrioritySchema).min(1).max(3)]).optional(),
});
export type AlertConditions = z.infer<typeof AlertConditionsSchema>;

export const AlertActionSchema = z.strictObject({
  /** Who gets the IM; default: the owner of the mailbox the mail arrived in. */
  to: AddressSchema.optional(),
  /** The IM text; macros: ALERT_MACROS. Default: see the README ("Mail-to-IM alert rules"). */
  template: z
    .string()
    .trim()
    .min(1)
    .max(1000)
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'no control characters (line breaks and tabs are fine)')
    .optional(),
});
export type AlertAction = z.infer<typeof AlertActionSchema>;

export const AlertRuleSchema = z.strictObject({
  /** Unique among the user's rules; shown in rate-limit summaries. */
  name: z.string().trim().min(1).max(100),
  enabled: z.boolean().default(true),
  conditions: AlertConditionsSchema.prefault({}),
  action: AlertActionSchema.prefault({}),
});
export type AlertRule = z.infer<typeof AlertRuleSchema>;

/** PUT /api/v1/alert-rules: the user's whole rule list (replaces what was stored). */
export const AlertRulesPutSchema = z.strictObject({
  rules: z.array(AlertRuleSchema).max(1000),
});
export type AlertRulesPut = z.infer<typeof AlertRulesPutSchema>;

export const AlertRulesResponseSchema = z.object({
  rules: z.array(AlertRuleSchema),
  /** The admin's rules that apply to this user: shown, not editable. */
  adminRules: z.array(AlertRuleSchema.extend({ readOnly: z.literal(true) })),
  /** How many personal rules the user may have. */
  maxRules: z.number().int().nonnegative(),
  macros: z.array(z.string()),
});
export type AlertRulesResponse = z.infer<typeof AlertRulesResponseSchema>;

/**
 * POST /api/v1/alert-rules/preview: what a rule would send for a sample mail, expanded by the
 * gateway's own template code (im/alerts/template.ts) so that no client re-implements it. The
 * sample's fields default to a made-up mail; nothing is stored or sent.
 */
/** The sample mail of a rule preview (users' and the console's): each field defaults to a made-up mail. */
export const AlertPreviewMailSchema = z
  .strictObject({
    fromName: z.string().max(200).optional(),
    fromAddress: z.string().max(320).optional(),
    subject: z.string().max(1000).optional(),
    folder: z.string().max(1000).optional(),
    priority: MailPrioritySchema.optional(),
  })
  .prefault({});
export const AlertPreviewRequestSchema = z.strictObject({
  rule: AlertRuleSchema,
  mail: AlertPreviewMailSchema,
});
export type AlertPreviewRequest = z.input<typeof AlertPreviewRequestSchema>;

export const AlertPreviewResponseSchema = z.object({
  /** Whether the sample mail satisfies the rule's conditions. */
  matches: z.boolean(),
  /** Who would get the IM. */
  to: z.string(),
  /** The IM text, macros filled in for the sample mail. */
  body: z.string(),
  /** The sample mail as used (defaults filled in). */
  mail: z.object({ from: z.string(), subject: z.string(), folder: z.string(), priority: MailPrioritySchema, date: z.string() }),
});
export type AlertPreviewResponse = z.infer<typeof AlertPreviewResponseSchema>;

export const ApiErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiError = z.infer<typeof ApiErrorSchema>;
