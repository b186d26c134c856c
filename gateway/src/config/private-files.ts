// Private at rest: the data folder holds password hashes, SCRAM keys, message archives, the TLS and
// signing keys. The gateway makes it 0700 and its files 0600 (cli.ts sets umask 077, and files that
// hold secrets are opened with an explicit mode besides); this finds what an admin made wider.
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface WideEntry {
  path: string;
  /** Permission bits, e.g. 0o755. */
  mode: number;
  dir: boolean;
}

/**
 * Entries under (and including) `root` that group or others may read, write or enter; at most `max`,
 * walking at most `limit` entries, and not inside `skip` (folders of public things, e.g. the generic builds).
 */
export function widePermissions(root: string, o: { max?: number; limit?: number; skip?: string[] } = {}): WideEntry[] {
  const skip = new Set((o.skip ?? []).map((p) => path.resolve(p)));
  const max = o.max ?? 20;
  let budget = o.limit ?? 20_000;
  const found: WideEntry[] = [];
  const walk = (p: string) => {
    if (found.length >= max || budget-- <= 0 || skip.has(p)) return;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) return; // a link's own mode means nothing; its target is the admin's
    const mode = st.mode & 0o777;
    if (mode & 0o077) found.push({ path: p, mode, dir: st.isDirectory() });
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(p);
    } catch {
      return;
    }
    for (const n of names) walk(path.join(p, n));
  };
  walk(root);
  return found;
}

export const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
