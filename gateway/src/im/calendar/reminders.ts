// Calendar reminders as IMs (PRODUCT.md "Mail-to-IM alerts and reminders"; issue 4 item 3).
//
// Every `pollSeconds` each user's calendars are brought up to date over CalDAV
// (calendar-cache.ts: ctag/ETag, so an unchanged calendar costs one PROPFIND), and their
// reminders planned (reminder-plan.ts) onto ONE timer set for the earliest trigger (due-timer.ts):
// a reminder goes out when its trigger comes, not at the next poll. Users are read a few at a
// time; one user's broken data, wrong password or unreachable server is logged and leaves every
// other user alone (and that user's last known reminders stay planned).
//
// Right before a reminder goes out its event is fetched again if the user's calendars were not
// read in the last few seconds (a conditional GET: 304 when unchanged) — so an event moved,
// cancelled or deleted since the last poll does not remind at its old time: moved, it reminds at
// its new one (other trigger instants, planned then); if the server cannot be asked, the
// reminder goes out from what was read last.
//
// EXACTLY ONCE. A reminder is keyed by user + UID + recurrence id + trigger instant; the key is
// stored (store/calendar-reminders.ts) in the same SQLite transaction that stores the IM
// (offline row, archive row), and a stored key is never planned again — not after a restart
// either. One window stays: the central IM log is written just before that transaction, so a
// crash between the two leaves a log line for a reminder that is then sent once more after the
// restart (its stanza id is the same, so clients can drop it; the user gets it — it was never
// delivered before).
//
// RESTART POLICY. A trigger that passed while the gateway was down (or that was already past when
// the event was written, or when it came into the look-ahead window) is sent late — saying when it
// was due — if the event has not started yet; otherwise it is not sent (recorded as skipped, logged).
import { createHash } from 'node:crypto';
import type { Logger } from '../../config/logger.ts';
import type { CalendarReminderStore, ReminderOutcome } from '../../store/index.ts';
import { cachedObjects, emptyCalendars, replaceObject, syncCalendars, type UserCalendars } from './calendar-cache.ts';
import { CalendarSendError, serviceAddressFor, type SendCalendarIm } from './calendar-im.ts';
import type { CalendarSettings, CalendarUser, CalendarUsers, ResolvedCalendarUser } from './calendar-users.ts';
import { createDueTimer, systemClock, type Clock } from './due-timer.ts';
import { planReminders, remindersOf, type PlanUser, type Reminder } from './reminder-plan.ts';
import { reminderText } from './reminder-text.ts';

/**
 * A trigger up to this far in the past is on time (the timer, the check before sending, a poll
 * that ran just after a trigger); beyond it the reminder is late (sent only before its event
 * begins, saying so).
 */
export const GRACE_MS = 10_000;
/** An event read this recently is not fetched again before its reminder. */
const FRESH_MS = 5_000;
/** A reminder the XMPP side could not take now (log or database busy) is tried again after this. */
const RETRY_MS = 30_000;
/** Users read at the same time. */
const PARALLEL = 4;
/** Sent-reminder rows are kept this long after their trigger. */
const KEEP_MS = 35 * 86_400_000;

export interface ReminderServiceDeps {
  settings: CalendarSettings;
  users: CalendarUsers;
  /** Who may get reminders now (accounts whose domain has IM on). */
  accounts(): CalendarUser[];
  store: CalendarReminderStore;
  send: SendCalendarIm;
  /** im.serviceAddress (%d = the recipient's domain). */
  serviceAddress: string;
  locale: string;
  log: Logger;
  clock?: Clock;
}

export interface UserCalendarStatus {
  address: string;
  calendars: number;
  objects: number;
  lastSync: number | undefined;
  error: string | undefined;
  /** Reminders waiting for their trigger. */
  pending: number;
}

interface UserState {
  user: ResolvedCalendarUser;
  cal: UserCalendars;
  lastSync: number | undefined;
  error: string | undefined;
  chain: Promise<void>;
}

export interface ReminderService {
  /** Reads one user's (or every user's) calendars now and plans; resolves when done. */
  syncNow(address?: string): Promise<void>;
  status(): UserCalendarStatus[];
  close(): void;
}

export function startReminders(deps: ReminderServiceDeps): ReminderService {
  const { settings, store, log } = deps;
  const clock = deps.clock ?? systemClock;
  const lookaheadMs = settings.lookaheadHours * 3_600_000;
  const defaultLeadMs = settings.defaultLeadMinutes * 60_000;
  const states = new Map<number, UserState>();
  const inFlight = new Set<string>();
  /** Reminders whose log line is written but whose delivery failed (the retry must not log again). */
  const logged = new Set<string>();
  let closed = false;
  let roundTimer: ReturnType<typeof setTimeout> | undefined;

  const timer = createDueTimer<Reminder>({ clock, onDue: (list) => list.forEach((r) => void fire(r)) });

  const planUser = (u: ResolvedCalendarUser): PlanUser => ({ accountId: u.accountId, address: u.address, timeZone: u.timeZone });

  function replan(st: UserState) {
    const now = clock.now();
    const plan = planReminders(planUser(st.user), cachedObjects(st.cal), { now, lookaheadMs, defaultLeadMs, graceMs: GRACE_MS, done: (k) => store.done(k) });
    for (const [href, why] of plan.broken) log.warn({ user: st.user.address, href }, `calendar event skipped: ${why}`);
    timer.deleteWhere((r) => r.user.accountId === st.user.accountId);
    for (const r of plan.upcoming) if (!inFlight.has(r.id)) timer.set(r.id, r.triggerAt, r);
    for (const r of plan.late) void fire(r);
    for (const r of plan.missed) {
      if (store.record(r.key, 'skipped', now)) log.info({ user: st.user.address, uid: r.key.uid, due: new Date(r.triggerAt).toISOString() }, `calendar reminder for "${r.occurrence.summary}" not sent: it was due while unseen and the event has begun`);
    }
  }

  async function syncUser(account: CalendarUser): Promise<void> {
    const user = deps.users.resolve(account);
    let st = states.get(account.accountId);
    if (!st) {
      st = { user, cal: emptyCalendars(), lastSync: undefined, error: undefined, chain: Promise.resolve() };
      states.set(account.accountId, st);
    }
    const s = st;
    s.user = user;
    const run = async () => {
      if (closed || !user.home) return;
      try {
        const report = await syncCalendars(user.client, user.home, s.cal, { now: clock.now(), lookaheadMs });
        for (const [href, why] of report.broken) log.warn({ user: user.address, href }, `calendar object cannot be read: ${why}`);
        const problem = report.failed.size ? [...report.failed].map(([url, why]) => `${url}: ${why}`).join('; ') : undefined;
        if (problem !== s.error) {
          if (problem) log.warn({ user: user.address }, `calendar not read (its last known events stay planned): ${problem}`);
          else if (s.error) log.info({ user: user.address }, 'calendars readable again');
        }
        s.error = problem;
        s.lastSync = clock.now();
        if (report.noHome) log.debug({ user: user.address, home: user.home }, 'no calendar home');
      } catch (e) {
        const why = (e as Error).message;
        if (why !== s.error) log.warn({ user: user.address, home: user.home }, `calendars cannot be read (last known events stay planned): ${why}`);
        s.error = why;
        return;
      }
      if (!closed) replan(s);
    };
    s.chain = s.chain.then(run, run);
    return s.chain;
  }

  async function round(): Promise<void> {
    roundTimer = undefined;
    if (closed) return;
    const accounts = deps.accounts();
    const ids = new Set(accounts.map((a) => a.accountId));
    for (const id of states.keys()) {
      if (!ids.has(id)) {
        states.delete(id);
        timer.deleteWhere((r) => r.user.accountId === id);
      }
    }
    try {
      store.purge(clock.now() - KEEP_MS);
    } catch (e) {
      log.warn(`calendar reminders: old rows not purged: ${(e as Error).message}`);
    }
    let next = 0;
    const worker = async () => {
      while (next < accounts.length && !closed) await syncUser(accounts[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, accounts.length) }, worker));
    if (!closed) {
      roundTimer = setTimeout(() => void round(), settings.pollSeconds * 1000);
      roundTimer.unref();
    }
  }

  /** Sends one reminder (checking its event first); never throws. */
  async function fire(r: Reminder): Promise<void> {
    if (closed || inFlight.has(r.id)) return;
    inFlight.add(r.id);
    const st = states.get(r.user.accountId);
    let replanAfter = false;
    try {
      if (store.done(r.key)) return;
      let current = r;
      if (st && (st.lastSync === undefined || clock.now() - st.lastSync > FRESH_MS)) {
        try {
          const got = await st.user.client.fetchIfChanged(r.object.href, r.object.etag);
          if (got.state !== 'unchanged') {
            replanAfter = true;
            const entry = replaceObject(st.cal, r.object.calendarUrl, r.object.href, got.state === 'changed' ? got : undefined);
            const again = entry?.parsed
              ? remindersOf(planUser(st.user), { calendarUrl: r.object.calendarUrl, href: r.object.href, etag: entry.etag, parsed: entry.parsed }, { now: clock.now(), lookaheadMs, defaultLeadMs }).find((x) => x.id === r.id)
              : undefined;
            if (!again) {
              log.info({ user: r.user.address, uid: r.key.uid }, `calendar reminder for "${r.occurrence.summary}" dropped: the event was ${got.state === 'gone' ? 'deleted' : entry?.error ? `changed and cannot be read (${entry.error})` : 'moved, cancelled or changed'} since it was read`);
              return;
            }
            current = again;
          }
        } catch (e) {
          log.warn({ user: r.user.address, href: r.object.href }, `event not checked again before its reminder (sent from what was read last): ${(e as Error).message}`);
        }
      }
      if (closed) return;
      const now = clock.now();
      const late = now - current.triggerAt > GRACE_MS;
      if (late && current.occurrence.start <= now) {
        if (store.record(current.key, 'skipped', now)) log.info({ user: r.user.address, uid: r.key.uid }, `calendar reminder for "${current.occurrence.summary}" not sent: the event has begun`);
        return;
      }
      await send(current, late ? 'late' : 'sent', now, logged.has(r.id));
    } finally {
      inFlight.delete(r.id);
      if (replanAfter && st && !closed) replan(st);
    }
  }

  async function send(r: Reminder, outcome: ReminderOutcome, now: number, alreadyLogged: boolean) {
    const body = reminderText(r.occurrence, { now, timeZone: r.user.timeZone, locale: deps.locale, lateFrom: outcome === 'late' ? r.triggerAt : undefined });
    const id = `cal-${createHash('sha256').update(r.id).digest('hex').slice(0, 24)}`;
    try {
      await deps.send(
        { from: serviceAddressFor(deps.serviceAddress, r.user.address), to: r.user.address, body, id },
        {
          logged: alreadyLogged,
          commit: () => {
            if (!store.record(r.key, outcome, now)) throw new Error('this reminder was sent already');
          },
        },
      );
      logged.delete(r.id);
      log.debug({ user: r.user.address, uid: r.key.uid, outcome }, 'calendar reminder sent');
    } catch (e) {
      if (e instanceof CalendarSendError && e.transient) {
        if (e.logged) logged.add(r.id);
        log.warn({ user: r.user.address, uid: r.key.uid }, `calendar reminder not sent yet, trying again in ${RETRY_MS / 1000} s: ${e.message}`);
        timer.set(r.id, now + RETRY_MS, r);
        return;
      }
      logged.delete(r.id);
      store.record(r.key, 'failed', now);
      log.warn({ user: r.user.address, uid: r.key.uid }, `calendar reminder for "${r.occurrence.summary}" not sent: ${(e as Error).message}`);
    }
  }

  // The first round right away; later ones every pollSeconds after the previous one ended.
  queueMicrotask(() => void round());

  return {
    async syncNow(address) {
      const accounts = deps.accounts().filter((a) => address === undefined || a.address === address.toLowerCase());
      await Promise.all(accounts.map((a) => syncUser(a)));
    },
    status() {
      const pending = timer.pending();
      return [...states.values()].map((s) => ({
        address: s.user.address,
        calendars: s.cal.calendars.size,
        objects: [...s.cal.calendars.values()].reduce((n, c) => n + c.objects.size, 0),
        lastSync: s.lastSync,
        error: s.error,
        pending: pending.filter((p) => p.item.user.accountId === s.user.accountId).length,
      }));
    },
    close() {
      closed = true;
      if (roundTimer) clearTimeout(roundTimer);
      timer.close();
    },
  };
}
