// The text of a file from a byte offset on, at most `max` bytes ('' when the file is missing):
// what a crash left after a recorded size (im-log-feed.ts, spool/log-mark.ts).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export function readFrom(file: string, offset: number, max: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const len = Math.max(0, Math.min(fstatSync(fd).size - offset, max));
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, buf, got, len - got, offset + got);
      if (n <= 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
