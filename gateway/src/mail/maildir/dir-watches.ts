// One inotify watch per directory, however many users listen to it. fs.watch gives every call
// its own FSWatcher (libuv shares the kernel watch, but each watcher gets every event and its
// own callback); here a directory has one FSWatcher and a set of listeners, and `count()` is
// the number of directories watched — what inotify's per-user `max_user_watches` is spent on.
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import type { Logger } from '../../config/logger.ts';

/** `file` is the entry's name, null when the kernel did not say (overflow, or the watch was lost). */
export type DirListener = (file: string | null) => void;

export interface DirWatch {
  /** False once the directory's watch was lost (error, directory gone): watch again to resume. */
  readonly alive: boolean;
  close(): void;
}

interface Shared {
  watcher: FSWatcher;
  listeners: Set<Entry>;
}

interface Entry extends DirWatch {
  listener: DirListener;
  alive: boolean;
}

export function createDirWatches({ log }: { log: Logger }) {
  const dirs = new Map<string, Shared>();
  /** Listener calls: how often a user's watch was woken (tests and `status` read it). */
  let wakeups = 0;
  /** FSWatchers open now (equals dirs.size unless the sharing is broken: counted, not assumed). */
  let open = 0;
  const closeWatcher = (w: FSWatcher) => {
    open--;
    w.close();
  };

  const dispatch = (s: Shared, file: string | null) => {
    for (const e of [...s.listeners]) {
      wakeups++;
      e.listener(file);
    }
  };

  const lose = (dir: string, s: Shared) => {
    if (dirs.get(dir) !== s) return;
    dirs.delete(dir);
    closeWatcher(s.watcher);
    for (const e of s.listeners) e.alive = false;
    // Null: "something changed, look": every listener re-reads and watches again if it still can.
    dispatch(s, null);
    s.listeners.clear();
  };

  return {
    /**
     * Listens to entries created, renamed or deleted in `dir` (and, for a Maildir's new/ and cur/,
     * files written). Undefined when the directory cannot be watched (missing: ENOENT is expected
     * and not logged).
     */
    watch(dir: string, listener: DirListener): DirWatch | undefined {
      let s = dirs.get(dir);
      if (!s) {
        let watcher: FSWatcher;
        try {
          watcher = fsWatch(dir, { persistent: false }, (_type, file) => dispatch(shared, file === null ? null : String(file)));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ dir, err: (e as Error).message }, 'cannot watch folder');
          return undefined;
        }
        open++;
        const shared: Shared = { watcher, listeners: new Set() };
        watcher.on('error', () => lose(dir, shared));
        dirs.set(dir, shared);
        s = shared;
      }
      const owner = s;
      const entry: Entry = {
        listener,
        alive: true,
        close() {
          if (!owner.listeners.delete(entry)) return;
          entry.alive = false;
          if (owner.listeners.size === 0 && dirs.get(dir) === owner) {
            dirs.delete(dir);
            closeWatcher(owner.watcher);
          }
        },
      };
      s.listeners.add(entry);
      return entry;
    },
    /** Directories watched now (one inotify watch each). */
    count: () => open,
    wakeups: () => wakeups,
    close() {
      for (const s of dirs.values()) closeWatcher(s.watcher);
      dirs.clear();
    },
  };
}
export type DirWatches = ReturnType<typeof createDirWatches>;
