// `herald-gateway log search`: the central IM log as an admin reads it (PRODUCT.md: admins
// "read the central IM log"). One readable line per message on stdout, so it pipes into grep,
// wc and less; the count and any skipped malformed lines on stderr, so they never mix with it.
import type { Settings } from '../config/schema.ts';
import { escapeImLogField, imLogDir } from '../im/im-log.ts';
import { imLogFiles, searchImLog, type MalformedImLogLine } from '../im/im-log-search.ts';
import { UsageError, type Flags } from './admin-commands.ts';

const DAY_MS = 86_400_000;
/** Malformed lines named one by one; beyond that only counted. */
const SHOW_MALFORMED = 5;

/** A UTC day as given on the command line, strictly YYYY-MM-DD and a real date (no 2026-02-30). */
function parseDay(flag: string, value: string | boolean | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  const t = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!t || t.toISOString().slice(0, 10) !== value) throw new UsageError(`--${flag} takes a date as YYYY-MM-DD (got "${String(value)}")`);
  return t;
}

const text = (flags: Flags, name: string): string | undefined => {
  const v = flags[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v.trim()) throw new UsageError(`--${name} needs a value`);
  return v;
};

export async function runLogCommand(settings: Settings, args: string[], flags: Flags, out: (line: string) => void, err: (line: string) => void = (l) => console.error(l)): Promise<void> {
  const [action, extra] = args;
  if (action !== 'search') throw new UsageError(`unknown command: log ${action ?? ''}`.trim());
  if (extra !== undefined) throw new UsageError(`log search takes options only (got "${extra}")`);
  const since = parseDay('since', flags.since);
  const untilDay = parseDay('until', flags.until);
  // --until names the last day to include: everything before the next UTC midnight.
  const until = untilDay && new Date(untilDay.getTime() + DAY_MS);
  if (since && untilDay && since > untilDay) throw new UsageError(`--since ${String(flags.since)} is after --until ${String(flags.until)}`);
  const user = text(flags, 'user');
  if (user !== undefined && !user.includes('@')) throw new UsageError(`--user takes an address like alice@example.com (got "${user}")`);
  const body = text(flags, 'text');

  const dir = imLogDir(settings.dataDir);
  const files = imLogFiles({ dir, since, until }).length;
  let malformed = 0;
  const onMalformed = (m: MalformedImLogLine) => {
    if (++malformed <= SHOW_MALFORMED) err(`skipped malformed line ${m.file}:${m.line} (${m.reason})`);
  };
  let n = 0;
  for await (const e of searchImLog({ dir, user, since, until, text: body, onMalformed })) {
    // Printed escaped like in the file: one line per message, and a body cannot drive the
    // admin's terminal with escape sequences.
    const when = e.time.toISOString().replace('T', ' ').slice(0, 19);
    const urls = e.attachments.length ? ` (${e.attachments.map(escapeImLogField).join(' ')})` : '';
    // An encrypted message has no text in the log (xmpp.e2ee allow): said so, in brackets.
    const shown = e.encrypted ? `[end-to-end encrypted: ${escapeImLogField(e.encrypted)}]` : escapeImLogField(e.body);
    out(`${when}  ${e.type.padEnd(9)} ${escapeImLogField(e.from)} → ${escapeImLogField(e.to)}: ${shown}${urls}`);
    n++;
  }
  err(`${n} message(s) in ${files} log file(s) in ${dir}${malformed ? `; ${malformed} malformed line(s) skipped` : ''}`);
}
