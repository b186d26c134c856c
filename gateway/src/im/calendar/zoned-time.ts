// Wall-clock time in an IANA time zone ↔ UTC instants, with Node's ICU (Intl), and the
// human-readable dates reminders and invitation summaries show. iCalendar (RFC 5545 §3.3.5) has
// three kinds of DATE-TIME: UTC ("Z"), local with a TZID (defined by a VTIMEZONE in the same
// object — ical.js resolves those itself — or, in files that omit it, usually an IANA name), and
// floating (no zone: "the same wall time wherever the user is"). A DATE (all-day) is a calendar
// day, in the user's zone. This file does the last three where ical.js cannot.

const partsFormat = new Map<string, Intl.DateTimeFormat>();

/** Whether Intl knows `tz` as a time zone ('Europe/Berlin', 'UTC'; not 'W. Europe Standard Time'). */
export function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The process's own zone (the default for users nobody configured). */
export const systemTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

function formatterOf(tz: string): Intl.DateTimeFormat {
  let f = partsFormat.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    partsFormat.set(tz, f);
  }
  return f;
}

export interface Wall {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall clock in `tz` at instant `ms`. */
export function wallAt(ms: number, tz: string): Wall {
  const p: Record<string, number> = {};
  for (const { type, value } of formatterOf(tz).formatToParts(new Date(ms))) if (type !== 'literal') p[type] = Number(value);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour! % 24, minute: p.minute!, second: p.second! };
}

/** How far `tz` is ahead of UTC at instant `ms`, in ms (whole seconds). */
function offsetAt(ms: number, tz: string): number {
  const w = wallAt(ms, tz);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a wall-clock time in `tz` denotes. A time that does not exist (skipped by a DST
 * change) moves forward by the gap; one that exists twice (the hour repeated) is the first —
 * what RFC 5545 §3.3.5 asks of both.
 */
export function wallToEpoch(w: Wall, tz: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  const before = offsetAt(asUtc - 86_400_000, tz);
  const after = offsetAt(asUtc + 86_400_000, tz);
  // The earlier reading first: in a repeated hour both fit, and the first one is wanted.
  const candidates = before >= after ? [before, after] : [after, before];
  for (const off of candidates) {
    const t = asUtc - off;
    if (offsetAt(t, tz) === off) return t;
  }
  // In a gap neither fits: the wall time shifted by the gap, with the offset before it.
  return asUtc - Math.min(before, after);
}

export interface WhenOptions {
  /** An all-day event: `start` and `end` are midnights in `tz` (end exclusive). */
  allDay?: boolean;
  /** When given, "today"/"tomorrow" are said relative to it. */
  now?: number;
  /** BCP 47 language of dates (im.locale); default en-GB. */
  locale?: string;
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string, kind: 'date' | 'time', locale = 'en-GB'): Intl.DateTimeFormat {
  const key = `${tz}\u0000${kind}\u0000${locale}`;
  let f = fmtCache.get(key);
  if (!f) {
    f =
      kind === 'date'
        ? new Intl.DateTimeFormat(locale, { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' })
        : new Intl.DateTimeFormat(locale, { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    fmtCache.set(key, f);
  }
  return f;
}

const dayKey = (w: Wall) => w.year * 10000 + w.month * 100 + w.day;

/** "Tue 1 Dec 2026" in `tz`, or "today"/"tomorrow" (relative to `now`) with the date after it. */
export function formatDay(ms: number, tz: string, now?: number, locale?: string): string {
  const date = fmt(tz, 'date', locale).format(new Date(ms)).replace(/,(?= \d)/, '');
  if (now === undefined) return date;
  const d = dayKey(wallAt(ms, tz));
  const today = wallAt(now, tz);
  if (d === dayKey(today)) return `today (${date})`;
  const next = new Date(Date.UTC(today.year, today.month - 1, today.day + 1));
  if (d === next.getUTCFullYear() * 10000 + (next.getUTCMonth() + 1) * 100 + next.getUTCDate()) return `tomorrow (${date})`;
  return date;
}

/** "14:30" in `tz`. */
export const formatTime = (ms: number, tz: string, locale?: string): string => fmt(tz, 'time', locale).format(new Date(ms));

/**
 * An event's time for a message: "Tue 1 Dec 2026, 14:30–15:30", "Tue 1 Dec 2026 (all day)",
 * "Tue 1 Dec 2026, 22:00 – Wed 2 Dec 2026, 01:00", "Mon 30 Nov – Wed 2 Dec 2026 (all day)".
 */
export function formatWhen(start: number, end: number, tz: string, o: WhenOptions = {}): string {
  const day = (ms: number) => formatDay(ms, tz, o.now, o.locale);
  const time = (ms: number) => formatTime(ms, tz, o.locale);
  if (o.allDay) {
    // The last day is the one before the exclusive end (a day is not always 24 h: DST).
    const last = Math.max(start, end - 1);
    if (dayKey(wallAt(last, tz)) === dayKey(wallAt(start, tz))) return `${day(start)} (all day)`;
    return `${day(start)} – ${day(last)} (all day)`;
  }
  if (end <= start) return `${day(start)}, ${time(start)}`;
  if (dayKey(wallAt(start, tz)) === dayKey(wallAt(end, tz))) return `${day(start)}, ${time(start)}–${time(end)}`;
  return `${day(start)}, ${time(start)} – ${day(end)}, ${time(end)}`;
}

/** "in 15 minutes", "in 2 hours 5 minutes", "now", "5 minutes ago". */
export function formatRelative(target: number, now: number): string {
  const mins = Math.round((target - now) / 60_000);
  if (mins === 0) return 'now';
  const abs = Math.abs(mins);
  const d = Math.floor(abs / 1440);
  const h = Math.floor((abs % 1440) / 60);
  const m = abs % 60;
  const parts: string[] = [];
  if (d) parts.push(`${d} day${d === 1 ? '' : 's'}`);
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m && !d) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  const text = parts.join(' ') || '1 minute';
  return mins > 0 ? `in ${text}` : `${text} ago`;
}
