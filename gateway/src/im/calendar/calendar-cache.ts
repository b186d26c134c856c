// One user's calendars as last read over CalDAV, and how they are brought up to date without
// downloading what did not change:
//   1. PROPFIND the calendar home: the calendar collections and their ctag / sync-token;
//   2. a collection whose marker is unchanged, and whose last query reached far enough ahead, is
//      not asked again (one request per user per poll when nothing changed);
//   3. otherwise REPORT calendar-query for the ETags of the events in [now, now + window), and a
//      calendar-multiget of only the objects whose ETag is new; objects no longer listed (deleted,
//      or now outside the window) are dropped.
// The window reaches a quarter beyond the look-ahead, so a quiet calendar is queried again only
// after a quarter of the look-ahead has passed. An object ical.js cannot read is kept as broken
// with its ETag, so it is reported once and not fetched again until it changes.
import type { CalDavClient } from './caldav-client.ts';
import { CalendarDataError, parseCalendarObject, type ParsedObject } from './calendar-object.ts';
import type { CachedObject } from './reminder-plan.ts';

interface CachedEntry {
  etag: string | undefined;
  parsed: ParsedObject | undefined;
  /** Why the object could not be read (parsed is undefined then). */
  error: string | undefined;
}

interface CalendarCache {
  url: string;
  name: string | undefined;
  marker: string | undefined;
  /** The last query covered events overlapping [from, until). */
  until: number;
  objects: Map<string, CachedEntry>;
}

export interface UserCalendars {
  calendars: Map<string, CalendarCache>;
}

export const emptyCalendars = (): UserCalendars => ({ calendars: new Map() });

export interface SyncReport {
  calendars: number;
  /** Collections not queried (marker unchanged, window still covered). */
  unchanged: number;
  /** Objects downloaded. */
  fetched: number;
  /** Objects that could not be read, first seen in this sync (href → reason). */
  broken: Map<string, string>;
  /** Collections that could not be read this time (their last data is kept), with the reason. */
  failed: Map<string, string>;
  /** The home does not exist (the user has no calendars there). */
  noHome: boolean;
}

export function entryOf(data: string, etag: string | undefined): CachedEntry {
  try {
    return { etag, parsed: parseCalendarObject(data), error: undefined };
  } catch (e) {
    if (!(e instanceof CalendarDataError)) throw e;
    return { etag, parsed: undefined, error: e.message };
  }
}

/** Brings `state` up to date; throws CalDavError when the home itself cannot be read (not for a missing one). */
export async function syncCalendars(client: CalDavClient, home: string, state: UserCalendars, o: { now: number; lookaheadMs: number }): Promise<SyncReport> {
  const report: SyncReport = { calendars: 0, unchanged: 0, fetched: 0, broken: new Map(), failed: new Map(), noHome: false };
  let list;
  try {
    list = await client.listCalendars(home);
  } catch (e) {
    if ((e as { kind?: string }).kind !== 'not_found') throw e;
    state.calendars.clear();
    report.noHome = true;
    return report;
  }
  report.calendars = list.length;
  const present = new Set(list.map((c) => c.url));
  for (const url of state.calendars.keys()) if (!present.has(url)) state.calendars.delete(url);

  const wanted = o.now + o.lookaheadMs;
  for (const cal of list) {
    const cache = state.calendars.get(cal.url) ?? { url: cal.url, name: cal.displayName, marker: undefined, until: 0, objects: new Map() };
    cache.name = cal.displayName;
    if (cal.marker !== undefined && cal.marker === cache.marker && cache.until >= wanted) {
      report.unchanged++;
      state.calendars.set(cal.url, cache);
      continue;
    }
    const until = o.now + Math.round(o.lookaheadMs * 1.25);
    try {
      const etags = await client.eventEtags(cal.url, o.now, until);
      const stale = [...etags].filter(([href, etag]) => {
        const had = cache.objects.get(href);
        return !had || etag === undefined || had.etag !== etag;
      });
      const fresh = stale.length ? await client.multiget(cal.url, stale.map(([h]) => h)) : [];
      report.fetched += fresh.length;
      const objects = new Map<string, CachedEntry>();
      for (const [href] of etags) {
        const had = cache.objects.get(href);
        if (had && !stale.some(([h]) => h === href)) objects.set(href, had);
      }
      for (const r of fresh) {
        const e = entryOf(r.data, r.etag ?? etags.get(r.href));
        if (e.error) report.broken.set(r.href, e.error);
        objects.set(r.href, e);
      }
      cache.objects = objects;
      cache.marker = cal.marker;
      cache.until = until;
    } catch (e) {
      report.failed.set(cal.url, (e as Error).message);
    }
    state.calendars.set(cal.url, cache);
  }
  return report;
}

/** The readable objects, for planning. */
export function* cachedObjects(state: UserCalendars): Generator<CachedObject> {
  for (const cal of state.calendars.values()) {
    for (const [href, e] of cal.objects) if (e.parsed) yield { calendarUrl: cal.url, href, etag: e.etag, parsed: e.parsed };
  }
}

/** Replaces one object after it was fetched again (undefined: it is gone); returns its new entry. */
export function replaceObject(state: UserCalendars, calendarUrl: string, href: string, next: { data: string; etag: string | undefined } | undefined): CachedEntry | undefined {
  const cal = state.calendars.get(calendarUrl);
  if (!next) {
    cal?.objects.delete(href);
    return undefined;
  }
  const e = entryOf(next.data, next.etag);
  cal?.objects.set(href, e);
  // The collection changed under us: its marker is stale, the next poll queries it again.
  if (cal) cal.marker = undefined;
  return e;
}
