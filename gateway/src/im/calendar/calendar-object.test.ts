// Calendar objects expanded into occurrences: recurrence (ical.js) with overridden, moved,
// excluded and cancelled instances, time zones (VTIMEZONE, a bare IANA TZID, floating, all-day),
// alarms of every shape, and the errors broken data gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalendarDataError, expandOccurrences, parseCalendarObject } from './calendar-object.ts';

const BERLIN = `BEGIN:VTIMEZONE
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

const cal = (...parts: string[]) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n${parts.join('\r\n')}\r\nEND:VCALENDAR\r\n`.replace(/\r?\n/g, '\r\n');
const ev = (lines: string) => `BEGIN:VEVENT\nDTSTAMP:20260101T000000Z\n${lines.trim()}\nEND:VEVENT`;
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace(':00.000Z', 'Z'));
const expand = (text: string, from: string, to: string, timeZone = 'UTC') => expandOccurrences(parseCalendarObject(text), { from: Date.parse(from), to: Date.parse(to), timeZone });

test('a weekly series in Berlin time keeps its wall time across the DST change; EXDATE, overrides and a cancelled instance', () => {
  const text = cal(
    BERLIN,
    ev(`UID:standup
DTSTART;TZID=Europe/Berlin:20261019T100000
DTEND;TZID=Europe/Berlin:20261019T101500
RRULE:FREQ=DAILY;COUNT=10
EXDATE;TZID=Europe/Berlin:20261021T100000
SUMMARY:Standup
LOCATION:Room 1
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Standup
TRIGGER:-PT10M
END:VALARM`),
    ev(`UID:standup
RECURRENCE-ID;TZID=Europe/Berlin:20261022T100000
DTSTART;TZID=Europe/Berlin:20261022T140000
DTEND;TZID=Europe/Berlin:20261022T141500
SUMMARY:Standup (afternoon)
LOCATION:Room 2`),
    ev(`UID:standup
RECURRENCE-ID;TZID=Europe/Berlin:20261023T100000
DTSTART;TZID=Europe/Berlin:20261023T100000
DTEND;TZID=Europe/Berlin:20261023T101500
STATUS:CANCELLED
SUMMARY:Standup`),
  );
  const occ = expand(text, '2026-10-19T00:00:00Z', '2026-10-27T00:00:00Z');
  assert.deepEqual(
    occ.map((o) => [iso(o.start), o.summary, o.location, o.status, iso(o.recurrenceId), o.alarms.map(iso)]),
    [
      ['2026-10-19T08:00Z', 'Standup', 'Room 1', undefined, '2026-10-19T08:00Z', ['2026-10-19T07:50Z']],
      ['2026-10-20T08:00Z', 'Standup', 'Room 1', undefined, '2026-10-20T08:00Z', ['2026-10-20T07:50Z']],
      // 21st excluded; the 22nd moved to the afternoon (an override without an alarm has none).
      ['2026-10-22T12:00Z', 'Standup (afternoon)', 'Room 2', undefined, '2026-10-22T08:00Z', []],
      ['2026-10-23T08:00Z', 'Standup', undefined, 'CANCELLED', '2026-10-23T08:00Z', []],
      ['2026-10-24T08:00Z', 'Standup', 'Room 1', undefined, '2026-10-24T08:00Z', ['2026-10-24T07:50Z']],
      // 25 Oct: winter time, 10:00 Berlin is now 09:00 UTC.
      ['2026-10-25T09:00Z', 'Standup', 'Room 1', undefined, '2026-10-25T09:00Z', ['2026-10-25T08:50Z']],
      ['2026-10-26T09:00Z', 'Standup', 'Room 1', undefined, '2026-10-26T09:00Z', ['2026-10-26T08:50Z']],
    ],
  );
  assert.ok(occ.every((o) => o.recurring && o.uid === 'standup'));
});

test('an instance moved into the window from beyond it is found; one moved out of it is not', () => {
  const text = cal(
    ev(`UID:s
DTSTART:20261201T090000Z
DURATION:PT1H
RRULE:FREQ=WEEKLY;COUNT=6
SUMMARY:Weekly`),
    ev(`UID:s
RECURRENCE-ID:20261229T090000Z
DTSTART:20261202T150000Z
DURATION:PT1H
SUMMARY:Moved early`),
    ev(`UID:s
RECURRENCE-ID:20261208T090000Z
DTSTART:20270301T090000Z
DURATION:PT1H
SUMMARY:Moved late`),
  );
  const occ = expand(text, '2026-12-01T00:00:00Z', '2026-12-10T00:00:00Z');
  assert.deepEqual(
    occ.map((o) => [iso(o.start), o.summary]),
    [
      ['2026-12-01T09:00Z', 'Weekly'],
      ['2026-12-02T15:00Z', 'Moved early'],
    ],
  );
});

test('times without VTIMEZONE: an IANA TZID is honoured (also for every instance of a series); floating and all-day are the user’s zone', () => {
  const text = cal(
    ev(`UID:ny
DTSTART;TZID=America/New_York:20261030T100000
DURATION:PT30M
RRULE:FREQ=DAILY;COUNT=4
SUMMARY:New York`),
    ev(`UID:float
DTSTART:20261102T100000
DTEND:20261102T110000
SUMMARY:Floating`),
    ev(`UID:allday
DTSTART;VALUE=DATE:20261102
SUMMARY:Holiday`),
    ev(`UID:unknown
DTSTART;TZID=Nowhere/City:20261102T120000
SUMMARY:Unknown zone`),
  );
  const occ = expand(text, '2026-10-30T00:00:00Z', '2026-11-03T00:00:00Z', 'Asia/Tokyo');
  assert.deepEqual(
    occ.map((o) => [o.uid, iso(o.start), iso(o.end), o.allDay]),
    [
      ['ny', '2026-10-30T14:00Z', '2026-10-30T14:30Z', false],
      ['ny', '2026-10-31T14:00Z', '2026-10-31T14:30Z', false],
      // New York leaves summer time on 1 Nov 2026: 10:00 is 15:00 UTC from then on.
      ['allday', '2026-11-01T15:00Z', '2026-11-02T15:00Z', true],
      ['ny', '2026-11-01T15:00Z', '2026-11-01T15:30Z', false],
      ['float', '2026-11-02T01:00Z', '2026-11-02T02:00Z', false],
      ['unknown', '2026-11-02T03:00Z', '2026-11-02T03:00Z', false],
      ['ny', '2026-11-02T15:00Z', '2026-11-02T15:30Z', false],
    ],
  );
});

test('alarms: before the start, after the end (RELATED=END), absolute, repeated, NONE, acknowledged', () => {
  const text = cal(
    ev(`UID:a
DTSTART:20261201T100000Z
DTEND:20261201T110000Z
SUMMARY:Alarms
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT15M
END:VALARM
BEGIN:VALARM
ACTION:AUDIO
TRIGGER;RELATED=START:-PT15M
END:VALARM
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER;RELATED=END:PT5M
REPEAT:2
DURATION:PT10M
END:VALARM
BEGIN:VALARM
ACTION:EMAIL
DESCRIPTION:x
SUMMARY:x
ATTENDEE:mailto:a@example.com
TRIGGER;VALUE=DATE-TIME:20261130T180000Z
END:VALARM
BEGIN:VALARM
ACTION:NONE
TRIGGER;VALUE=DATE-TIME:19760401T005545Z
END:VALARM
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-P1D
ACKNOWLEDGED:20261130T100500Z
END:VALARM`),
  );
  const [o] = expand(text, '2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z');
  assert.deepEqual(o!.alarms.map(iso), ['2026-11-30T18:00Z', '2026-12-01T09:45Z', '2026-12-01T11:05Z', '2026-12-01T11:15Z', '2026-12-01T11:25Z']);
});

test('an absolute alarm on a series is not repeated for every instance', () => {
  const text = cal(
    ev(`UID:r
DTSTART:20261201T100000Z
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:Series
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER;VALUE=DATE-TIME:20261201T080000Z
END:VALARM
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT5M
END:VALARM`),
  );
  const occ = expand(text, '2026-12-01T00:00:00Z', '2026-12-05T00:00:00Z');
  assert.deepEqual(
    occ.map((o) => o.alarms.map(iso)),
    [['2026-12-01T09:55Z'], ['2026-12-02T09:55Z'], ['2026-12-03T09:55Z']],
  );
});

test('organizer and attendees with PARTSTAT; METHOD', () => {
  const text = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\n${ev(`UID:m
DTSTART:20261201T100000Z
SUMMARY:Meeting
ORGANIZER;CN="Bob Builder":mailto:Bob@Example.com
ATTENDEE;CN=Alice;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:mailto:alice@example.com
ATTENDEE;PARTSTAT=ACCEPTED:MAILTO:carol@example.org`).replace(/\n/g, '\r\n')}\r\nEND:VCALENDAR\r\n`;
  const parsed = parseCalendarObject(text);
  assert.equal(parsed.method, 'REQUEST');
  const [o] = expandOccurrences(parsed, { from: 0, to: Date.parse('2027-01-01'), timeZone: 'UTC' });
  assert.deepEqual(o!.organizer, { address: 'bob@example.com', name: 'Bob Builder', partstat: undefined, role: undefined });
  assert.deepEqual(
    o!.attendees.map((a) => [a.address, a.name, a.partstat, a.role]),
    [
      ['alice@example.com', 'Alice', 'NEEDS-ACTION', 'REQ-PARTICIPANT'],
      ['carol@example.org', undefined, 'ACCEPTED', undefined],
    ],
  );
});

test('broken data is a CalendarDataError that says what is wrong', () => {
  const wrong = (text: string, re: RegExp) =>
    assert.throws(
      () => expand(text, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
      (e: unknown) => e instanceof CalendarDataError && re.test(e.message),
    );
  wrong('this is not iCalendar', /not valid iCalendar/);
  wrong(cal(ev('DTSTART:20261201T100000Z\nSUMMARY:x')), /VEVENT without UID/);
  wrong(cal(ev('UID:x\nSUMMARY:x')), /event x has no DTSTART/);
  wrong(cal(ev('UID:x\nDTSTART:20261201T100000Z\nRRULE:FREQ=WEEKLY;BYDAY=XX')), /BYDAY/);
  wrong(cal(ev('UID:x\nDTSTART:20261201T100000Z\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PXYZ\nEND:VALARM')), /event x: invalid duration/);
  wrong(cal(ev('UID:x\nDTSTART:20261201T100000Z\nRRULE:FREQ=DAILY;UNTIL=garbage')), /event x:/);
  wrong('BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nEND:VCARD\r\n', /expected a VCALENDAR/);
});

test('a rule that never ends is expanded only up to the window; a runaway one is cut off', () => {
  const text = cal(ev('UID:x\nDTSTART:20260101T000000Z\nRRULE:FREQ=MINUTELY\nSUMMARY:every minute'));
  const t0 = performance.now();
  const occ = expand(text, '2026-01-10T00:00:00Z', '2026-01-10T01:00:00Z');
  // 50,000 minutes from 1 Jan is 4 Feb; 10 Jan is within, so the hour is there in full.
  assert.equal(occ.length, 60);
  assert.ok(performance.now() - t0 < 2000);
});
