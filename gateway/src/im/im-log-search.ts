// Finds lines in the central IM log by user, date range and text, reading only the days in
// range, line by line (a day's log may be large), oldest first.
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseImLogLine, type ImLogLine } from './im-log.ts';

export interface ImLogQuery {
  dir: string;
  /** Bare address; matches sender or recipient (any resource, room occupants by room JID). */
  user?: string | undefined;
  /** UTC days, inclusive: YYYY-MM-DD. */
  since?: string | undefined;
  until?: string | undefined;
  /** Case-insensitive substring of the body. */
  text?: string | undefined;
}

const FILE = /^XMPPServer-(\d{4}-\d{2}-\d{2})\.log$/;
const bare = (jid: string) => jid.split('/')[0]!.toLowerCase();

export async function* searchImLog(q: ImLogQuery, stats = { malformed: 0 }): AsyncGenerator<ImLogLine> {
  const names = await readdir(q.dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  const days = names
    .map((n) => FILE.exec(n)?.[1])
    .filter((d): d is string => !!d && (!q.since || d >= q.since) && (!q.until || d <= q.until))
    .sort();
  const user = q.user?.toLowerCase();
  const text = q.text?.toLowerCase();
  for (const day of days) {
    const rl = createInterface({ input: createReadStream(path.join(q.dir, `XMPPServer-${day}.log`), 'utf8'), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line) continue;
      const entry = parseImLogLine(line);
      if (!entry) {
        stats.malformed++;
        continue;
      }
      if (user && bare(entry.from) !== user && bare(entry.to) !== user) continue;
      if (text && !entry.body.toLowerCase().includes(text)) continue;
      yield entry;
    }
  }
}
