// New mail from two sources, reconciled into exactly one alert per message:
//  - `mail` alerts pushed by the gateway (sender, subject, uid): the gateway sends each once,
//    but only to sockets open at that moment;
//  - folder counts (push or poll): mail that arrived while this app was asleep, stopped or only
//    polling shows up as more `total` and more `unread` than last seen.
// Per folder, the last seen counts and the keys of recently alerted messages (uid + date) are
// persisted through Storage, so a restart or a reconnect neither repeats an alert nor misses
// one. Count increases wait `graceMs` for the pushed alerts that explain them (the gateway sends
// `folders` just before `mail`); whatever is left unexplained becomes one "missed" alert for the
// folder. Arrivals = min(Δtotal, Δunread): acknowledging, reading or deleting never counts.
import { z } from 'zod';
import type { Folder, MailAlert } from '../../../../gateway/src/protocol/api.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Storage } from '../ports/storage.ts';

export const MAIL_STATE_FILE = 'mail-state.json';
/** Alert keys remembered per folder (far more than one reconnect can repeat). */
const RECENT_MAX = 500;

export type AlertItem = { kind: 'mail'; alert: MailAlert } | { kind: 'missed'; folder: string; count: number };

const MarkSchema = z.object({
  /** Counts last accounted for; -1 = not known yet (an alert came before the first snapshot). */
  total: z.number().int(),
  unread: z.number().int(),
  recent: z.array(z.string()).max(RECENT_MAX),
  /** Arrivals seen in counts, not yet explained by an alert. */
  pending: z.number().int().nonnegative(),
});
const StateSchema = z.object({ v: z.literal(1), user: z.string(), folders: z.record(z.string(), MarkSchema) });
type State = z.infer<typeof StateSchema>;

export interface MailMonitor {
  /** Loads the persisted marks of this user (another user's are dropped). */
  load(user: string): Promise<void>;
  snapshot(folders: Folder[]): void;
  alert(alert: MailAlert): void;
  /** Resolves when everything so far is on disk. */
  flush(): Promise<void>;
  /** Stops timers (pending arrivals stay persisted and are resolved after the next load). */
  stop(): Promise<void>;
  /** Why the persisted state could not be used at load, if it could not. */
  readonly problem: string | undefined;
}

export const alertKey = (a: MailAlert) => `${a.uid}|${a.date}`;

export function createMailMonitor({ storage, clock, graceMs = 3000, onAlert }: { storage: Storage; clock: Clock; graceMs?: number; onAlert: (item: AlertItem) => void }): MailMonitor {
  let state: State = { v: 1, user: '', folders: {} };
  let problem: string | undefined;
  const timers = new Map<string, TimerHandle>();
  /** Alerts that came before the counts that include them (per folder), forgotten after graceMs. */
  const credit = new Map<string, { n: number; timer: TimerHandle }>();
  let stopped = false;

  // Saves coalesce: at most one write in flight, and one more after it with the latest state.
  let writing: Promise<void> | undefined;
  let dirty = false;
  const save = () => {
    dirty = true;
    if (writing) return;
    writing = (async () => {
      while (dirty) {
        dirty = false;
        await storage.write(MAIL_STATE_FILE, JSON.stringify(state)).catch((e: Error) => (problem = `cannot save ${MAIL_STATE_FILE}: ${e.message}`));
      }
      writing = undefined;
    })();
  };

  const resolvePending = (path: string) => {
    timers.delete(path);
    const m = state.folders[path];
    if (!m || m.pending === 0 || stopped) return;
    const count = m.pending;
    m.pending = 0;
    save();
    onAlert({ kind: 'missed', folder: path, count });
  };
  const armPending = (path: string) => {
    if (!timers.has(path)) timers.set(path, clock.setTimeout(() => resolvePending(path), graceMs));
  };

  return {
    get problem() {
      return problem;
    },

    async load(user) {
      stopped = false;
      problem = undefined;
      state = { v: 1, user, folders: {} };
      const text = await storage.read(MAIL_STATE_FILE);
      if (text !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const r = StateSchema.safeParse(parsed);
        if (!r.success) problem = `${MAIL_STATE_FILE} was unreadable; counting starts afresh (mail that arrived while Herald was off is not alerted this once)`;
        else if (r.data.user === user) state = r.data;
      }
      for (const [path, m] of Object.entries(state.folders)) if (m.pending > 0) armPending(path);
    },

    snapshot(folders) {
      const present = new Set<string>();
      let changed = false;
      for (const f of folders) {
        present.add(f.path);
        const m = state.folders[f.path];
        if (!m || m.total < 0) {
          // First sight of the folder: what is in it now is not news (the gateway does the same).
          state.folders[f.path] = { total: f.total, unread: f.unread, recent: m?.recent ?? [], pending: m?.pending ?? 0 };
          changed = true;
          continue;
        }
        if (m.total === f.total && m.unread === f.unread) continue;
        let arrivals = Math.max(0, Math.min(f.total - m.total, f.unread - m.unread));
        m.total = f.total;
        m.unread = f.unread;
        changed = true;
        const c = credit.get(f.path);
        if (c && arrivals > 0) {
          const used = Math.min(c.n, arrivals);
          c.n -= used;
          arrivals -= used;
        }
        if (arrivals > 0) {
          m.pending += arrivals;
          armPending(f.path);
        }
      }
      // A folder that went away forgets its marks: recreated, its uids start again.
      for (const path of Object.keys(state.folders)) {
        if (present.has(path)) continue;
        delete state.folders[path];
        clock.clearTimeout(timers.get(path));
        timers.delete(path);
        changed = true;
      }
      if (changed) save();
    },

    alert(a) {
      let m = state.folders[a.folder];
      if (!m) m = state.folders[a.folder] = { total: -1, unread: -1, recent: [], pending: 0 };
      const key = alertKey(a);
      if (m.recent.includes(key)) return; // already alerted: a repeat after reconnect or restart
      m.recent.push(key);
      if (m.recent.length > RECENT_MAX) m.recent.splice(0, m.recent.length - RECENT_MAX);
      if (m.pending > 0) {
        m.pending--;
        if (m.pending === 0) {
          clock.clearTimeout(timers.get(a.folder));
          timers.delete(a.folder);
        }
      } else if (m.total >= 0) {
        const c = credit.get(a.folder);
        clock.clearTimeout(c?.timer);
        credit.set(a.folder, { n: (c?.n ?? 0) + 1, timer: clock.setTimeout(() => credit.delete(a.folder), graceMs) });
      }
      save();
      onAlert({ kind: 'mail', alert: a });
    },

    async flush() {
      while (writing) await writing;
    },

    async stop() {
      stopped = true;
      for (const t of timers.values()) clock.clearTimeout(t);
      timers.clear();
      for (const c of credit.values()) clock.clearTimeout(c.timer);
      credit.clear();
      while (writing) await writing;
    },
  };
}
