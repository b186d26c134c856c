// Which reminders are planned at a given moment: alarms or the default lead time, on time,
// late (trigger passed, event not begun) or missed (event begun); never for cancelled or
// declined occurrences, nor twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReminderKey } from '../../store/index.ts';
import { parseCalendarObject } from './calendar-object.ts';
import { planReminders, reminderId, type CachedObject } from './reminder-plan.ts';
import { reminderText } from './reminder-text.ts';

const H = 3_600_000;
const M = 60_000;
const NOW = Date.UTC(2026, 11, 1, 9, 0); // Tue 1 Dec 2026, 09:00 UTC
const user = { accountId: 7, address: 'alice@example.com', timeZone: 'Europe/Berlin' };
const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function obj(href: string, body: string): CachedObject {
  const text = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n${body.trim().replace(/\n/g, '\r\n')}\r\nEND:VCALENDAR\r\n`;
  return { calendarUrl: 'http://cal/alice/work/', href: `http://cal/alice/work/${href}`, etag: '"1"', parsed: parseCalendarObject(text) };
}
const event = (uid: string, start: number, extra = '', minutes = 60) =>
  obj(`${uid}.ics`, `BEGIN:VEVENT\nUID:${uid}\nDTSTAMP:20260101T000000Z\nDTSTART:${stamp(start)}\nDTEND:${stamp(start + minutes * M)}\nSUMMARY:${uid}\n${extra}END:VEVENT`);
const alarm = (trigger: string) => `BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:${trigger}\nEND:VALARM\n`;

const plan = (objects: CachedObject[], o: { now?: number; done?: (k: ReminderKey) => boolean; defaultLeadMs?: number } = {}) =>
  planReminders(user, objects, { now: o.now ?? NOW, lookaheadMs: 48 * H, defaultLeadMs: o.defaultLeadMs ?? 15 * M, graceMs: M, done: o.done ?? (() => false) });
const ids = (list: { key: ReminderKey }[]) => list.map((r) => `${r.key.uid}@${new Date(r.key.triggerAt).toISOString().slice(11, 16)}`);

test('alarms and the default lead time; all-day events get no default reminder', () => {
  const p = plan([
    event('alarmed', NOW + 2 * H, alarm('-PT30M') + alarm('-PT5M')),
    event('plain', NOW + 3 * H),
    obj('day.ics', 'BEGIN:VEVENT\nUID:day\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:20261202\nSUMMARY:day\nEND:VEVENT'),
    obj('dayalarm.ics', `BEGIN:VEVENT\nUID:dayalarm\nDTSTAMP:20260101T000000Z\nDTSTART;VALUE=DATE:20261202\nSUMMARY:dayalarm\n${alarm('-PT6H')}END:VEVENT`),
  ]);
  // The all-day alarm: 2 Dec 00:00 in Berlin (23:00 UTC on the 1st) minus 6 h.
  assert.deepEqual(ids(p.upcoming), ['alarmed@10:30', 'alarmed@10:55', 'plain@11:45', 'dayalarm@17:00']);
  assert.deepEqual(p.late, []);
  assert.deepEqual(p.missed, []);
  assert.deepEqual(ids(plan([event('plain', NOW + 3 * H)], { defaultLeadMs: 0 }).upcoming), [], 'defaultLeadMinutes 0: no reminder without an alarm');
});

test('past triggers: late while the event has not begun, missed once it has; within the grace still on time', () => {
  const p = plan([
    event('soon', NOW + 10 * M, alarm('-PT30M')), // due 08:40, begins 09:10
    event('begun', NOW - 5 * M, alarm('-PT15M'), 60), // due 08:40, began 08:55, still on
    event('just', NOW + 10 * M, alarm('-PT10M30S')), // due 08:59:30: within the grace
  ]);
  assert.deepEqual(ids(p.late), ['soon@08:40']);
  assert.deepEqual(ids(p.missed), ['begun@08:40']);
  assert.deepEqual(ids(p.upcoming), ['just@08:59']);
});

test('cancelled, declined and already done are not planned; the same event in two calendars once', () => {
  const declined = `ATTENDEE;PARTSTAT=DECLINED:mailto:Alice@example.com\nORGANIZER:mailto:bob@example.com\n`;
  const p = plan(
    [
      event('cancelled', NOW + 2 * H, `STATUS:CANCELLED\n${alarm('-PT15M')}`),
      event('declined', NOW + 2 * H, declined + alarm('-PT15M')),
      event('accepted', NOW + 2 * H, `ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com\n${alarm('-PT15M')}`),
      event('done', NOW + 2 * H, alarm('-PT15M')),
      { ...event('accepted', NOW + 2 * H, `ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com\n${alarm('-PT15M')}`), calendarUrl: 'http://cal/alice/home/' },
    ],
    { done: (k) => k.uid === 'done' },
  );
  assert.deepEqual(ids(p.upcoming), ['accepted@10:45']);
});

test('a recurring event reminds for each occurrence in the window, keyed by its recurrence id; a moved one by its new time', () => {
  const daily = obj(
    'daily.ics',
    `BEGIN:VEVENT\nUID:daily\nDTSTAMP:20260101T000000Z\nDTSTART:${stamp(NOW - 24 * H + 30 * M)}\nDURATION:PT15M\nRRULE:FREQ=DAILY\nSUMMARY:daily\n${alarm('-PT10M')}END:VEVENT
BEGIN:VEVENT\nUID:daily\nDTSTAMP:20260101T000000Z\nRECURRENCE-ID:${stamp(NOW + 24 * H + 30 * M)}\nDTSTART:${stamp(NOW + 24 * H + 90 * M)}\nDURATION:PT15M\nSUMMARY:daily moved\n${alarm('-PT10M')}END:VEVENT`,
  );
  const p = plan([daily]);
  assert.deepEqual(ids(p.upcoming), ['daily@09:20', 'daily@10:20']);
  assert.deepEqual(
    p.upcoming.map((r) => new Date(r.key.recurrenceId).toISOString()),
    ['2026-12-01T09:30:00.000Z', '2026-12-02T09:30:00.000Z'],
  );
  assert.equal(p.upcoming[1]!.occurrence.summary, 'daily moved');
  assert.equal(p.upcoming[0]!.id, reminderId(p.upcoming[0]!.key));
});

test('an object that cannot be expanded is reported, the others are planned', () => {
  const p = plan([event('good', NOW + 2 * H, alarm('-PT15M')), event('bad', NOW + 2 * H, alarm('-PXYZ'))]);
  assert.deepEqual(ids(p.upcoming), ['good@10:45']);
  assert.match(p.broken.get('http://cal/alice/work/bad.ics') ?? '', /event bad: invalid duration/);
});

test('the reminder text: title, time in the user’s zone, how soon, where; a late one says when it was due', () => {
  const [r] = plan([event('Design review', NOW + 30 * M, `LOCATION:Room 4.01\n${alarm('-PT15M')}`)]).upcoming;
  assert.equal(
    reminderText(r!.occurrence, { now: r!.triggerAt, timeZone: 'Europe/Berlin' }),
    'Reminder: Design review\nWhen: today (Tue 1 Dec 2026), 10:30–11:30 (Europe/Berlin), starts in 15 minutes\nWhere: Room 4.01',
  );
  assert.equal(
    reminderText(r!.occurrence, { now: NOW + 25 * M, timeZone: 'America/New_York', lateFrom: r!.triggerAt }),
    'Reminder: Design review\nWhen: today (Tue 1 Dec 2026), 04:30–05:30 (America/New_York), starts in 5 minutes\nWhere: Room 4.01\nSent late: this reminder was due today (Tue 1 Dec 2026), 04:15.',
  );
});
