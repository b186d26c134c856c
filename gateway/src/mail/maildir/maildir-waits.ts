// Users whose Maildir does not exist yet (nothing delivered) wait here for it to appear, at no
// cost per user: they share one watch on the nearest existing directory INSIDE the Maildir root
// prefix (the template's fixed part: `%data%/mail` for `%data%/mail/%d/%n`, `/var/vmail` for
// `/var/vmail/%d/%n`) — never the data folder or anything above the prefix, where every SQLite
// write would wake them. An event is dispatched by the created entry's name, so a new
// `<prefix>/example.com/` moves only example.com's waiters one level down (one stat), and only
// the user whose own directory appeared is woken (to read it).
import { statSync } from 'node:fs';
import path from 'node:path';
import type { DirWatch, DirWatches } from './dir-watches.ts';

interface Waiter {
  root: string;
  wake: () => void;
  /** Where it waits now: the watched directory and the next path component towards `root`. */
  at: Spot | undefined;
  child: string;
}

interface Spot {
  dir: string;
  watch: DirWatch;
  byChild: Map<string, Set<Waiter>>;
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** `inner` is `outer` or below it. */
const within = (outer: string, inner: string) => {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/**
 * The directory part of a root template before its first per-user placeholder, resolved: the
 * only tree a Maildir can appear in. A template without placeholders is one fixed Maildir.
 */
export function maildirPrefix(template: string, dataDir: string): string {
  const t = template.replaceAll('%data%', dataDir);
  const cut = Math.min(...['%d', '%n', '%u'].map((p) => (t.includes(p) ? t.indexOf(p) : t.length)));
  if (cut === t.length) return path.resolve(t);
  const head = t.slice(0, cut);
  return head.endsWith('/') ? path.resolve(head) : path.dirname(path.resolve(head));
}

export function createMaildirWaits({ prefix, dirs, pollMs }: { prefix: string; dirs: DirWatches; pollMs: number }) {
  const spots = new Map<string, Spot>();
  /** Waiters for which not even the prefix exists: one shared stat every pollMs looks for it. */
  const homeless = new Set<Waiter>();
  let poll: NodeJS.Timeout | undefined;
  /** Users woken so far (each then reads its root once). */
  let wakes = 0;

  const leave = (w: Waiter) => {
    homeless.delete(w);
    const s = w.at;
    if (!s) return;
    w.at = undefined;
    const set = s.byChild.get(w.child);
    set?.delete(w);
    if (set?.size === 0) s.byChild.delete(w.child);
    if (s.byChild.size === 0) {
      spots.delete(s.dir);
      s.watch.close();
    }
  };

  const wakeLater = (w: Waiter) => {
    wakes++;
    setImmediate(w.wake);
  };

  /** Attaches `w` under `dir` (an existing directory inside the prefix); false if it cannot be watched. */
  const attach = (w: Waiter, dir: string): boolean => {
    let s = spots.get(dir);
    if (!s) {
      const watch = dirs.watch(dir, (file) => onEvent(dir, file));
      if (!watch) return false;
      s = { dir, watch, byChild: new Map() };
      spots.set(dir, s);
    }
    w.at = s;
    w.child = path.relative(dir, w.root).split(path.sep)[0]!;
    let set = s.byChild.get(w.child);
    if (!set) s.byChild.set(w.child, (set = new Set()));
    set.add(w);
    return true;
  };

  /** Finds the nearest existing directory on the way to `w.root`, from `from` (inclusive) up to the prefix. */
  const place = (w: Waiter, from: string) => {
    for (let dir = from; within(prefix, dir); dir = path.dirname(dir)) {
      if (!isDir(dir) || !attach(w, dir)) continue;
      // The next step may have been made between the stat and the watch: look once more.
      const next = path.join(dir, w.child);
      if (next === w.root) {
        if (isDir(next)) {
          leave(w);
          wakeLater(w);
        }
      } else if (isDir(next)) {
        leave(w);
        place(w, path.dirname(w.root));
      }
      return;
    }
    homeless.add(w);
    poll ??= setInterval(() => {
      if (!isDir(prefix)) return;
      clearInterval(poll);
      poll = undefined;
      for (const h of [...homeless]) {
        homeless.delete(h);
        if (h.root === prefix) wakeLater(h);
        else place(h, path.dirname(h.root));
      }
    }, pollMs).unref();
  };

  const onEvent = (dir: string, file: string | null) => {
    const s = spots.get(dir);
    if (!s) return;
    // Names nobody waits for (herald.db-wal when the prefix is the data folder itself, another
    // domain's mail) cost nothing, not even a stat. The watched directory's own removal comes
    // with its own name (inotify's IN_DELETE_SELF, reported by libuv as the basename).
    if (file !== null && s.watch.alive && !s.byChild.has(file) && file !== path.basename(dir)) return;
    if (file === null || !s.watch.alive || !isDir(dir)) {
      // Watch lost or directory gone (or the kernel did not say what changed): everyone here looks again.
      const all = [...s.byChild.values()].flatMap((set) => [...set]);
      for (const w of all) leave(w);
      for (const w of all) place(w, path.dirname(w.root));
      return;
    }
    const set = s.byChild.get(file);
    if (!set) return; // not on anyone's way (another domain's mail, a stray file)
    const next = path.join(dir, file);
    if (!isDir(next)) return; // deleted or renamed away, or a plain file: keep waiting
    for (const w of [...set]) {
      leave(w);
      if (next === w.root) wakeLater(w);
      else place(w, path.dirname(w.root));
    }
  };

  return {
    /**
     * Calls `wake` once when `root` (missing now) appears — or when it may have: the caller
     * re-reads and waits again if it is still missing. Returns the cancel function.
     */
    wait(root: string, wake: () => void): () => void {
      const w: Waiter = { root, wake, at: undefined, child: '' };
      if (within(prefix, root)) place(w, path.dirname(root));
      return () => {
        leave(w);
        if (homeless.size === 0 && poll) {
          clearInterval(poll);
          poll = undefined;
        }
      };
    },
    wakes: () => wakes,
    /** Users waiting now, for tests and status. */
    waiting: () => [...spots.values()].reduce((n, s) => n + [...s.byChild.values()].reduce((m, set) => m + set.size, 0), 0) + homeless.size,
    close() {
      clearInterval(poll);
      for (const s of spots.values()) s.watch.close();
      spots.clear();
      homeless.clear();
    },
  };
}
export type MaildirWaits = ReturnType<typeof createMaildirWaits>;
