// iMIP (RFC 6047) messages read from a mail: the iTIP method (RFC 5546 §1.4: REQUEST an
// invitation or its update, CANCEL, REPLY an attendee's answer), and the event it is about —
// title, when (the next occurrence from now for a series, and how it repeats), where, organizer,
// attendees with their PARTSTAT. The METHOD of the VCALENDAR wins over the Content-Type's
// `method` parameter (they must agree, §2.4; Outlook has been seen to get the parameter wrong).
// Other methods (PUBLISH, COUNTER, REFRESH...) are not summarised.
import type ICAL from 'ical.js';
import { CalendarDataError, expandOccurrences, ical, parseCalendarObject, type Occurrence, type Person } from './calendar-object.ts';
import { findCalendarPart } from './mime-calendar.ts';

export type InvitationMethod = 'REQUEST' | 'CANCEL' | 'REPLY';
const METHODS = new Set<string>(['REQUEST', 'CANCEL', 'REPLY']);

export interface Invitation {
  method: InvitationMethod;
  uid: string;
  summary: string;
  location: string | undefined;
  organizer: Person | undefined;
  attendees: Person[];
  /** The occurrence shown: the next one from now (or the last one, if all are past). */
  first: Occurrence;
  /** Up to 10 occurrences from `first` on (conflict checks). */
  occurrences: Occurrence[];
  /** "weekly on Tuesday, 10 times" for a series; undefined for a single event. */
  repeats: string | undefined;
  /** SEQUENCE > 0 on a REQUEST: an update of an earlier invitation. */
  update: boolean;
  /** The mail's Subject (context for logs). */
  subject: string | undefined;
}

export class InvitationError extends Error {
  override name = 'InvitationError';
}

const YEAR = 366 * 86_400_000;
const SHOWN = 10;

/**
 * The iMIP message in a mail, or undefined when the mail carries no calendar part or its method
 * is not one we summarise. Throws InvitationError when the calendar part cannot be read.
 */
export function readInvitation(raw: Buffer, o: { now: number; timeZone: string }): Invitation | undefined {
  const mail = findCalendarPart(raw);
  if (!mail.part) return undefined;
  let parsed;
  try {
    parsed = parseCalendarObject(mail.part.text);
  } catch (e) {
    if (e instanceof CalendarDataError) throw new InvitationError(`the invitation's calendar data cannot be read: ${e.message}`);
    throw e;
  }
  const method = (parsed.method ?? mail.part.method)?.toUpperCase();
  if (!method || !METHODS.has(method)) return undefined;
  const [uid, group] = [...parsed.events][0] ?? [];
  if (!uid || !group) throw new InvitationError('the invitation holds no event');
  const only = { method: parsed.method, events: new Map([[uid, group]]) };

  let occurrences: Occurrence[];
  try {
    occurrences = expandOccurrences(only, { from: o.now, to: o.now + YEAR, timeZone: o.timeZone }).slice(0, SHOWN);
    if (!occurrences.length) occurrences = expandOccurrences(only, { from: 0, to: o.now + YEAR, timeZone: o.timeZone }).slice(-1);
  } catch (e) {
    throw new InvitationError(`the invitation's event cannot be read: ${(e as Error).message}`);
  }
  const first = occurrences[0];
  if (!first) throw new InvitationError('the invitation names no time');
  return {
    method: method as InvitationMethod,
    uid,
    summary: first.summary,
    location: first.location,
    organizer: first.organizer,
    attendees: first.attendees,
    first,
    occurrences,
    repeats: group.master ? describeRule(group.master) : undefined,
    update: method === 'REQUEST' && first.sequence > 0,
    subject: mail.subject,
  };
}

const FREQ: Record<string, [string, string]> = {
  DAILY: ['daily', 'days'],
  WEEKLY: ['weekly', 'weeks'],
  MONTHLY: ['monthly', 'months'],
  YEARLY: ['yearly', 'years'],
  HOURLY: ['hourly', 'hours'],
  MINUTELY: ['every minute', 'minutes'],
};
const DAYS: Record<string, string> = { MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday' };

/** A short English description of the RRULE (RFC 5545 §3.3.10), e.g. "every 2 weeks on Monday, Wednesday, until 31 Dec 2026". */
function describeRule(master: InstanceType<typeof ICAL.Component>): string | undefined {
  const rule = master.getFirstPropertyValue('rrule');
  if (!(rule instanceof ical().Recur)) return master.hasProperty('rdate') ? 'on several dates' : undefined;
  const [adverb, unit] = FREQ[rule.freq] ?? [rule.freq.toLowerCase(), 'times'];
  let text = rule.interval > 1 ? `every ${rule.interval} ${unit}` : adverb;
  const byday = (rule.parts.BYDAY as string[] | undefined)?.map((d) => {
    const m = /^([+-]?\d+)?(MO|TU|WE|TH|FR|SA|SU)$/.exec(d);
    return m ? (m[1] ? `${ordinal(Number(m[1]))} ${DAYS[m[2]!]}` : DAYS[m[2]!]) : d;
  });
  if (byday?.length) text += ` on ${byday.join(', ')}`;
  if (rule.count) text += `, ${rule.count} times`;
  else if (rule.until) text += `, until ${rule.until.toJSDate().toISOString().slice(0, 10)}`;
  return text;
}

const ordinal = (n: number) => (n === -1 ? 'last' : n < 0 ? `${-n}th-last` : `${n}${n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th'}`);
