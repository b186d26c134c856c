// What a stop — a crash included — left in the spool's work/ folder, sorted out at start (the
// protocol is in spool.ts's header): a file whose journal row has its hash was delivered and is
// only removed; the others are to be delivered, and the one whose log line follows the log mark
// (cut between logging and committing) is marked as logged, so it gets no second line.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { SpoolJournal } from '../../store/index.ts';
import { logKey, scriptedLinesAfter } from './log-mark.ts';
import { parseSemFile, type SemMessage } from './sem-file.ts';
import { originalName, type SpoolLayout } from './spool-layout.ts';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface UndecidedClaim {
  /** Its name in work/. */
  claim: string;
  /** Its name in the spool folder. */
  original: string;
  /** Its log line is written already. */
  logged: boolean;
}

/**
 * Sorts out work/: removes what was delivered (and forgets journal rows of files that are gone);
 * returns the claims still to deliver, in claim order. `startedAt`: this process's start — log
 * lines from after it are not the crashed process's.
 */
export function recoverClaims(o: { layout: SpoolLayout; journal: SpoolJournal; logDir: string; maxBytes: number; startedAt: number }): { delivered: number; undecided: UndecidedClaim[] } {
  const { layout, journal } = o;
  const claims = readdirSync(layout.work).sort();
  const inWork = new Set(claims);
  journal.forget(journal.names().filter((n) => !inWork.has(n)));
  const undecided: (UndecidedClaim & { message?: SemMessage })[] = [];
  let delivered = 0;
  for (const claim of claims) {
    const file = path.join(layout.work, claim);
    const row = journal.get(claim);
    let buf: Buffer | undefined;
    try {
      buf = readFileSync(file);
    } catch {
      // Unreadable: the delivery attempt says why, in bad/.
    }
    if (row && buf && sha256(buf) === row.hash) {
      unlinkSync(file);
      journal.forget([claim]);
      delivered++;
      continue;
    }
    let message: SemMessage | undefined;
    try {
      message = buf && parseSemFile(buf, { maxBytes: o.maxBytes });
    } catch {
      // Malformed: quarantined by the delivery attempt.
    }
    undecided.push({ claim, original: originalName(claim), logged: false, message });
  }
  const mark = journal.state();
  if (undecided.length && mark) {
    const lines = scriptedLinesAfter(o.logDir, mark, o.startedAt);
    for (const c of undecided) {
      const k = c.message && logKey(c.message.from, c.message.to, c.message.text);
      const n = k ? lines.get(k) : undefined;
      if (!n) continue;
      c.logged = true; // each line vouches for one file only
      lines.set(k!, n - 1);
    }
  }
  return { delivered, undecided: undecided.map(({ claim, original, logged }) => ({ claim, original, logged })) };
}
