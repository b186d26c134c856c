// What the desktop core shows: connection state, folders, the tray model and notifications.
// Pure types and zod schemas (no Node, no DOM): the renderer and the main process read them
// through the IPC contract (ipc.ts); the core produces them.
import { z } from 'zod';

/**
 * Honest connection states for the tray:
 * - `signed-out`: no device token (never provisioned, token expired/used, revoked, or signed out);
 * - `connecting`: signed in, first contact with the gateway not made yet;
 * - `connected`: counts are current (by WebSocket push, or by polling when push is unavailable);
 * - `gateway-unreachable`: the gateway does not answer (network, DNS, gateway down);
 * - `mail-unavailable`: the gateway answers but its mail server does not (503 naming it).
 */
export const ConnectionStateSchema = z.enum(['signed-out', 'connecting', 'connected', 'gateway-unreachable', 'mail-unavailable']);
export type ConnectionState = z.infer<typeof ConnectionStateSchema>;

export const ConnectionSchema = z.object({
  state: ConnectionStateSchema,
  /** Human-readable reason (names the server when something is down). */
  detail: z.string().optional(),
  /** How counts arrive while connected. */
  transport: z.enum(['push', 'poll']).optional(),
  /** When the next reconnect attempt is due (ms since the epoch), while not connected by push. */
  nextRetryAt: z.number().optional(),
});
export type Connection = z.infer<typeof ConnectionSchema>;

export const FolderViewSchema = z.object({
  path: z.string(),
  name: z.string(),
  specialUse: z.string().nullable(),
  total: z.number().int(),
  unread: z.number().int(),
  new: z.number().int(),
  /** Pop-ups on for this folder (user setting and admin policy together). */
  alerts: z.boolean(),
});
export type FolderView = z.infer<typeof FolderViewSchema>;

/** Why the sign-in form is shown, and what to prefill in it. */
export const SignInPromptSchema = z.object({
  reason: z.enum(['not-provisioned', 'provision-invalid', 'provision-expired', 'enrollment-refused', 'revoked', 'signed-out', 'login-failed']),
  message: z.string(),
  gatewayUrl: z.string().optional(),
  user: z.string().optional(),
});
export type SignInPrompt = z.infer<typeof SignInPromptSchema>;

export const CoreStateSchema = z.object({
  connection: ConnectionSchema,
  user: z.object({ address: z.string(), displayName: z.string() }).nullable(),
  gatewayUrl: z.string().nullable(),
  folders: z.array(FolderViewSchema),
  /** Set while signed out: the form to show. */
  signIn: SignInPromptSchema.nullable(),
  doNotDisturb: z.boolean(),
  /** Inside the user's quiet hours now. */
  quiet: z.boolean(),
  /** Things the user or admin should know that did not stop the app (a broken settings file, rejected skins, ...). */
  problems: z.array(z.string()),
});
export type CoreState = z.infer<typeof CoreStateSchema>;

export const NotificationViewSchema = z.object({
  /** Unique per notification. */
  id: z.string(),
  kind: z.enum(['mail', 'digest', 'missed']),
  title: z.string(),
  body: z.string(),
  /** The folder to open on click (absent for a digest over several folders: opens INBOX). */
  folder: z.string().optional(),
});
export type NotificationView = z.infer<typeof NotificationViewSchema>;

export const TrayIconSchema = z.enum(['idle', 'new-mail', 'offline', 'chat']);
export type TrayIcon = z.infer<typeof TrayIconSchema>;

export type TrayMenuItem =
  | { kind: 'folder'; path: string; label: string; new: number; unread: number; total: number }
  | { kind: 'status'; label: string }
  | { kind: 'action'; action: TrayAction; label: string; enabled: boolean; checked?: boolean }
  | { kind: 'separator' };
export type TrayAction = 'open-webmail' | 'check-now' | 'toggle-dnd' | 'sign-in' | 'sign-out' | 'settings' | 'quit';

export interface TrayModel {
  icon: TrayIcon;
  /** Tooltip (not relied on: Linux trays may not show it; the menu says the same). */
  tooltip: string;
  /** Number for a badge (new mail), 0 for none. */
  badge: number;
  menu: TrayMenuItem[];
}
