// RFC 5545 (iCalendar) calendar objects read with ical.js: the VEVENTs of one object (a CalDAV
// resource, or an iMIP attachment) grouped by UID — a master with its RRULE/RDATE/EXDATE and the
// overridden instances (RECURRENCE-ID, §3.8.4.4) — expanded into the occurrences that overlap a
// time window, each with its own summary, location, status and alarms (an override carries its
// own, §3.8.4.4). Recurrence is ical.js's (RecurExpansion); no RRULE arithmetic is done here.
// Times become UTC instants by zoned-time.ts rules: a VTIMEZONE in the object wins (ical.js), then
// an IANA TZID, then the user's zone (floating times, all-day dates, unknown TZIDs).
import { createRequire } from 'node:module';
import type ICAL from 'ical.js';
import { isKnownTimeZone, wallToEpoch } from './zoned-time.ts';

type Component = InstanceType<typeof ICAL.Component>;
type Time = InstanceType<typeof ICAL.Time>;
type Event = InstanceType<typeof ICAL.Event>;

// ical.js on first use (the first calendar object or invitation read), not at start: most of the
// time nothing needs it, and a module loaded stays resident (issue 12: RSS at rest). Its CommonJS
// build, so that parsing stays synchronous; invitation.ts uses this same copy (instanceof, and the
// UTC zone singleton, are per copy).
const requireHere = createRequire(import.meta.url);
let loaded: typeof ICAL | undefined;
export const ical = () => (loaded ??= requireHere('ical.js') as typeof ICAL);

/** A calendar object that cannot be read (not iCalendar, or nonsense inside). */
export class CalendarDataError extends Error {
  override name = 'CalendarDataError';
}

export interface Person {
  /** The address, without "mailto:" (lower-cased). */
  address: string;
  name: string | undefined;
  /** PARTSTAT (RFC 5545 §3.2.12): NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE, DELEGATED. */
  partstat: string | undefined;
  /** ROLE (§3.2.16): REQ-PARTICIPANT, OPT-PARTICIPANT, CHAIR, NON-PARTICIPANT. */
  role: string | undefined;
}

export interface Occurrence {
  uid: string;
  /** The instance's RECURRENCE-ID as a UTC instant (ms); undefined for a one-off event. */
  recurrenceId: number | undefined;
  summary: string;
  location: string | undefined;
  /** UTC instants (ms); for all-day events midnights in the user's zone, end exclusive. */
  start: number;
  end: number;
  allDay: boolean;
  /** STATUS (§3.8.1.11) upper-cased: TENTATIVE, CONFIRMED, CANCELLED, or undefined. */
  status: string | undefined;
  /** TRANSP (§3.8.2.7): a TRANSPARENT event does not take time (never a conflict). */
  transparent: boolean;
  organizer: Person | undefined;
  attendees: Person[];
  /** Alarm trigger instants (ms), sorted, duplicates removed; empty: the event has no alarm. */
  alarms: number[];
  /** SEQUENCE (§3.8.7.4), for telling iMIP updates apart. */
  sequence: number;
  /** Whether the event recurs (an RRULE/RDATE master, or one instance of one). */
  recurring: boolean;
}

export interface ParsedObject {
  /** The METHOD of the VCALENDAR (iMIP: REQUEST, CANCEL, REPLY, ...), upper-cased. */
  method: string | undefined;
  /** The events by UID. */
  events: Map<string, EventGroup>;
}

interface EventGroup {
  master: Component | undefined;
  overrides: Component[];
}

/** Longest expansion of one series before giving up (a FREQ=SECONDLY rule from 1970...). */
const MAX_ITERATIONS = 50_000;

/** Parses iCalendar text (one or several VCALENDARs); throws CalendarDataError. */
export function parseCalendarObject(text: string): ParsedObject {
  let roots: Component[];
  try {
    const jcal = ical().parse(text) as unknown[];
    const list = Array.isArray(jcal[0]) ? (jcal as unknown[][]) : [jcal];
    roots = list.map((j) => new (ical().Component)(j as unknown as string));
  } catch (e) {
    throw new CalendarDataError(`not valid iCalendar: ${(e as Error).message.split('\n')[0]}`);
  }
  const events = new Map<string, EventGroup>();
  let method: string | undefined;
  for (const root of roots) {
    if (root.name !== 'vcalendar') throw new CalendarDataError(`expected a VCALENDAR, found ${root.name.toUpperCase()}`);
    method ??= text1(root, 'method')?.toUpperCase();
    for (const ev of root.getAllSubcomponents('vevent')) {
      const uid = text1(ev, 'uid');
      if (!uid) throw new CalendarDataError('a VEVENT without UID');
      if (!ev.getFirstProperty('dtstart')) throw new CalendarDataError(`event ${uid} has no DTSTART`);
      const g = events.get(uid) ?? { master: undefined, overrides: [] };
      if (ev.hasProperty('recurrence-id')) g.overrides.push(ev);
      else g.master = ev;
      events.set(uid, g);
    }
  }
  return { method, events };
}

export interface ExpandOptions {
  /** Window (UTC ms): occurrences overlapping [from, to) are returned. */
  from: number;
  to: number;
  /** The user's zone: floating times, all-day dates and unknown TZIDs are read in it. */
  timeZone: string;
}

/**
 * Every occurrence of every event in `obj` that overlaps the window, in start order. ical.js reads
 * most values only when asked (a TRIGGER, an UNTIL), so nonsense in them surfaces here: it is a
 * CalendarDataError naming the event.
 */
export function expandOccurrences(obj: ParsedObject, o: ExpandOptions): Occurrence[] {
  const out: Occurrence[] = [];
  for (const [uid, g] of obj.events) {
    try {
      out.push(...expandEvent(uid, g, o));
    } catch (e) {
      if (e instanceof CalendarDataError) throw e;
      throw new CalendarDataError(`event ${uid}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return out.sort((a, b) => a.start - b.start || a.uid.localeCompare(b.uid));
}

function expandEvent(uid: string, g: EventGroup, o: ExpandOptions): Occurrence[] {
  const tz = o.timeZone;
  const overlaps = (occ: Occurrence) => occ.start < o.to && (occ.end > o.from || (occ.end === occ.start && occ.start >= o.from));
  if (!g.master) {
    // Only instances (an invitation to one occurrence, or a server that stores them apart).
    return g.overrides.map((c) => occurrenceOf(uid, new (ical().Event)(c), tz, true)).filter(overlaps);
  }
  const event = new (ical().Event)(g.master, { exceptions: g.overrides });
  if (!event.isRecurring()) return [occurrenceOf(uid, event, tz, false)].filter(overlaps);

  const out: Occurrence[] = [];
  const seen = new Set<number>();
  const it = event.iterator();
  const seriesTz = zoneOf(g.master, 'dtstart', tz);
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const next = it.next();
    if (!next) break;
    const rid = toEpoch(next, seriesTz);
    if (rid >= o.to) break;
    const d = event.getOccurrenceDetails(next);
    const occ = occurrenceOf(uid, d.item, tz, true, d.startDate, d.endDate, rid);
    seen.add(rid);
    if (overlaps(occ)) out.push(occ);
  }
  // An instance moved into the window from outside it (its RECURRENCE-ID is later than the window).
  // (ical.js keeps them in an object keyed by RECURRENCE-ID, whatever its typings say.)
  for (const ex of Object.values(event.exceptions as unknown as Record<string, Event>)) {
    const rid = toEpoch(ex.recurrenceId, zoneOf(ex.component, 'recurrence-id', tz));
    if (seen.has(rid)) continue;
    const occ = occurrenceOf(uid, ex, tz, true);
    if (overlaps(occ)) out.push(occ);
  }
  return out;
}

function occurrenceOf(uid: string, ev: Event, tz: string, recurring: boolean, startT?: Time, endT?: Time, rid?: number): Occurrence {
  const c = ev.component;
  const startTime = startT ?? ev.startDate;
  const allDay = startTime.isDate;
  const startTz = zoneOf(c, 'dtstart', tz);
  const start = toEpoch(startTime, startTz);
  let end = toEpoch(endT ?? ev.endDate, c.hasProperty('dtend') ? zoneOf(c, 'dtend', tz) : startTz);
  if (end < start) end = start;
  const recurrenceId = rid ?? (c.hasProperty('recurrence-id') ? toEpoch(ev.recurrenceId, zoneOf(c, 'recurrence-id', tz)) : undefined);
  return {
    uid,
    recurrenceId,
    summary: text1(c, 'summary') || '(no title)',
    location: text1(c, 'location') || undefined,
    start,
    end,
    allDay,
    status: text1(c, 'status')?.toUpperCase(),
    transparent: text1(c, 'transp')?.toUpperCase() === 'TRANSPARENT',
    organizer: personOf(c.getFirstProperty('organizer')),
    attendees: c.getAllProperties('attendee').map(personOf).filter((p): p is Person => !!p),
    alarms: alarmsOf(c, start, end, tz, recurring && rid !== undefined && !c.hasProperty('recurrence-id')),
    sequence: Number(text1(c, 'sequence') ?? 0) || 0,
    recurring,
  };
}

/**
 * The VALARM triggers (§3.6.6, §3.8.6.3) of an event: relative to its start or (RELATED=END) its
 * end, or absolute; with REPEAT/DURATION repetitions. ACTION:NONE (RFC 9074 §7) never fires, and
 * a trigger at or before the alarm's ACKNOWLEDGED (RFC 9074 §6: dismissed on some device) is
 * dropped. An absolute trigger on a series' generated instance is ignored — it names one moment,
 * not one per occurrence.
 */
function alarmsOf(c: Component, start: number, end: number, tz: string, generated: boolean): number[] {
  const at = new Set<number>();
  for (const a of c.getAllSubcomponents('valarm')) {
    if (text1(a, 'action')?.toUpperCase() === 'NONE') continue;
    const trig = a.getFirstProperty('trigger');
    if (!trig) continue;
    const v = trig.getFirstValue();
    let first: number;
    if (v instanceof ical().Duration) {
      const related = String(trig.getParameter('related') ?? 'START').toUpperCase();
      first = (related === 'END' ? end : start) + v.toSeconds() * 1000;
    } else if (v instanceof ical().Time) {
      if (generated) continue;
      first = toEpoch(v, zoneOf(a, 'trigger', tz));
    } else continue;
    const acked = acknowledgedAt(a);
    const repeat = Math.min(Number(text1(a, 'repeat') ?? 0) || 0, 100);
    const every = a.getFirstProperty('duration')?.getFirstValue();
    const step = every instanceof ical().Duration ? every.toSeconds() * 1000 : 0;
    for (let k = 0; k <= (step > 0 ? repeat : 0); k++) {
      const t = first + k * step;
      if (t > acked) at.add(t);
    }
  }
  return [...at].sort((x, y) => x - y);
}

/** RFC 9074 ACKNOWLEDGED (UTC DATE-TIME); ical.js does not know the property, so it comes as text. */
function acknowledgedAt(alarm: Component): number {
  const v = alarm.getFirstPropertyValue('acknowledged');
  if (v instanceof ical().Time) return toEpoch(v, 'UTC');
  const m = typeof v === 'string' ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v.trim()) : null;
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : -Infinity;
}

function personOf(p: InstanceType<typeof ICAL.Property> | null): Person | undefined {
  if (!p) return undefined;
  const raw = String(p.getFirstValue() ?? '').trim();
  const address = raw.replace(/^mailto:/i, '').toLowerCase();
  if (!address) return undefined;
  const param = (n: string) => {
    const v = p.getParameter(n);
    const s = Array.isArray(v) ? v[0] : v;
    return s ? String(s) : undefined;
  };
  return { address, name: param('cn'), partstat: param('partstat')?.toUpperCase(), role: param('role')?.toUpperCase() };
}

function text1(c: Component, name: string): string | undefined {
  const v = c.getFirstPropertyValue(name);
  if (v === null || v === undefined) return undefined;
  return String(v).trim();
}

/**
 * The zone a property's wall-clock times are read in when ical.js could not resolve them (no
 * VTIMEZONE): its TZID when that is an IANA name, else the user's. Taken from the property, not
 * from the times: the copies ical.js makes (iterator, end = start + duration) drop the name.
 */
function zoneOf(c: Component, prop: string, userTz: string): string {
  const v = c.getFirstProperty(prop)?.getParameter('tzid');
  const tzid = Array.isArray(v) ? v[0] : v;
  return tzid && isKnownTimeZone(String(tzid)) ? String(tzid) : userTz;
}

/**
 * A DATE or DATE-TIME as a UTC instant: UTC and VTIMEZONE-defined times by ical.js; other times
 * as wall-clock times in `wallTz` (zoneOf: the user's zone for floating times and DATEs).
 */
export function toEpoch(t: Time, wallTz: string): number {
  const zone = t.zone;
  if (!t.isDate && zone && (zone === ical().Timezone.utcTimezone || zone.tzid === 'UTC' || zone.component)) return t.toUnixTime() * 1000;
  return wallToEpoch({ year: t.year, month: t.month, day: t.day, hour: t.isDate ? 0 : t.hour, minute: t.isDate ? 0 : t.minute, second: t.isDate ? 0 : t.second }, wallTz);
}
