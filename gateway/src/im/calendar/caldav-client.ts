// A small CalDAV client (RFC 4791 over WebDAV, RFC 4918) for reading a user's calendars:
//   - PROPFIND Depth 1 on the calendar home: its calendar collections (§4.2 resourcetype
//     <C:calendar/>, §5.2.3 supported-calendar-component-set) with their change markers — the
//     CalendarServer ctag (getctag, which Radicale, SOGo, Nextcloud and Baïkal all serve) and the
//     RFC 6578 sync-token; a marker that did not move means nothing in the collection changed;
//   - REPORT calendar-query (§7.8) with a VEVENT time-range filter (§9.9), asking only for
//     getetag, then REPORT calendar-multiget (§7.9) for the objects whose ETag is new — so an
//     unchanged event is never downloaded twice;
//   - conditional GET (If-None-Match) of one object, right before a reminder goes out.
// HTTP Basic authentication (the service account, or a user's own). Every request has a
// timeout and a size cap; failures are CalDavError with a kind the caller can act on.
import { NS_CALDAV, NS_CS, NS_DAV, caldavKey, csKey, davKey, hasResourceType, parseMultistatus, propText, samePath, type DavResponse } from './multistatus.ts';

export type CalDavErrorKind =
  /** Connection refused, DNS, TLS, reset. */
  | 'unreachable'
  | 'timeout'
  /** 401/403: the credentials are wrong or not allowed to read this. */
  | 'auth'
  /** 404: no such calendar home (a user who never used the calendar server). */
  | 'not_found'
  /** Any other status. */
  | 'http'
  /** Not a multistatus, or larger than the cap. */
  | 'bad_response';

export class CalDavError extends Error {
  override name = 'CalDavError';
  constructor(
    readonly kind: CalDavErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface CalendarInfo {
  url: string;
  displayName: string | undefined;
  /** A marker that changes whenever anything in the collection changes (ctag, else sync-token). */
  marker: string | undefined;
}

export interface CalendarResource {
  href: string;
  etag: string | undefined;
  data: string;
}

export type FetchOutcome = { state: 'unchanged' } | { state: 'gone' } | ({ state: 'changed' } & CalendarResource);

export interface CalDavCredentials {
  username: string;
  password: string;
}

export interface CalDavClientOptions {
  credentials: CalDavCredentials | undefined;
  timeoutMs: number;
  /** Largest answer read (bytes); more is an error, never buffered. */
  maxBytes: number;
}

/** iCalendar UTC DATE-TIME for a time-range filter (RFC 4791 §9.9). */
export const icalUtc = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

const XML = 'application/xml; charset=utf-8';
const MULTIGET_BATCH = 100;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function createCalDavClient(o: CalDavClientOptions) {
  const auth = o.credentials ? `Basic ${Buffer.from(`${o.credentials.username}:${o.credentials.password}`).toString('base64')}` : undefined;

  async function request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; etag: string | undefined }> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { 'user-agent': 'Herald-gateway', ...(auth ? { authorization: auth } : {}), ...(body ? { 'content-type': XML } : {}), ...headers },
        body,
        redirect: 'follow',
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError') throw new CalDavError('timeout', `${method} ${url}: no answer within ${o.timeoutMs} ms`);
      throw new CalDavError('unreachable', `${method} ${url}: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new CalDavError('auth', `${method} ${url}: ${res.status} ${res.statusText} (${o.credentials ? `user "${o.credentials.username}"` : 'no credentials configured'})`, res.status);
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      throw new CalDavError('not_found', `${method} ${url}: ${res.status} ${res.statusText}`, res.status);
    }
    if (res.status === 304) return { status: 304, text: '', etag: res.headers.get('etag') ?? undefined };
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel();
      throw new CalDavError('http', `${method} ${url}: ${res.status} ${res.statusText}`, res.status);
    }
    let text: string;
    try {
      text = await readCapped(res, o.maxBytes, `${method} ${url}`);
    } catch (e) {
      if (e instanceof CalDavError) throw e;
      const err = e as Error;
      throw new CalDavError(err.name === 'TimeoutError' ? 'timeout' : 'unreachable', `${method} ${url}: the answer broke off (${err.message})`);
    }
    return { status: res.status, text, etag: res.headers.get('etag') ?? undefined };
  }

  async function multistatus(method: string, url: string, body: string, depth: '0' | '1'): Promise<DavResponse[]> {
    const r = await request(method, url, body, { depth });
    if (r.status !== 207) throw new CalDavError('bad_response', `${method} ${url}: expected 207 Multi-Status, got ${r.status}`, r.status);
    try {
      return parseMultistatus(r.text, url);
    } catch (e) {
      throw new CalDavError('bad_response', `${method} ${url}: ${(e as Error).message}`);
    }
  }

  const timeRangeQuery = (props: string, from: number, to: number) =>
    `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="${NS_DAV}" xmlns:C="${NS_CALDAV}">
  <D:prop>${props}</D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="${icalUtc(from)}" end="${icalUtc(to)}"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`;

  const resources = (list: DavResponse[]): CalendarResource[] =>
    list.flatMap((r) => {
      const data = propText(r, caldavKey('calendar-data'));
      return data && (r.status === undefined || r.status < 300) ? [{ href: r.href, etag: propText(r, davKey('getetag')), data }] : [];
    });

  return {
    /** The calendar collections (holding events) in a calendar home — or the home itself if it is one. */
    async listCalendars(home: string): Promise<CalendarInfo[]> {
      const body = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="${NS_DAV}" xmlns:C="${NS_CALDAV}" xmlns:CS="${NS_CS}">
  <D:prop><D:resourcetype/><D:displayname/><CS:getctag/><D:sync-token/><C:supported-calendar-component-set/></D:prop>
</D:propfind>`;
      const list = await multistatus('PROPFIND', home, body, '1');
      const cals = list.filter((r) => hasResourceType(r, NS_CALDAV, 'calendar') && holdsEvents(r));
      // A home that is itself a calendar (the template points at one collection): just that one.
      const self = cals.find((r) => samePath(r.href, home));
      return (self ? [self] : cals).map((r) => ({
        url: r.href,
        displayName: propText(r, davKey('displayname')) || undefined,
        marker: propText(r, csKey('getctag')) || propText(r, davKey('sync-token')) || undefined,
      }));
    },

    /** href → ETag of the objects with a VEVENT overlapping [from, to). */
    async eventEtags(calendar: string, from: number, to: number): Promise<Map<string, string | undefined>> {
      const list = await multistatus('REPORT', calendar, timeRangeQuery('<D:getetag/>', from, to), '1');
      const out = new Map<string, string | undefined>();
      for (const r of list) if (!samePath(r.href, calendar) && (r.status === undefined || r.status < 300)) out.set(r.href, propText(r, davKey('getetag')));
      return out;
    },

    /** The objects with a VEVENT overlapping [from, to), with their data (conflict checks). */
    async events(calendar: string, from: number, to: number): Promise<CalendarResource[]> {
      return resources(await multistatus('REPORT', calendar, timeRangeQuery('<D:getetag/><C:calendar-data/>', from, to), '1'));
    },

    /** The named objects with their data (missing ones are left out). */
    async multiget(calendar: string, hrefs: string[]): Promise<CalendarResource[]> {
      const out: CalendarResource[] = [];
      for (let i = 0; i < hrefs.length; i += MULTIGET_BATCH) {
        const batch = hrefs.slice(i, i + MULTIGET_BATCH).map((h) => `<D:href>${esc(new URL(h).pathname)}</D:href>`);
        const body = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="${NS_DAV}" xmlns:C="${NS_CALDAV}">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  ${batch.join('\n  ')}
</C:calendar-multiget>`;
        out.push(...resources(await multistatus('REPORT', calendar, body, '1')));
      }
      return out;
    },

    /** One object again, unless its ETag is still `etag`. */
    async fetchIfChanged(href: string, etag: string | undefined): Promise<FetchOutcome> {
      try {
        const r = await request('GET', href, undefined, etag ? { 'if-none-match': etag } : {});
        if (r.status === 304 || (etag && r.etag === etag)) return { state: 'unchanged' };
        return { state: 'changed', href, etag: r.etag, data: r.text };
      } catch (e) {
        if (e instanceof CalDavError && e.kind === 'not_found') return { state: 'gone' };
        throw e;
      }
    },
  };
}
export type CalDavClient = ReturnType<typeof createCalDavClient>;

/** A collection without supported-calendar-component-set takes every kind (RFC 4791 §5.2.3). */
function holdsEvents(r: DavResponse): boolean {
  const set = r.props.get(caldavKey('supported-calendar-component-set'));
  if (!set) return true;
  const comps = set.getChildren('comp', NS_CALDAV);
  return comps.length === 0 || comps.some((c) => String(c.attrs.name).toUpperCase() === 'VEVENT');
}

async function readCapped(res: Response, max: number, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > max) {
    await res.body?.cancel();
    throw new CalDavError('bad_response', `${what}: answer of ${declared} bytes is larger than the ${max}-byte limit`);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new CalDavError('bad_response', `${what}: answer larger than the ${max}-byte limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
