// Writing a SEM file the way the spool expects a script to (the LCK protocol): create
// IM-<n>.LCK exclusively (no other writer has that number), write IM-<n>.SEM and flush it to
// disk, then delete the LCK — only then may the gateway read the file. Used by
// `herald-gateway im send`, and it works whether or not the gateway runs: the file waits.
import { randomInt } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { formatSemFile, type SemMessage } from './sem-file.ts';

/** Writes `m` into the spool folder `dir`; returns the SEM file's name. */
export function writeSemFile(dir: string, m: SemMessage): string {
  for (let attempt = 0; ; attempt++) {
    // Time first, so names sort roughly by when they were written; the random tail keeps two
    // writers in the same millisecond apart (and the exclusive LCK settles any tie).
    const base = `IM-${Date.now()}${String(randomInt(1000)).padStart(3, '0')}`;
    const lck = path.join(dir, `${base}.LCK`);
    const sem = path.join(dir, `${base}.SEM`);
    let lockFd: number;
    try {
      lockFd = openSync(lck, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 100) continue;
      throw e;
    }
    closeSync(lockFd);
    try {
      if (existsSync(sem)) continue; // that number is taken by a file not yet delivered
      const fd = openSync(sem, 'wx', 0o600);
      let written = false;
      try {
        const buf = formatSemFile(m);
        let done = 0;
        while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
        fsyncSync(fd);
        written = true;
      } finally {
        closeSync(fd);
        // A half-written file must never be left unlocked: the gateway would read it.
        if (!written) unlinkSync(sem);
      }
      return `${base}.SEM`;
    } finally {
      unlinkSync(lck);
    }
  }
}
