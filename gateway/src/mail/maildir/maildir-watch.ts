// Watches one user's Maildir++ tree: inotify (fs.watch) on every folder's new/ and cur/ and on
// the root (folders created, renamed, deleted), a coalesced re-read of just the folder that
// changed, stable uids from the store, and one alert per new unread message. Until the Maildir
// exists the user only waits in the shared registry (maildir-waits.ts) and has no watch of its own.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../config/logger.ts';
import type { Folder, MailStatus } from '../../protocol/api.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { AccountRow, Store } from '../../store/index.ts';
import { guessSpecialUse, sortFolders, type MailboxEvents, type MailboxWatch, type NewMail } from '../source.ts';
import type { DirWatch, DirWatches } from './dir-watches.ts';
import { listFolders, scanFolder } from './layout.ts';
import type { MaildirWaits } from './maildir-waits.ts';
import { readNewMail, readRawMessage } from './message-read.ts';

/** inotify reports a delivery as several events (create in tmp, rename into new): coalesce them. */
const COALESCE_MS = 3;

export interface MaildirWatchDeps {
  account: AccountRow;
  root: string;
  separator: string;
  rescanMs: number;
  store: Store;
  log: Logger;
  events: MailboxEvents;
  /** Shared by all users of the source: one inotify watch per directory. */
  dirs: DirWatches;
  /** Where users without a Maildir yet wait for it to appear. */
  waits: MaildirWaits;
}

interface Tracked {
  path: string;
  dir: string;
  uidValidity: number;
  nextUid: number;
  alertedUid: number;
  ackedUid: number;
  /** No state was stored yet: the first scan takes what is there without alerting. */
  baseline: boolean;
  /** key → uid * 2 + (seen ? 1 : 0): one number per message keeps 1,000 users small. */
  msgs: Map<string, number>;
  /** inotify watches on new/ and cur/, by subdirectory name (missing while they do not exist yet). */
  watchers: Map<string, DirWatch>;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  dirty: boolean;
}

export function createMaildirWatch(deps: MaildirWatchDeps): MailboxWatch {
  const { account, root, separator, store, events } = deps;
  const log = deps.log.child({ user: account.address });
  const folders = new Map<string, Tracked>();
  let status: MailStatus = { state: 'ok' };
  let closed = false;
  let initializing = true;
  const pendingAlerts: NewMail[] = [];
  let rootWatcher: DirWatch | undefined;
  let cancelWait: (() => void) | undefined;
  let listTimer: NodeJS.Timeout | undefined;
  let listRunning: Promise<void> | undefined;
  let listDirty = false;

  const setStatus = (next: MailStatus) => {
    if (next.state === status.state && next.message === status.message) return;
    status = next;
    if (next.state === 'unavailable') log.warn({ root }, `mail store unavailable: ${next.message}`);
    else log.info({ root }, 'mail store available again');
    if (!initializing) events.status(next);
  };

  const snapshot = (): Folder[] =>
    sortFolders(
      [...folders.values()].map((t) => {
        let unread = 0;
        let fresh = 0;
        for (const v of t.msgs.values()) {
          if (v % 2 === 1) continue;
          unread++;
          if (v / 2 > t.ackedUid) fresh++;
        }
        const name = t.path.split(separator).at(-1) ?? t.path;
        return { path: t.path, name, specialUse: guessSpecialUse(t.path, separator), total: t.msgs.size, unread, new: fresh };
      }),
    );

  const emitFolders = () => {
    if (!initializing && !closed) events.folders(snapshot());
  };

  /** Watches of new/ and cur/ that still work (a lost one is re-made by the next folder listing). */
  const liveWatches = (t: Tracked) => [...t.watchers.values()].filter((w) => w.alive).length;

  const track = (folderPath: string, dir: string): Tracked => {
    const row = store.folderState.get(account.id, folderPath);
    const msgs = new Map<string, number>();
    if (row) for (const [key, uid] of store.maildirUids.load(account.id, folderPath)) msgs.set(key, uid * 2);
    const t: Tracked = {
      path: folderPath,
      dir,
      uidValidity: row?.uidValidity ?? Math.floor(Date.now() / 1000),
      nextUid: row?.nextUid ?? 1,
      alertedUid: row?.alertedUid ?? 0,
      ackedUid: row?.ackedUid ?? 0,
      baseline: !row,
      msgs,
      watchers: new Map(),
      timer: undefined,
      running: undefined,
      dirty: false,
    };
    attachWatchers(t);
    folders.set(folderPath, t);
    return t;
  };

  /** Watches whichever of new/ and cur/ exist and are not watched yet; true when both are. */
  const attachWatchers = (t: Tracked): boolean => {
    for (const sub of ['new', 'cur']) {
      if (t.watchers.get(sub)?.alive) continue;
      const w = deps.dirs.watch(path.join(t.dir, sub), (file) => {
        schedule(t);
        if (file === null) scheduleList(); // the watch may be lost: the listing makes it again
      });
      if (w) t.watchers.set(sub, w);
      else t.watchers.delete(sub);
    }
    return liveWatches(t) === 2;
  };

  /**
   * No Maildir yet (nothing delivered): wait for it in the shared registry, so the first
   * delivery — which creates the Maildir — is noticed at once, not at the next rescan, while
   * this user costs no watch of its own (and is woken by nothing but its own Maildir appearing).
   * Waiting again (after a wake or a rescan) places the user afresh, so a lost place heals.
   */
  const waitForRoot = () => {
    cancelWait?.();
    cancelWait = deps.waits.wait(root, () => {
      cancelWait = undefined;
      scheduleList();
    });
  };

  const untrack = (t: Tracked, forget: boolean) => {
    for (const w of t.watchers.values()) w.close();
    clearTimeout(t.timer);
    folders.delete(t.path);
    if (forget) {
      // The folder is gone (deleted or renamed away): a folder of that name later starts afresh.
      store.maildirUids.dropFolder(account.id, t.path);
      store.folderState.remove(account.id, t.path);
    }
  };

  const schedule = (t: Tracked) => {
    if (closed || t.timer) return;
    t.timer = setTimeout(() => {
      t.timer = undefined;
      void runFolder(t);
    }, COALESCE_MS);
  };

  /** Re-reads one folder; a change arriving meanwhile triggers exactly one more pass. */
  const runFolder = (t: Tracked): Promise<void> => {
    if (t.running) {
      t.dirty = true;
      return t.running;
    }
    t.running = (async () => {
      try {
        do {
          t.dirty = false;
          await reconcile(t);
        } while (t.dirty && !closed);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'ENOENT') scheduleList();
        else log.error({ folder: t.path, err: err.message }, 'folder scan failed');
      } finally {
        t.running = undefined;
      }
    })();
    return t.running;
  };

  const reconcile = async (t: Tracked) => {
    const scan = await scanFolder(t.dir);
    if (closed || folders.get(t.path) !== t) return;
    const added: [string, number][] = [];
    const removed: string[] = [];
    const candidates: [string, number][] = [];
    let changed = t.baseline;
    for (const [key, seen] of scan.messages) {
      const v = t.msgs.get(key);
      if (v !== undefined) {
        const next = (v - (v % 2)) + (seen ? 1 : 0);
        if (next !== v) {
          t.msgs.set(key, next);
          changed = true;
        }
        continue;
      }
      const uid = t.nextUid++;
      t.msgs.set(key, uid * 2 + (seen ? 1 : 0));
      added.push([key, uid]);
      changed = true;
      if (!t.baseline && !seen && uid > t.alertedUid) candidates.push([key, uid]);
    }
    for (const key of t.msgs.keys()) {
      if (!scan.messages.has(key)) {
        t.msgs.delete(key);
        removed.push(key);
        changed = true;
      }
    }
    if (t.baseline) t.alertedUid = t.nextUid - 1;
    if (added.length || removed.length || t.baseline) {
      store.maildirUids.apply(account.id, t.path, added, removed, () =>
        store.folderState.put(account.id, {
          folder: t.path,
          uidValidity: t.uidValidity,
          nextUid: t.nextUid,
          alertedUid: t.alertedUid,
          ackedUid: t.ackedUid,
        }),
      );
      t.baseline = false;
    }
    if (changed) emitFolders();
    for (const [key, uid] of candidates) {
      if (closed) return;
      const alert = await readNewMail({ dir: t.dir, folder: t.path, key, uid, file: scan.newFiles.get(key) ?? scan.curFiles.get(key), log });
      // Mail that arrived while the gateway was away is alerted once the first snapshot is out.
      if (initializing) pendingAlerts.push(alert);
      else events.alert(alert);
      t.alertedUid = Math.max(t.alertedUid, uid);
      store.folderState.markAlerted(account.id, t.path, uid);
    }
  };

  const scheduleList = (delay = COALESCE_MS) => {
    if (closed || listTimer) return;
    listTimer = setTimeout(() => {
      listTimer = undefined;
      void syncList();
    }, delay);
  };

  /** Re-reads the folder list: starts tracking new folders, forgets removed ones. */
  const syncList = (): Promise<void> => {
    if (listRunning) {
      listDirty = true;
      return listRunning;
    }
    listRunning = (async () => {
      try {
        do {
          listDirty = false;
          await syncListOnce();
        } while (listDirty && !closed);
      } finally {
        listRunning = undefined;
      }
    })();
    return listRunning;
  };

  const syncListOnce = async () => {
    let found: Awaited<ReturnType<typeof listFolders>>;
    try {
      found = await listFolders(root, separator);
      if (!rootWatcher?.alive && !closed) {
        // Root events: Maildir++ folders (".Name") come and go; new/ and cur/ of INBOX appear.
        rootWatcher?.close();
        rootWatcher = deps.dirs.watch(root, (f) => (f === null || f.startsWith('.') || f === 'new' || f === 'cur' ? scheduleList() : undefined));
        cancelWait?.();
        cancelWait = undefined;
      }
      setStatus({ state: 'ok' });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'ENOENT') {
        setStatus({ state: 'unavailable', message: `Maildir ${root} cannot be read: ${err.code ?? err.message}` });
        return;
      }
      // No mail delivered yet: an empty INBOX until the Maildir appears.
      found = { folders: [{ path: 'INBOX', dir: root }], incomplete: 0 };
      rootWatcher?.close();
      rootWatcher = undefined;
      if (!closed) waitForRoot();
      setStatus({ state: 'ok' });
    }
    if (closed) return;
    const seen = new Set(found.folders.map((f) => f.path));
    let changed = false;
    for (const t of [...folders.values()]) {
      if (!seen.has(t.path)) {
        untrack(t, true);
        changed = true;
      }
    }
    const fresh = found.folders.filter((f) => !folders.has(f.path)).map((f) => track(f.path, f.dir));
    // Folders whose new/ or cur/ appeared only now (being created) get their watches and a scan.
    const completed = [...folders.values()].filter((t) => !fresh.includes(t) && liveWatches(t) < 2 && attachWatchers(t));
    if ([...folders.values()].some((t) => liveWatches(t) < 2) && rootWatcher) found.incomplete++;
    await Promise.all([...fresh, ...completed].map(runFolder));
    // A folder being created has its directory before its cur/: look again shortly.
    if (found.incomplete > 0) scheduleList(50);
    if (changed && !fresh.length) emitFolders();
  };

  const rescanAll = async () => {
    await syncList();
    await Promise.all([...folders.values()].map(runFolder));
  };

  // Safety net for missed inotify events (overflow, network file systems), spread over time.
  // A user still waiting for its Maildir costs one stat here, not a readdir that throws ENOENT.
  const rescanTimer = setInterval(() => (cancelWait && !existsSync(root) ? undefined : void rescanAll()), deps.rescanMs * (0.8 + Math.random() * 0.4));
  rescanTimer.unref();

  const ready = syncList().then(() => {
    initializing = false;
    queueMicrotask(() => {
      for (const a of pendingAlerts.splice(0)) if (!closed) events.alert(a);
    });
  });

  return {
    ready,
    folders() {
      if (status.state === 'unavailable') throw new HeraldError('mail_unavailable', status.message ?? `Maildir ${root} is unavailable`);
      return snapshot();
    },
    status: () => status,
    async ack(folderPath, uid) {
      const t = folders.get(folderPath);
      if (!t) throw new HeraldError('not_found', `no folder "${folderPath}"`);
      const target = Math.min(uid ?? t.nextUid - 1, t.nextUid - 1);
      if (target <= t.ackedUid) return;
      t.ackedUid = target;
      store.folderState.markAcked(account.id, t.path, target);
      emitFolders();
    },
    refresh: rescanAll,
    async fetchRaw(folderPath, uid, maxBytes) {
      if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, not ${maxBytes}`);
      if (status.state === 'unavailable') throw new HeraldError('mail_unavailable', status.message ?? `Maildir ${root} is unavailable`);
      const t = folders.get(folderPath);
      if (!t) throw new HeraldError('not_found', `no folder "${folderPath}"`);
      let key: string | undefined;
      for (const [k, v] of t.msgs) {
        if (Math.floor(v / 2) === uid) {
          key = k;
          break;
        }
      }
      const raw = key === undefined ? undefined : await readRawMessage(t.dir, key, maxBytes, log);
      if (!raw) throw new HeraldError('not_found', `no message ${uid} in "${folderPath}"`);
      return raw;
    },
    async close() {
      closed = true;
      clearInterval(rescanTimer);
      clearTimeout(listTimer);
      rootWatcher?.close();
      cancelWait?.();
      for (const t of [...folders.values()]) untrack(t, false);
    },
  };
}
