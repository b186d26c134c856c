// The one interface every mail source (maildir, imap) implements. A source watches one
// user's mailbox at a time ("a watch"), keeps per-folder counts current and reports each new
// message exactly once as an alert. Watermarks live in the store (folder_state), so a restart
// neither repeats nor misses alerts.
import type { Folder, MailAlert, MailStatus } from '../protocol/api.ts';
import type { AccountRow } from '../store/index.ts';

export interface MailboxEvents {
  /** The full folder list, whenever any count, or the set of folders, changed. */
  folders(folders: Folder[]): void;
  /** One per new message (unread, uid above the folder's alerted watermark), after `folders`. */
  alert(alert: MailAlert): void;
  /** Mail server reachable or not; `message` names the server and the reason. */
  status(status: MailStatus): void;
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
  close(): Promise<void>;
}

export interface MailSource {
  readonly kind: 'maildir' | 'imap';
  /** Starts watching the account's mailbox. Never throws for a down server: see `ready`/`status`. */
  open(account: AccountRow, events: MailboxEvents): MailboxWatch;
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
