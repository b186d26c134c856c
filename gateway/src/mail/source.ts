// The one interface every mail source (maildir, imap) implements. A source watches one
// user's mailbox at a time ("a watch"), keeps per-folder counts current and reports each new
// message exactly once as an alert. Watermarks live in the store (folder_state), so a restart
// neither repeats nor misses alerts.
import type { Folder, MailAlert, MailStatus } from '../protocol/api.ts';
import type { AccountRow } from '../store/index.ts';

export type MailPriority = 'high' | 'normal' | 'low';

/** One parsed address of a header (name decoded; either part may be '' when the header had none). */
export interface MailAddress {
  name: string;
  address: string;
}

/**
 * What a source reports about a new message: the public alert (what the desktop is pushed) plus
 * what server-side consumers (mail-to-IM rules, calendar) match on. Internal: the mail service
 * strips it to a MailAlert before it leaves the gateway.
 */
export interface NewMail extends MailAlert {
  /** The first From address, parsed (`from` is its display form). */
  sender: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  /** X-Priority / Importance / Priority / X-MSMail-Priority, normalised (mail/priority.ts). */
  priority: MailPriority;
  /** ISO 8601: when the message reached the mailbox (IMAP INTERNALDATE, the Maildir file's mtime). */
  received: string;
}

/** A message's raw RFC 5322 source, or its first `maxBytes` bytes. */
export interface RawMessage {
  bytes: Buffer;
  /** The whole message's size in bytes. */
  size: number;
  /** `bytes` is only the beginning (the message is larger than `maxBytes`). */
  truncated: boolean;
}

export interface MailboxEvents {
  /** The full folder list, whenever any count, or the set of folders, changed. */
  folders(folders: Folder[]): void;
  /** One per new message (unread, uid above the folder's alerted watermark), after `folders`. */
  alert(alert: NewMail): void;
  /** Mail server reachable or not; `message` names the server and the reason. */
  status(status: MailStatus): void;
}

/**
 * A change the mail server told us about (mail push, e.g. Dovecot's push_notification): the
 * watch looks at the mailbox again now instead of waiting for IDLE or a sweep.
 */
export interface MailChange {
  kind: 'new' | 'flags' | 'expunge' | 'mailbox';
  /** The folder (IMAP path in UTF-8, the server's separator). */
  folder: string;
}

export interface MailboxWatch {
  /** Settles once the first folder list is known, or the first attempt to get it failed. */
  readonly ready: Promise<void>;
  /** Current folder list; throws HeraldError('mail_unavailable', ...) while the mail server is unreachable. */
  folders(): Folder[];
  status(): MailStatus;
  /**
   * Advances the folder's acknowledged watermark to `uid` (default: the highest uid in the
   * folder now), so `new` drops to the messages that arrived after. Emits `folders`.
   * Throws HeraldError('not_found') for an unknown folder.
   */
  ack(path: string, uid?: number): Promise<void>;
  /** Re-reads every folder now (the user asked "check mail now"). */
  refresh(): Promise<void>;
  /**
   * The raw source of message `uid` in folder `path` (the uid of its alert), at most `maxBytes`
   * of it. Throws HeraldError('not_found') for an unknown folder or a message that is gone,
   * HeraldError('mail_unavailable') while the mail server is unreachable.
   */
  fetchRaw(path: string, uid: number, maxBytes: number): Promise<RawMessage>;
  /** Mail push: the server says this mailbox changed (sources without push leave it out). */
  changed?(changes: readonly MailChange[]): void;
  /** Whether a client of the user is online now (push mode keeps the connection only then). */
  setActive?(active: boolean): void;
  close(): Promise<void>;
}

export interface WatchStats {
  /** Directories watched (one inotify watch each). */
  watches: number;
  /** Users waiting for their mailbox to appear (no watch of their own). */
  waiting: number;
  /** Watch events handed to a listener, plus waiting users woken, since the start. */
  wakeups: number;
}

export interface MailSource {
  readonly kind: 'maildir' | 'imap';
  /** Starts watching the account's mailbox. Never throws for a down server: see `ready`/`status`. */
  open(account: AccountRow, events: MailboxEvents): MailboxWatch;
  /** File-system watches in use (maildir): what inotify's max_user_watches is spent on. */
  watchStats?(): WatchStats;
  /** Mail server connections held open now (imap): what a mail server's process/connection limits are spent on. */
  connections?(): number;
  close(): Promise<void>;
}

/** RFC 6154 special use guessed from a folder name, for servers/stores that do not say. */
export function guessSpecialUse(path: string, separator: string): string | null {
  if (path.toUpperCase() === 'INBOX') return '\\Inbox';
  if (path.includes(separator)) return null;
  const name = path.toLowerCase();
  if (['sent', 'sent items', 'sent messages', 'gesendet', 'gesendete objekte'].includes(name)) return '\\Sent';
  if (['drafts', 'draft', 'entwürfe'].includes(name)) return '\\Drafts';
  if (['trash', 'deleted items', 'deleted messages', 'papierkorb'].includes(name)) return '\\Trash';
  if (['junk', 'spam', 'junk e-mail', 'junk email'].includes(name)) return '\\Junk';
  if (['archive', 'archives', 'archiv'].includes(name)) return '\\Archive';
  return null;
}

/** Folder order for display: INBOX first, then special-use folders, then the rest by path. */
export function sortFolders(folders: Folder[]): Folder[] {
  const rank = (f: Folder) =>
    f.specialUse === '\\Inbox' ? 0 : f.specialUse ? 1 + ['\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash'].indexOf(f.specialUse) + 1 : 10;
  return [...folders].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}
