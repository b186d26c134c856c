// `spool status`: what the spool folder holds, read from the folder itself (so another process —
// the CLI — sees the same as the server), plus what the server recorded in the journal's state
// row: messages delivered, and what keeps files waiting, if anything.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SpoolState } from '../../store/spool-journal.ts';
import { readBad } from './quarantine.ts';
import { LCK_NAME, lockNameOf, SEM_NAME } from './sem-file.ts';
import type { SpoolLayout } from './spool-layout.ts';

export interface SpoolStatus {
  dir: string;
  /** SEM files ready for delivery (no LCK). */
  pending: number;
  /** SEM files whose LCK still exists (the writer is at work, or left a stale lock). */
  locked: number;
  /** Lock files whose SEM file does not exist (yet). */
  lockOnly: number;
  /** Files claimed and being delivered (work/). */
  inProgress: number;
  /** Files in bad/ (each with a `.reason`). */
  bad: number;
  /** How long the oldest pending file has waited, in seconds (null: none waits). */
  oldestPendingSeconds: number | null;
  /** Other files in the spool folder, which are never read (first few names, and how many). */
  ignored: { count: number; names: string[] };
  /** Messages delivered from the spool since the database was made (null: never ran). */
  delivered: number | null;
  lastDeliveredAt: string | null;
  /** What keeps files waiting (null: nothing known). */
  problem: string | null;
  /** The most recently quarantined files and why. */
  lastErrors: { file: string; reason: string; at: string }[];
}

const SHOW_IGNORED = 5;

export function readSpoolStatus(layout: SpoolLayout, o: { state?: SpoolState | undefined; problem?: string | null; lastErrors?: number; now?: number } = {}): SpoolStatus {
  const now = o.now ?? Date.now();
  const names = readdirSync(layout.root);
  const present = new Set(names);
  let pending = 0;
  let locked = 0;
  let lockOnly = 0;
  let oldest: number | undefined;
  const ignored: string[] = [];
  for (const n of names) {
    if (SEM_NAME.test(n)) {
      if (present.has(lockNameOf(n))) {
        locked++;
        continue;
      }
      pending++;
      try {
        const t = statSync(path.join(layout.root, n)).mtimeMs;
        oldest = oldest === undefined ? t : Math.min(oldest, t);
      } catch {
        // Taken while we looked.
      }
    } else if (LCK_NAME.test(n)) {
      if (!present.has(`${n.slice(0, -4)}.SEM`)) lockOnly++;
    } else if (n !== 'work' && n !== 'bad') ignored.push(n);
  }
  let inProgress = 0;
  try {
    inProgress = readdirSync(layout.work).length;
  } catch {
    // No work/ yet: nothing in progress.
  }
  const bad = readBad(layout.bad, o.lastErrors ?? 5);
  return {
    dir: layout.root,
    pending,
    locked,
    lockOnly,
    inProgress,
    bad: bad.count,
    oldestPendingSeconds: oldest === undefined ? null : Math.max(0, Math.round((now - oldest) / 1000)),
    ignored: { count: ignored.length, names: ignored.sort().slice(0, SHOW_IGNORED) },
    delivered: o.state?.delivered ?? null,
    lastDeliveredAt: o.state?.lastDeliveredAt ? new Date(o.state.lastDeliveredAt).toISOString() : null,
    problem: o.problem !== undefined ? o.problem : (o.state?.problem ?? null),
    lastErrors: bad.recent.map((b) => ({ file: b.name, reason: b.reason, at: new Date(b.at).toISOString() })),
  };
}
