// Shared by the calendar-*.test.ts files: a gateway started in-process whose log is kept (the
// tests read what it warned about), iCalendar objects built around "now", and waiting helpers.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Element } from 'ltx';
import { loadSettings } from '../../gateway/src/config/load.ts';
import type { Settings } from '../../gateway/src/config/schema.ts';
import { IM_LOG_FILE, imLogDir, parseImLogLine, type ImLogLine } from '../../gateway/src/im/im-log.ts';
import { startGateway, type Gateway } from '../../gateway/src/main.ts';
import { login, type RawClient } from '../fixtures/xmpp-raw.ts';
import { sleep } from '../fixtures/peer-utils.ts';

export const PW = 'correct horse battery';

export interface LogLine {
  level: number;
  msg: string;
  user?: string;
  href?: string;
  [k: string]: unknown;
}

export interface CalendarGateway extends Gateway {
  dataDir: string;
  settings: Settings;
  logs: LogLine[];
  /** Adds a user (domain made on demand). */
  user(address: string): Promise<void>;
  accountId(address: string): number;
  destroy(o?: { keepData?: boolean }): Promise<void>;
}

export async function startCalendarGateway(overrides: Record<string, unknown>, o: { dataDir?: string } = {}): Promise<CalendarGateway> {
  const dataDir = o.dataDir ?? mkdtempSync(path.join(tmpdir(), 'herald-cal-'));
  const settings = loadSettings({
    env: {},
    overrides: { dataDir, 'http.port': 0, 'http.host': '127.0.0.1', 'xmpp.port': 0, 'xmpp.host': '127.0.0.1', 'xmpp.requireTls': false, 'log.level': 'debug', ...overrides },
  });
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s) as LogLine) });
  const gw = await startGateway(settings, logger);
  const { directory } = gw.services;
  return {
    ...gw,
    dataDir,
    settings,
    logs,
    async user(address) {
      const domain = address.split('@')[1]!;
      if (!directory.listDomains().some((d) => d.name === domain)) directory.addDomain(domain);
      if (!directory.get(address)) await directory.addUser(address, PW);
    },
    accountId: (address) => gw.services.store.accounts.list().find((a) => a.address === address)!.id,
    async destroy(d = {}) {
      const [faults, recent] = [gw.faults(), gw.recentFaults()];
      await gw.close();
      if (!d.keepData) rmSync(dataDir, { recursive: true, force: true });
      // As in fixtures/gateway.ts: no test may need the last-resort handler.
      if (faults !== 0) throw new Error(`${faults} fault(s) reached the gateway's last-resort handler; the last:\n${recent.join('\n---\n')}`);
    },
  };
}

/** Logs in with PLAIN (no TLS) and sends initial presence: the client receives from now on. */
export async function online(port: number, address: string, resource = 'desk'): Promise<RawClient & { jid: string }> {
  const c = await login(port, address, PW, resource);
  c.send('<presence/>');
  await c.next((e) => e.name === 'presence' && e.attrs.from === c.jid);
  return c;
}

export const bodyOf = (e: Element) => e.getChildText('body') ?? '';
/** Chat messages a client got whose body starts with `prefix`. */
export const got = (c: RawClient, prefix: string) => c.received.filter((e) => e.name === 'message' && bodyOf(e).startsWith(prefix));

export async function waitFor<T>(fn: () => T | undefined | false | null, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Every `alert` line of the central IM log (calendar IMs are logged as alerts). */
export function alertLines(dataDir: string): ImLogLine[] {
  const dir = imLogDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => IM_LOG_FILE.test(n))
    .sort()
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map(parseImLogLine))
    .filter((l) => l.type === 'alert');
}

// ---- iCalendar around "now" -------------------------------------------------------------------

/** The next whole second after `ms` (iCalendar times have second precision). */
export const wholeSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;

/** UTC DATE-TIME: 20261201T093000Z. */
export const utc = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** Wall-clock DATE-TIME in `tz` (no Z), for DTSTART;TZID=... */
export function local(ms: number, tz: string): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}${p.month}${p.day}T${p.hour}${p.minute}${p.second}`;
}

/** "14:30" in `tz`, as a person reads it. */
export const hhmm = (ms: number, tz: string) => new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
/** The day as reminders name it: "Fri 27 Nov 2026". */
export const dayLabel = (ms: number, tz: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(ms).replace(',', '');
/** An event's time span as reminders write it: "10:00–10:45", or across midnight "23:40 – tomorrow (Sat 28 Nov 2026), 00:25". */
export const span = (start: number, end: number, tz: string) =>
  dayLabel(start, tz) === dayLabel(end, tz) ? `${hhmm(start, tz)}–${hhmm(end, tz)}` : `${hhmm(start, tz)} – tomorrow (${dayLabel(end, tz)}), ${hhmm(end, tz)}`;

export const BERLIN_VTIMEZONE = `BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE`;

export interface EventSpec {
  uid: string;
  summary: string;
  start: number;
  minutes?: number;
  /** Write DTSTART/DTEND as Berlin wall time with its VTIMEZONE (default: UTC). */
  berlin?: boolean;
  location?: string;
  /** VALARM TRIGGER values, e.g. '-PT60S'. */
  alarms?: string[];
  /** More VEVENT lines (RRULE, STATUS, ...). */
  extra?: string;
  /** More VEVENTs (overridden instances), whole. */
  more?: string;
}

export function vevent(e: EventSpec): string {
  const end = e.start + (e.minutes ?? 30) * 60_000;
  const when = e.berlin
    ? `DTSTART;TZID=Europe/Berlin:${local(e.start, 'Europe/Berlin')}\nDTEND;TZID=Europe/Berlin:${local(end, 'Europe/Berlin')}`
    : `DTSTART:${utc(e.start)}\nDTEND:${utc(end)}`;
  const alarms = (e.alarms ?? []).map((t) => `BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:${e.summary}\nTRIGGER:${t}\nEND:VALARM\n`).join('');
  return `BEGIN:VEVENT\nUID:${e.uid}\nDTSTAMP:${utc(Date.now())}\n${when}\nSUMMARY:${e.summary}\n${e.location ? `LOCATION:${e.location}\n` : ''}${e.extra ? `${e.extra.trim()}\n` : ''}${alarms}END:VEVENT`;
}

export const vcalendar = (...parts: string[]) => `BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Herald tests//EN\n${parts.join('\n')}\nEND:VCALENDAR\n`;

export const ics = (e: EventSpec) => vcalendar(...(e.berlin ? [BERLIN_VTIMEZONE] : []), vevent(e), ...(e.more ? [e.more] : []));
