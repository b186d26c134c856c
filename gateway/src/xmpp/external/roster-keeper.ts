// xmpp.mode=external: `serve` keeps ejabberd's shared roster (ejabberd-roster.ts) in step by itself.
// main.ts calls changed() whenever users, domains, domain links or the IM switch may have changed —
// here (the directory's change hook) or in another process (the CLI, seen by the data_version poll).
//
// A burst of changes (a script adding 500 users) makes one sync after it: a sync starts once no
// change came for `quietMs` (but at the latest `maxWaitMs` after the first one), never two at once;
// changes during a sync make one more sync after it. A failed sync (ejabberd down, restarting) is
// retried with doubling back-off up to `maxRetryMs`, logged once per outage and once when it ends.
import type { RosterSync } from './ejabberd-roster.ts';

interface Log {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export interface RosterKeeperStatus {
  /** Changes reported (each call of changed()). */
  changes: number;
  /** Syncs started (successful or not). */
  runs: number;
  lastSync: { at: string; ms: number; result: RosterSync } | null;
  /** The last failure while the outage lasts; null once a sync succeeded. */
  error: string | null;
}

export interface RosterKeeper {
  changed(): void;
  status(): RosterKeeperStatus;
  /** Resolves once no change is pending, no sync runs and the last one succeeded. */
  inStep(): Promise<void>;
  close(): Promise<void>;
}

export function createRosterKeeper(o: { sync: () => Promise<RosterSync>; log: Log; quietMs?: number; maxWaitMs?: number; firstRetryMs?: number; maxRetryMs?: number }): RosterKeeper {
  // Longer than serve's directory poll (1 s): a CLI burst is seen as one change per poll tick.
  const quietMs = o.quietMs ?? 2_000;
  const maxWaitMs = o.maxWaitMs ?? 10_000;
  const firstRetryMs = o.firstRetryMs ?? 1_000;
  const maxRetryMs = o.maxRetryMs ?? 30_000;
  let dirtySince: number | undefined; // first change not yet in a started sync
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let retryMs = 0; // > 0 while failing
  let closed = false;
  let waiters: (() => void)[] = [];
  const st: RosterKeeperStatus = { changes: 0, runs: 0, lastSync: null, error: null };

  const settled = () => dirtySince === undefined && !running && st.error === null;
  const wake = () => {
    if (!settled()) return;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const arm = (ms: number) => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      start();
    }, ms);
    timer.unref();
  };
  const start = () => {
    if (closed || running || dirtySince === undefined) return;
    dirtySince = undefined;
    st.runs++;
    const t0 = Date.now();
    running = o.sync().then(
      (result) => {
        st.lastSync = { at: new Date().toISOString(), ms: Date.now() - t0, result };
        if (st.error !== null) o.log.info({ ...result, ms: st.lastSync.ms }, 'ejabberd shared roster in step again');
        st.error = null;
        retryMs = 0;
        const n = result.membersAdded + result.membersRemoved + result.groupsDeleted;
        if (n) o.log.info({ ...result, ms: st.lastSync.ms }, `ejabberd shared roster in step: ${result.membersAdded} member(s) added, ${result.membersRemoved} removed`);
      },
      (err: unknown) => {
        const msg = (err as Error).message;
        if (st.error === null) o.log.warn({ err: msg }, 'ejabberd shared roster could not be put in step: retrying with back-off (logged again once it is)');
        st.error = msg;
        retryMs = retryMs ? Math.min(maxRetryMs, retryMs * 2) : firstRetryMs;
        dirtySince ??= Date.now();
      },
    );
    void running.then(() => {
      running = undefined;
      // What changed meanwhile (or the failed sync itself) goes again: after the back-off while failing.
      if (dirtySince !== undefined) arm(retryMs || quietMs);
      wake();
    });
  };

  return {
    changed() {
      if (closed) return;
      st.changes++;
      const now = Date.now();
      dirtySince ??= now;
      if (running) return; // its end arms the timer
      if (retryMs && timer) return; // failing: the back-off decides when
      // Debounce: the burst's last change + quietMs, but no later than maxWaitMs after its first.
      arm(Math.max(0, Math.min(quietMs, dirtySince + maxWaitMs - now)));
    },
    status: () => ({ ...st }),
    inStep: () => (settled() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
