// Searching the central IM log (PRODUCT.md: admins "read the central IM log";
// `herald-gateway log search`) by user, date and text.
//
// Only the files whose UTC day lies in the range are opened — the writer puts every line in the
// file of its own UTC day (im-log.ts), so the name alone says what a file can hold — and they are
// streamed line by line: a busy day's log can be gigabytes. Files are read oldest day first and
// each file is in append order, so results come in time order (as long as the system clock did
// not step back while writing). A line that does not parse is skipped and reported through
// onMalformed, never fatal: one torn or hand-edited line must not hide a month of messages.
import { createReadStream, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { HeraldError } from '../protocol/errors.ts';
import { IM_LOG_FILE, ImLogLineError, parseImLogLine, utcDay, type ImLogLine } from './im-log.ts';

export interface MalformedImLogLine {
  file: string;
  /** 1-based line number in that file. */
  line: number;
  reason: string;
}

export interface ImLogQuery {
  dir: string;
  /**
   * A bare address (`alice@example.com`, `room@conference.example.com`) matches a message from or
   * to any of its resources / room nicks; with a resource (`alice@example.com/laptop`) only that
   * one. Case-insensitive for the bare part (addresses are, RFC 7622 §3.2–3.3); resources as written.
   */
  user?: string;
  /** From this instant on (inclusive). */
  since?: Date;
  /** Up to this instant (exclusive): `until` = the next midnight includes the whole day. */
  until?: Date;
  /** Case-insensitive substring of the body. */
  text?: string;
  onMalformed?: (m: MalformedImLogLine) => void;
}

/** The log files that can hold messages in [since, until), oldest day first, as full paths. */
export function imLogFiles({ dir, since, until }: Pick<ImLogQuery, 'dir' | 'since' | 'until'>): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []; // no message logged yet
    throw new HeraldError('internal', `cannot read the IM log folder ${dir}: ${(e as Error).message}`);
  }
  const first = since && utcDay(since);
  const last = until && utcDay(new Date(until.getTime() - 1));
  return names
    .map((name) => ({ name, day: IM_LOG_FILE.exec(name)?.[1] }))
    .filter((f): f is { name: string; day: string } => f.day !== undefined && (!first || f.day >= first) && (!last || f.day <= last))
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))
    .map((f) => path.join(dir, f.name));
}

const splitJid = (jid: string) => {
  const slash = jid.indexOf('/'); // RFC 7622 §3.1: the resource starts at the first slash
  return slash < 0 ? { bare: jid.toLowerCase(), resource: undefined } : { bare: jid.slice(0, slash).toLowerCase(), resource: jid.slice(slash + 1) };
};

function userMatcher(user: string): (jid: string) => boolean {
  const want = splitJid(user.trim());
  return (jid) => {
    const got = splitJid(jid);
    return got.bare === want.bare && (want.resource === undefined || got.resource === want.resource);
  };
}

/** The messages that match every given criterion, in time order. */
export async function* searchImLog(q: ImLogQuery): AsyncGenerator<ImLogLine> {
  const isUser = q.user ? userMatcher(q.user) : undefined;
  const text = q.text ? q.text.toLowerCase() : undefined;
  for (const file of imLogFiles(q)) {
    const input = createReadStream(file, { encoding: 'utf8' });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const line of lines) {
        n++;
        if (!line) continue; // the newline written after a torn line (im-log.ts) leaves none
        let e: ImLogLine;
        try {
          e = parseImLogLine(line);
        } catch (err) {
          if (!(err instanceof ImLogLineError)) throw err;
          q.onMalformed?.({ file, line: n, reason: err.message });
          continue;
        }
        if (q.since && e.time < q.since) continue;
        if (q.until && e.time >= q.until) continue;
        if (isUser && !isUser(e.from) && !isUser(e.to)) continue;
        if (text && !e.body.toLowerCase().includes(text)) continue;
        yield e;
      }
    } catch (e) {
      // The file went away between listing and reading (deleted by an admin): nothing to find there.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if (e instanceof HeraldError || e instanceof ImLogLineError) throw e;
      throw new HeraldError('internal', `cannot read ${file}: ${(e as Error).message}`);
    } finally {
      // Also when the caller stops early (break out of for await): no open file left behind.
      lines.close();
      input.destroy();
    }
  }
}
