// The text of a reminder IM: the event's title, when it is in the user's time zone (and how
// soon), where; a late one says when it was due.
//
//   Reminder: Design review
//   When: today (Fri 27 Nov 2026), 14:30–15:30 (Europe/Berlin), starts in 15 minutes
//   Where: Room 4.01
import type { Occurrence } from './calendar-object.ts';
import { formatRelative, formatWhen } from './zoned-time.ts';

export interface ReminderTextOptions {
  now: number;
  timeZone: string;
  locale?: string;
  /** The trigger passed unseen (gateway down, event written late): say when it was due. */
  lateFrom?: number;
}

/** Control characters other than tab and newline become spaces (XML cannot carry most of them). */
export const clean = (s: string) => s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, ' ').trim();

export function reminderText(occ: Occurrence, o: ReminderTextOptions): string {
  const when = formatWhen(occ.start, occ.end, o.timeZone, { allDay: occ.allDay, now: o.now, locale: o.locale });
  const soon = occ.allDay ? '' : occ.start > o.now ? `, starts ${formatRelative(occ.start, o.now)}` : occ.start === o.now ? ', starts now' : `, started ${formatRelative(occ.start, o.now)}`;
  const lines = [`Reminder: ${clean(occ.summary)}`, `When: ${when} (${o.timeZone})${soon}`];
  if (occ.location) lines.push(`Where: ${clean(occ.location)}`);
  if (occ.status === 'TENTATIVE') lines.push('(tentative)');
  if (o.lateFrom !== undefined) lines.push(`Sent late: this reminder was due ${formatWhen(o.lateFrom, o.lateFrom, o.timeZone, { now: o.now, locale: o.locale })}.`);
  return lines.join('\n');
}
