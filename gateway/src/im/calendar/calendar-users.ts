// Where a user's calendars are and how the gateway may read them (settings `im.calendar`):
// the calendar home from the URL template — {user} the address, {local} and {domain} its parts,
// each percent-encoded — or the user's own `users.<address>.url`; the service account's
// credentials unless the user has their own; the user's time zone (their own, else im.timeZone).
//
// Why a service account by default: it is what admins of the common servers can set up for all
// users at once — Radicale (a rights-file section giving one user read access to every
// collection), SOGo (SOGoSuperUsernames), a reverse proxy that authenticates the gateway and
// passes X-Remote-User. Nextcloud has no such account: there, per-user app passwords go into
// `users` (or users share their calendars with one account whose home the template names).
import type { Settings } from '../../config/schema.ts';
import { createCalDavClient, type CalDavClient } from './caldav-client.ts';

export type CalendarSettings = Settings['im']['calendar'];

export interface CalendarUser {
  accountId: number;
  address: string;
}

export interface ResolvedCalendarUser extends CalendarUser {
  /** The calendar home URL (undefined: no calendar configured for this user). */
  home: string | undefined;
  timeZone: string;
  client: CalDavClient;
}

/** Largest CalDAV answer read (a REPORT over many events). */
const MAX_BYTES = 20 * 1024 * 1024;

export function homeUrlOf(template: string, address: string): string {
  const [local = '', domain = ''] = address.split('@');
  const values: Record<string, string> = { user: address, local, domain };
  return template.replace(/\{(user|local|domain)\}/g, (_, k: string) => encodeURIComponent(values[k]!));
}

export function createCalendarUsers(s: CalendarSettings, defaultTimeZone: string) {
  const clients = new Map<string, CalDavClient>();
  const clientFor = (username: string | undefined, password: string) => {
    const key = username === undefined ? '' : `${username}\u0000${password}`;
    let c = clients.get(key);
    if (!c) {
      c = createCalDavClient({ credentials: username === undefined ? undefined : { username, password }, timeoutMs: s.timeoutSeconds * 1000, maxBytes: MAX_BYTES });
      clients.set(key, c);
    }
    return c;
  };
  return {
    resolve(u: CalendarUser): ResolvedCalendarUser {
      const own = s.users[u.address.toLowerCase()];
      const home = own?.url ?? (s.url ? homeUrlOf(s.url, u.address) : undefined);
      const client = own?.username !== undefined ? clientFor(own.username, own.password ?? '') : clientFor(s.username, s.password);
      return { ...u, home, timeZone: own?.timeZone ?? defaultTimeZone, client };
    },
  };
}
export type CalendarUsers = ReturnType<typeof createCalendarUsers>;
