// bad/: where a SEM file the gateway cannot deliver waits for an admin, with `<name>.reason`
// beside it (one line: what is wrong). Nothing is dropped silently: to try a file again, fix it
// and move it back into the spool folder.
// Order of a quarantine: the reason is written first, then the file is renamed into bad/. A crash
// between the two leaves the file in work/ (it is processed again at start) and a `.reason`
// without its file, which sweepOrphanReasons() removes at start.
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const REASON_SUFFIX = '.reason';

/** A name in bad/ that is free for `original` and its reason: IM-7.SEM, else IM-7~1.SEM, IM-7~2.SEM… */
function freeName(bad: string, original: string): string {
  const taken = (n: string) => existsSync(path.join(bad, n)) || existsSync(path.join(bad, n + REASON_SUFFIX));
  if (!taken(original)) return original;
  const dot = original.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [original.slice(0, dot), original.slice(dot)] : [original, ''];
  for (let k = 1; ; k++) {
    const n = `${stem}~${k}${ext}`;
    if (!taken(n)) return n;
  }
}

/** Moves `file` into bad/ as `original` (or a free variant) with its reason; returns the name used. */
export function quarantine(bad: string, file: string, original: string, reason: string): string {
  const name = freeName(bad, original);
  // One line: a reason is for `cat` and `spool status`, and never spans lines.
  writeFileSync(path.join(bad, name + REASON_SUFFIX), `${reason.replace(/[\r\n]+/g, ' ')}\n`, { mode: 0o600 });
  renameSync(file, path.join(bad, name));
  // A script's file keeps its own mode through the rename; what the gateway keeps is private.
  tighten(path.join(bad, name));
  return name;
}

/** Removes `.reason` files whose file is gone (a quarantine cut short, or an admin took the file back). */
export function sweepOrphanReasons(bad: string): number {
  let n = 0;
  const names = new Set(readdirSync(bad));
  for (const r of names) {
    if (!r.endsWith(REASON_SUFFIX) || names.has(r.slice(0, -REASON_SUFFIX.length))) continue;
    try {
      unlinkSync(path.join(bad, r));
      n++;
    } catch {
      // Gone already, or not ours to remove: harmless either way.
    }
  }
  return n;
}

export interface BadFile {
  /** Its name in bad/. */
  name: string;
  reason: string;
  /** When it was quarantined (the reason file's time), ms since the epoch. */
  at: number;
}

/** The files in bad/ (not counting reasons), and the `last` most recent with their reasons. */
export function readBad(bad: string, last: number): { count: number; recent: BadFile[] } {
  let names: string[];
  try {
    names = readdirSync(bad);
  } catch {
    return { count: 0, recent: [] };
  }
  const files = names.filter((n) => !n.endsWith(REASON_SUFFIX));
  const withTime: { name: string; at: number }[] = [];
  for (const name of files) {
    try {
      withTime.push({ name, at: statSync(path.join(bad, name + REASON_SUFFIX)).mtimeMs });
    } catch {
      withTime.push({ name, at: 0 });
    }
  }
  withTime.sort((a, b) => b.at - a.at || (a.name < b.name ? 1 : -1));
  const recent = withTime.slice(0, last).map(({ name, at }) => {
    let reason = '(no reason file)';
    try {
      reason = readFileSync(path.join(bad, name + REASON_SUFFIX), 'utf8').split('\n')[0]!.trim() || reason;
    } catch {
      // Shown as missing.
    }
    return { name, reason, at };
  });
  return { count: files.length, recent };
}

/** chmod 600, best effort: a file owned by another user (a script's) cannot be changed by us, and stays readable to its owner anyway. */
export function tighten(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch {
    // not ours to change
  }
}
