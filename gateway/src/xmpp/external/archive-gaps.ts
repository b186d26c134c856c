// Which archive rows the central IM log may take, when ids can become visible out of order
// (PostgreSQL: pg-archive.ts). A sequence hands out ids when a transaction inserts, not when it
// commits: the transaction that took 101 may commit after the one that took 102. Reading `id >
// cursor` and moving the cursor to 102 would pass 101 for good. So rows are taken only up to the
// first GAP (an id missing below a visible one); the cursor stops there, so nothing after the gap is
// logged before it and the exactly-once protocol of im/im-log-feed.ts (one cursor, one pending
// batch) stays as it is — no list of logged ids to keep across crashes.
//
// A gap can be permanent: a rolled-back insert (ejabberd's node killed mid-transaction, a failed
// insert), ids a crashed PostgreSQL skipped (a sequence is WAL-logged 32 values ahead), a value
// taken by hand. A gap that has been there for `graceMs` (xmpp.external.archiveGapGraceMs) is given
// up: the rows after it are taken. The time counts from when the tail first saw each missing id
// missing (a row above it visible), so a gap that shrinks (101 commits, 100 is still missing) does
// not start its wait again.
//
// Why not PostgreSQL's transaction ids (take rows whose xmin is older than every running
// transaction, pg_snapshot_xmin): an insert takes its id from the sequence BEFORE its transaction
// has an xid (nextval assigns none, except every 32nd value), so a transaction still running can
// hold a lower id and get a HIGHER xid than a row already committed; and rows could then be taken
// late only by remembering them all. Waiting for the gap is exact in the common case (it fills in
// milliseconds) and bounded in the rare one.

/** A run of ids first seen missing at `since` (ms). */
interface Missing {
  from: number;
  to: number;
  since: number;
}

export interface GapTake<R> {
  /** The rows the log may take now, in id order. */
  rows: R[];
  /** The cursor after them: the last row's id, or the end of a gap given up with no row after it taken. */
  upto: number;
  /** The gap the cursor waits at (ids from..to), or null. */
  waiting: { from: number; to: number; sinceMs: number } | null;
  /** Gaps given up in this take. */
  gaveUp: { from: number; to: number }[];
}

export function createGapTracker(o: { graceMs: number; now?: () => number }) {
  const now = o.now ?? Date.now;
  let missing: Missing[] = [];

  /** The earliest time every id of from..to has been missing since (marking ids seen missing now). */
  const missingSince = (from: number, to: number, t: number): number => {
    let latest = -Infinity;
    let next = from;
    const added: Missing[] = [];
    for (const m of missing.filter((x) => x.to >= from && x.from <= to).sort((a, b) => a.from - b.from)) {
      if (m.from > next) {
        added.push({ from: next, to: m.from - 1, since: t });
        latest = t;
      }
      latest = Math.max(latest, m.since);
      next = Math.max(next, m.to + 1);
    }
    if (next <= to) {
      added.push({ from: next, to, since: t });
      latest = t;
    }
    missing.push(...added);
    return latest;
  };

  return {
    /** `rows`: ids ascending, all > `after` (the cursor). */
    take<R extends { id: number }>(after: number, rows: readonly R[]): GapTake<R> {
      const t = now();
      const out: R[] = [];
      const gaveUp: { from: number; to: number }[] = [];
      let expected = after + 1;
      let waiting: GapTake<R>['waiting'] = null;
      let seen = after + 1;
      for (const r of rows) {
        if (r.id > seen) {
          // Every missing id's clock starts when it is first seen missing, behind the waited-for gap too.
          const since = missingSince(seen, r.id - 1, t);
          if (!waiting && t - since < o.graceMs) waiting = { from: seen, to: r.id - 1, sinceMs: since };
          else if (!waiting) gaveUp.push({ from: seen, to: r.id - 1 });
        }
        seen = r.id + 1;
        if (waiting) continue;
        out.push(r);
        expected = r.id + 1;
      }
      const upto = expected - 1;
      // Forget what lies at or below the cursor now.
      missing = missing.filter((m) => m.to > upto).map((m) => (m.from <= upto ? { ...m, from: upto + 1 } : m));
      return { rows: out, upto, waiting, gaveUp };
    },
    /** Runs of ids being waited for (for tests and the log). */
    missing: () => missing.map((m) => ({ ...m })),
  };
}
