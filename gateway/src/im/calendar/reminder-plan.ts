// Which reminders a user's calendar data calls for, at a given moment (pure: the clock is a
// parameter). Each occurrence in the look-ahead window (calendar-object.ts) reminds at each of
// its VALARM triggers, or — having no alarm, and not being all-day — `defaultLeadMs` before it
// starts. Not at all: a cancelled occurrence (STATUS:CANCELLED on the event or on that instance,
// RFC 5545 §3.8.1.11), one the user declined (their ATTENDEE PARTSTAT=DECLINED, §3.2.12), one
// already dealt with (the store's key: UID + recurrence id + trigger instant). A deleted or
// moved event is simply no longer in the data, or has other trigger instants: the old ones are
// not planned any more, the new ones are.
// A trigger already past by more than `graceMs` (the gateway was down, or the event was written
// or came into the window late): `late` when the occurrence has not started yet (sent now, saying
// so), else `missed` (never sent; recorded so the decision is logged once).
import type { ReminderKey } from '../../store/index.ts';
import { expandOccurrences, type Occurrence, type ParsedObject } from './calendar-object.ts';

export interface PlanUser {
  accountId: number;
  address: string;
  timeZone: string;
}

/** One calendar object as last read from the server. */
export interface CachedObject {
  calendarUrl: string;
  href: string;
  etag: string | undefined;
  parsed: ParsedObject;
}

export interface Reminder {
  key: ReminderKey;
  /** The key as one string (maps, stanza ids). */
  id: string;
  user: PlanUser;
  object: Pick<CachedObject, 'calendarUrl' | 'href' | 'etag'>;
  occurrence: Occurrence;
  triggerAt: number;
  /** From a VALARM (else the default lead time). */
  fromAlarm: boolean;
}

export interface PlanOptions {
  now: number;
  lookaheadMs: number;
  /** Reminder lead for events without alarms; 0 = none. */
  defaultLeadMs: number;
  /** A trigger this far in the past still counts as on time. */
  graceMs: number;
  /** Whether a reminder was dealt with already. */
  done(key: ReminderKey): boolean;
}

export interface Plan {
  /** Triggers from now - graceMs on: for the timer. */
  upcoming: Reminder[];
  /** Past triggers whose event has not started: send now, marked late. */
  late: Reminder[];
  /** Past triggers whose event has started: not sent. */
  missed: Reminder[];
  /** Objects ical.js could not expand (href → reason). */
  broken: Map<string, string>;
}

export const reminderId = (k: ReminderKey) => `${k.accountId}/${k.uid}/${k.recurrenceId}/${k.triggerAt}`;

/** Whether the user declined this occurrence (as an attendee; organizers do not decline their own). */
function declinedBy(occ: Occurrence, address: string): boolean {
  return occ.attendees.some((a) => a.address === address && a.partstat === 'DECLINED');
}

/** Every reminder one object calls for in the window (done or not). */
export function remindersOf(user: PlanUser, obj: CachedObject, o: Omit<PlanOptions, 'done' | 'graceMs'>): Reminder[] {
  const out: Reminder[] = [];
  for (const occ of expandOccurrences(obj.parsed, { from: o.now, to: o.now + o.lookaheadMs, timeZone: user.timeZone })) {
    if (occ.status === 'CANCELLED' || declinedBy(occ, user.address)) continue;
    const fromAlarm = occ.alarms.length > 0;
    const triggers = fromAlarm ? occ.alarms : !occ.allDay && o.defaultLeadMs > 0 ? [occ.start - o.defaultLeadMs] : [];
    for (const triggerAt of triggers) {
      const key: ReminderKey = { accountId: user.accountId, uid: occ.uid, recurrenceId: occ.recurrenceId ?? 0, triggerAt };
      out.push({ key, id: reminderId(key), user, object: { calendarUrl: obj.calendarUrl, href: obj.href, etag: obj.etag }, occurrence: occ, triggerAt, fromAlarm });
    }
  }
  return out;
}

export function planReminders(user: PlanUser, objects: Iterable<CachedObject>, o: PlanOptions): Plan {
  const plan: Plan = { upcoming: [], late: [], missed: [], broken: new Map() };
  const seen = new Set<string>();
  for (const obj of objects) {
    let list: Reminder[];
    try {
      list = remindersOf(user, obj, o);
    } catch (e) {
      plan.broken.set(obj.href, (e as Error).message);
      continue;
    }
    for (const r of list) {
      // The same event in two calendars of the user (or twice in one answer) reminds once.
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      if (o.done(r.key)) continue;
      if (r.triggerAt >= o.now - o.graceMs) plan.upcoming.push(r);
      else if (r.occurrence.start > o.now) plan.late.push(r);
      else plan.missed.push(r);
    }
  }
  const byTime = (a: Reminder, b: Reminder) => a.triggerAt - b.triggerAt || a.id.localeCompare(b.id);
  plan.upcoming.sort(byTime);
  plan.late.sort(byTime);
  return plan;
}
