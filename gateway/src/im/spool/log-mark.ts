// The central IM log as the spool's witness after a crash. A delivery writes its log line, then
// commits its journal row together with the log's size at that moment (the mark). So after a
// kill -9, a log line of a scripted message AFTER the mark and written before the restart can
// only belong to the one delivery that was cut between logging and committing — found here, its
// file is delivered without a second log line. Lines of one process are appended by synchronous
// write(2) calls in order (im-log.ts), so "after the mark" is: the rest of the mark's day file
// from the mark's offset, then the files of later days.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SpoolLogMark } from '../../store/index.ts';
import { IM_LOG_FILE, imLogFileName, parseImLogLine, utcDay } from '../im-log.ts';
import { readFrom } from '../read-from.ts';

/** What is read of one log file after the mark: the line sought follows the mark closely. */
const MAX_READ = 16 * 1024 * 1024;

/** Where the central IM log ends now. */
export function currentLogMark(logDir: string, now = new Date()): SpoolLogMark {
  const day = utcDay(now);
  try {
    return { day, offset: statSync(path.join(logDir, imLogFileName(day))).size };
  } catch {
    return { day, offset: 0 };
  }
}

/** A scripted message as the log shows it. */
export const logKey = (from: string, to: string, body: string) => `${from}\u0000${to}\u0000${body}`;

/**
 * The scripted messages logged after `mark` and before `before` (ms since the epoch: this
 * process's start), counted by logKey(). Malformed lines are skipped.
 */
export function scriptedLinesAfter(logDir: string, mark: SpoolLogMark, before: number): Map<string, number> {
  const found = new Map<string, number>();
  let days: string[] = [];
  try {
    days = readdirSync(logDir)
      .map((f) => IM_LOG_FILE.exec(f)?.[1])
      .filter((d): d is string => d !== undefined && d >= mark.day)
      .sort();
  } catch {
    return found;
  }
  for (const day of days) {
    const text = readFrom(path.join(logDir, imLogFileName(day)), day === mark.day ? mark.offset : 0, MAX_READ);
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const l = parseImLogLine(line);
        if (l.type !== 'scripted' || l.time.getTime() >= before) continue;
        const k = logKey(l.from, l.to, l.body);
        found.set(k, (found.get(k) ?? 0) + 1);
      } catch {
        // A torn or foreign line: not ours.
      }
    }
  }
  return found;
}
