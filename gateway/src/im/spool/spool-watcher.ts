// Change notification for the spool folder: fs.watch (inotify on Linux) names the SEM and LCK
// files that changed, and a periodic full listing is the safety net for what notification can
// miss (a full inotify queue during a burst, a folder on a network file system). The watcher only
// says which SEM files deserve a look; spool.ts decides, from the files themselves, what to do.
import { readdirSync, watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../../config/logger.ts';
import { LCK_NAME, SEM_NAME, semNameOf } from './sem-file.ts';

export interface SpoolWatcherEvents {
  /** A SEM file (by name) may be ready, or was just written. */
  candidate(semName: string): void;
  /** A lock file changed (created or deleted): its SEM file follows the LCK protocol. */
  lockTouched(semName: string): void;
}

export interface SpoolWatcher {
  /** Lists the folder now and reports every SEM file in it, sorted by number. */
  rescan(): void;
  close(): void;
}

const byNumber = (a: string, b: string) => {
  const x = SEM_NAME.exec(a)![1]!;
  const y = SEM_NAME.exec(b)![1]!;
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
};

/** The SEM files in `dir`, by number. */
export function listSemFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => SEM_NAME.test(n))
    .sort(byNumber);
}

export function watchSpool(dir: string, events: SpoolWatcherEvents, o: { rescanMs: number; log: Logger }): SpoolWatcher {
  let watcher: FSWatcher | undefined;
  let closed = false;

  const rescan = () => {
    if (closed) return;
    let names: string[];
    try {
      names = listSemFiles(dir);
    } catch (e) {
      o.log.error({ err: (e as Error).message, dir }, 'the SEM spool folder cannot be listed');
      return;
    }
    for (const n of names) events.candidate(n);
    if (!watcher) start();
  };

  const start = () => {
    try {
      watcher = watch(dir, { persistent: false }, (_type, filename) => {
        const name = filename?.toString();
        // No name: the kernel dropped events (queue overflow) — list the folder.
        if (!name) return rescan();
        if (SEM_NAME.test(name)) events.candidate(name);
        else if (LCK_NAME.test(name)) {
          const sem = semNameOf(name);
          events.lockTouched(sem);
          events.candidate(sem);
        }
      });
      watcher.on('error', (e) => {
        // The folder was removed or the watch broke: the next rescan starts a new one.
        o.log.warn({ err: e.message, dir }, 'watching the SEM spool folder failed; relying on the periodic rescan');
        watcher?.close();
        watcher = undefined;
      });
    } catch (e) {
      o.log.warn({ err: (e as Error).message, dir }, 'cannot watch the SEM spool folder; relying on the periodic rescan');
      watcher = undefined;
    }
  };

  start();
  const timer = setInterval(rescan, o.rescanMs);
  timer.unref();
  return {
    rescan,
    close() {
      closed = true;
      clearInterval(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
