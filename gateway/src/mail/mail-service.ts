// Mail for the HTTP layer: one watch per active user, shared by all of that user's clients
// (WebSocket subscribers and pollers). Keeps the latest snapshot with its version and ETag so
// the poll path (304) costs a map lookup, and closes watches nobody used for a while.
//
// Server-side consumers (mail-to-IM rules) see every new message too, through onNewMail, and
// may keep users watched while none of their clients runs (keepWatching). Each new message is
// reported by the watch exactly once (its per-folder watermark), and that one report goes both
// to the user's connected clients (as the public MailAlert) and to every new-mail listener.
import { createHash } from 'node:crypto';
import type { Logger } from '../config/logger.ts';
import type { Folder, MailAlert, MailStatus, ServerEvent } from '../protocol/api.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { AccountRow } from '../store/index.ts';
import type { MailboxWatch, MailChange, MailSource, NewMail, RawMessage } from './source.ts';

export type Listener = (event: ServerEvent) => void;
/** Told of every new message of every watched user (after that user's clients were). */
export type NewMailListener = (account: AccountRow, mail: NewMail) => void;

/** The public alert (what the desktop is pushed): NewMail's extra fields stay in the gateway. */
const publicAlert = (m: NewMail): MailAlert => ({ folder: m.folder, from: m.from, subject: m.subject, date: m.date, uid: m.uid });

export interface FoldersSnapshot {
  folders: Folder[];
  version: number;
  etag: string;
}

interface Entry {
  account: AccountRow;
  watch: MailboxWatch;
  listeners: Set<Listener>;
  lastUse: number;
  snapshot: FoldersSnapshot | undefined;
  /** Watched whether or not a client uses it (keepWatching); the idle reaper leaves it alone. */
  pinned: boolean;
}

/** Versions increase across all users, so a re-opened watch never repeats an old version. */
let versionCounter = 0;

export function createMailService({ source, log, idleMs }: { source: MailSource; log: Logger; idleMs: number }) {
  const entries = new Map<number, Entry>();
  const newMailListeners = new Set<NewMailListener>();

  const broadcast = (e: Entry, event: ServerEvent) => {
    for (const l of e.listeners) {
      try {
        l(event);
      } catch (err) {
        log.warn({ user: e.account.address, err: (err as Error).message }, 'event listener failed');
      }
    }
  };

  const setSnapshot = (e: Entry, folders: Folder[]): FoldersSnapshot => {
    const body = JSON.stringify(folders);
    const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;
    if (e.snapshot?.etag === etag) return e.snapshot;
    e.snapshot = { folders, version: ++versionCounter, etag };
    return e.snapshot;
  };

  const entryFor = (account: AccountRow): Entry => {
    const e = entries.get(account.id);
    if (e) {
      e.lastUse = Date.now();
      return e;
    }
    const entry: Entry = { account, listeners: new Set(), lastUse: Date.now(), snapshot: undefined, pinned: false, watch: undefined as never };
    entry.watch = source.open(account, {
      folders(folders) {
        const before = entry.snapshot;
        const snap = setSnapshot(entry, folders);
        if (snap !== before) broadcast(entry, { type: 'folders', folders: snap.folders, version: snap.version });
      },
      alert(alert) {
        log.info({ user: account.address, folder: alert.folder, uid: alert.uid }, 'new mail');
        broadcast(entry, { type: 'mail', alert: publicAlert(alert) });
        for (const l of newMailListeners) {
          try {
            l(entry.account, alert);
          } catch (err) {
            log.warn({ user: account.address, err: (err as Error).message }, 'new-mail listener failed');
          }
        }
      },
      status(mail: MailStatus) {
        if (mail.state === 'unavailable') entry.snapshot = undefined;
        broadcast(entry, { type: 'status', mail });
        if (mail.state === 'ok') {
          try {
            const snap = setSnapshot(entry, entry.watch.folders());
            broadcast(entry, { type: 'folders', folders: snap.folders, version: snap.version });
          } catch {
            // not ready yet; the folders event follows
          }
        }
      },
    });
    entries.set(account.id, entry);
    return entry;
  };

  const current = async (e: Entry): Promise<FoldersSnapshot> => {
    await e.watch.ready;
    // The snapshot follows every `folders` event and is dropped while the mail server is down,
    // so the poll path is a lookup; without one, folders() answers or throws mail_unavailable (503).
    return e.snapshot ?? setSnapshot(e, e.watch.folders());
  };

  const closeEntry = async (e: Entry) => {
    entries.delete(e.account.id);
    await e.watch.close().catch((err: Error) => log.warn({ user: e.account.address, err: err.message }, 'closing mail watch failed'));
  };

  const reaper = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const e of entries.values()) if (!e.pinned && e.listeners.size === 0 && e.lastUse < cutoff) void closeEntry(e);
  }, Math.max(1000, Math.min(idleMs, 60_000)));
  reaper.unref();

  return {
    /** The user's folder counts; throws HeraldError mail_unavailable while the mail server is down. */
    async folders(account: AccountRow): Promise<FoldersSnapshot> {
      return current(entryFor(account));
    },

    async ack(account: AccountRow, path: string, uid?: number): Promise<FoldersSnapshot> {
      const e = entryFor(account);
      await e.watch.ready;
      await e.watch.ack(path, uid);
      return current(e);
    },

    async refresh(account: AccountRow): Promise<void> {
      const e = entryFor(account);
      await e.watch.ready;
      await e.watch.refresh();
    },

    /**
     * Adds a listener for the user's events and sends it the current state first
     * (folders, or status when the mail server is down). Returns the unsubscribe function.
     */
    subscribe(account: AccountRow, listener: Listener): () => void {
      const e = entryFor(account);
      e.listeners.add(listener);
      if (e.listeners.size === 1) e.watch.setActive?.(true);
      void current(e).then(
        (snap) => e.listeners.has(listener) && listener({ type: 'folders', folders: snap.folders, version: snap.version }),
        (err: unknown) => {
          if (!e.listeners.has(listener)) return;
          const message = err instanceof HeraldError ? err.message : 'mail is unavailable';
          listener({ type: 'status', mail: { state: 'unavailable', message } });
        },
      );
      return () => {
        if (e.listeners.delete(listener) && e.listeners.size === 0) e.watch.setActive?.(false);
        e.lastUse = Date.now();
      };
    },

    /**
     * The raw source of a message (by its alert's folder and uid), at most `maxBytes` of it — for
     * server-side consumers such as the calendar's invitation reader. Throws like
     * MailboxWatch.fetchRaw (not_found, mail_unavailable).
     */
    async fetchRaw(account: AccountRow, path: string, uid: number, maxBytes: number): Promise<RawMessage> {
      const e = entryFor(account);
      await e.watch.ready;
      return e.watch.fetchRaw(path, uid, maxBytes);
    },

    /**
     * Mail push: the mail server says this user's mailbox changed. Only watched users (a client
     * online, or kept watching for rules/invitations) matter: an unwatched user's counts are
     * read afresh when a watch opens. Returns whether the user is watched.
     */
    changed(accountId: number, changes: readonly MailChange[]): boolean {
      const e = entries.get(accountId);
      if (!e) return false;
      e.watch.changed?.(changes);
      return true;
    },

    /** Adds a listener for every new message of every watched user; returns the unsubscribe function. */
    onNewMail(listener: NewMailListener): () => void {
      newMailListeners.add(listener);
      return () => newMailListeners.delete(listener);
    },

    /**
     * Keeps exactly these users watched whether or not a client of theirs is connected (users
     * with mail-to-IM rules). Users left out become ordinary again: closed once idle.
     */
    keepWatching(accounts: readonly AccountRow[]): void {
      const wanted = new Set(accounts.map((a) => a.id));
      for (const e of entries.values()) {
        if (e.pinned && !wanted.has(e.account.id)) {
          e.pinned = false;
          e.lastUse = Date.now();
        }
      }
      for (const a of accounts) entryFor(a).pinned = true;
    },

    /** Users watched now, and how many of them only because keepWatching asked. */
    watched: () => ({ total: entries.size, pinned: [...entries.values()].filter((e) => e.pinned).length }),

    /** Stops watching a user (deleted account). */
    async drop(accountId: number): Promise<void> {
      const e = entries.get(accountId);
      if (e) await closeEntry(e);
    },

    activeUsers: () => entries.size,

    /**
     * File-system watches in use (none for imap) beside the users watched: `perUser` is what an
     * admin compares with the kernel's fs.inotify.max_user_watches (default 8,192 per uid on
     * small machines) — users without mail yet cost none.
     */
    watchCount() {
      const s = source.watchStats?.() ?? { watches: 0, waiting: 0, wakeups: 0 };
      return { ...s, users: entries.size, perUser: entries.size ? s.watches / entries.size : 0, connections: source.connections?.() ?? 0 };
    },

    async close(): Promise<void> {
      clearInterval(reaper);
      await Promise.all([...entries.values()].map(closeEntry));
      await source.close();
    },
  };
}
export type MailService = ReturnType<typeof createMailService>;
