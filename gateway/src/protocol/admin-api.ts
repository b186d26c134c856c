// The admin HTTP API (/api/v1/admin/...): what the console's pages and `herald-gateway status`
// send and get. Pure zod schemas and types (protocol layer: no Node).
import { z } from 'zod';
import { AddressSchema } from './api.ts';

export const ADMIN_API_PREFIX = '/api/v1/admin';

/** Forms send checkboxes as "on"; fetch sends booleans. */
const flag = z.union([z.boolean(), z.literal('on'), z.literal('true'), z.literal('false'), z.literal('')]).transform((v) => v === true || v === 'on' || v === 'true');
const domainName = z.string().trim().min(1).max(253);

export const UserSearchQuerySchema = z.object({
  q: z.string().max(320).default(''),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});

export const AddUserSchema = z.strictObject({
  address: AddressSchema,
  password: z.string().max(1024).optional(),
  name: z.string().trim().max(200).optional(),
});
export const SetPasswordSchema = z.strictObject({ password: z.string().min(1).max(1024), keepDevices: flag.optional() });
export const SetAdminSchema = z.strictObject({ admin: flag });
export const RevokeDevicesSchema = z.strictObject({ device: z.coerce.number().int().min(1).optional() });
export const EnrollSchema = z.strictObject({ ttlHours: z.coerce.number().min(0.1).max(24 * 365).optional() });

export const AddDomainSchema = z.strictObject({ name: domainName, im: flag.optional() });
/** IM off ends live sessions: without `confirm` the answer is the count that would end (ConfirmNeeded). */
export const SetDomainImSchema = z.strictObject({ on: flag, confirm: flag.optional() });
export const LinkDomainSchema = z.strictObject({ other: domainName });
/**
 * POST /domains/:name/client: the domain's client settings (admin/domains.ts setClient, the same as
 * `domain set --webmail/--updates`). webmailUrl: a template ('' = no webmail link) or null = the
 * config file's; a key left out stays as it is.
 */
export const DomainClientSchema = z.strictObject({
  webmailUrl: z.string().max(2000).nullable().optional(),
  updates: z.enum(['off', 'notify', 'automatic']).optional(),
});
export const EndSessionSchema = z.strictObject({ id: z.string().min(1).max(64), reason: z.string().trim().max(200).optional() });
export const TotpConfirmSchema = z.strictObject({ code: z.string().trim().min(6).max(10) });

export const AuditQuerySchema = z.object({
  text: z.string().max(200).optional(),
  who: z.string().max(320).optional(),
  since: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().or(z.literal('').transform(() => undefined)),
  until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().or(z.literal('').transform(() => undefined)),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
});

/** A change the console must confirm first (it ends live sessions). */
export interface ConfirmNeeded {
  needsConfirmation: true;
  message: string;
  sessions: number;
}

/** GET /api/v1/admin/status and `herald-gateway status`. */
export interface AdminStatus {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  sessions: number;
  /** Per minute, oldest first, up to 24 h: [unix seconds, sessions, messages, new-mail events]. */
  history: [number, number, number, number][];
  messagesPerMinute: number;
  newMailPerMinute: number;
  mail: { source: string; watchedUsers: number; watches: number; imapConnections: number };
  eventLoopLagP99Ms: number;
  spool: { waiting: number; bad: number; problem: string | null };
  /** Presence copies queued for delivery in time slices (xmpp/core/outbox.ts): a lasting backlog is a fan-out the server cannot keep up with. */
  presenceBacklog: number;
  calendar: { running: boolean; lastRun: string | null; lastError: string | null };
  disk: { usedPercent: number } | null;
  warnings: AdminWarning[];
}

export type AdminWarning =
  | { kind: 'self-signed' }
  | { kind: 'public-url-unset' }
  | { kind: 'im-off'; domain: string }
  | { kind: 'disk-full'; percent: number };

/** A live XMPP session (GET /api/v1/admin/sessions). */
export interface LiveSession {
  id: string;
  address: string;
  resource: string;
  /** Client software: XEP-0092 name/version when known, else the WebSocket User-Agent. */
  client: string | null;
  transport: 'tcp' | 'websocket';
  remoteAddress: string;
  tls: boolean;
  since: number;
  /** available, away, chat, dnd, xa — or unavailable (no initial presence yet). */
  presence: string;
  domain: string;
}
