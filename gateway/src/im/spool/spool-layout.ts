// The spool folder's layout:
//   <spool>/IM-<n>.SEM, IM-<n>.LCK   what writers drop (only the writer touches a locked file)
//   <spool>/work/<claim>             files the gateway claimed (renamed here, atomically) and is
//                                    delivering; a claim name is unique: <run>-<seq>-IM-<n>.SEM
//   <spool>/bad/IM-<n>.SEM + IM-<n>.SEM.reason   quarantined files and why
// work/ and bad/ sit inside the spool folder, so every move is a rename(2) within one file system.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export interface SpoolLayout {
  root: string;
  work: string;
  bad: string;
}

/** The spool folder from its setting (`%data%` = the data folder), absolute. */
export function spoolDirOf(template: string, dataDir: string): string {
  return path.resolve(template.replaceAll('%data%', dataDir));
}

export function spoolLayout(root: string): SpoolLayout {
  return { root, work: path.join(root, 'work'), bad: path.join(root, 'bad') };
}

/** Creates the spool folder with work/ and bad/ (what is there is kept). */
export function ensureSpoolLayout(root: string): SpoolLayout {
  const layout = spoolLayout(root);
  for (const dir of [layout.root, layout.work, layout.bad]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return layout;
}

const CLAIM = /^([0-9a-z]+)-(\d+)-(.+)$/;

/**
 * Names for claimed files: unique across restarts (the run part is the process start time), in
 * claim order when sorted, and the original name stays readable at the end.
 */
export function createClaimNamer(now = Date.now()): (original: string) => string {
  const run = now.toString(36);
  let seq = 0;
  return (original) => `${run}-${String(++seq).padStart(9, '0')}-${original}`;
}

/** The name a claimed file had in the spool folder. */
export const originalName = (claim: string): string => CLAIM.exec(claim)?.[3] ?? claim;

/** The stanza id of a claimed file's message: the same on every attempt, so a client can drop a duplicate. */
export const messageIdOf = (claim: string): string => {
  const m = CLAIM.exec(claim);
  return m ? `sem-${m[1]}-${m[2]}` : `sem-${claim.replace(/[^0-9A-Za-z.-]/g, '_')}`;
};
