// Calendar reminders end to end (gateway/src/im/calendar/): events put into a real CalDAV server
// (Debian's Radicale, test/fixtures/radicale.ts) over CalDAV, read by the gateway with its service
// account, and the reminder arriving at a real XMPP client (raw XML) when the VALARM's trigger
// comes — from the gateway's timer, against what Radicale holds. Recurring, moved, cancelled and
// deleted events; a restart (no second reminder; one missed while down sent late or skipped);
// bad data and bad servers logged without disturbing anyone else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { GRACE_MS } from '../../gateway/src/im/calendar/reminders.ts';
import { startRadicale, type Radicale } from '../fixtures/radicale.ts';
import { freePort, sleep } from '../fixtures/peer-utils.ts';
import type { RawClient } from '../fixtures/xmpp-raw.ts';
import { alertLines, bodyOf, dayLabel, got, hhmm, ics, span, online, startCalendarGateway, vcalendar, vevent, wholeSecond, type CalendarGateway } from './calendar-helpers.ts';

const S = 1000;
const TZ = 'Europe/Berlin';
let radicale: Radicale;
let gw: CalendarGateway;
let alice: RawClient & { jid: string };
let bob: RawClient & { jid: string };

const USERS = ['alice', 'bob', 'carol', 'erin', 'frank', 'gina'];

/** Settings every gateway here shares: Radicale's homes by local part, the service account, a 1 s poll. */
const calendarSettings = (r: Radicale, more: Record<string, unknown> = {}) => ({
  'im.calendar.url': `${r.url}/{local}/`,
  'im.calendar.username': r.service.name,
  'im.calendar.password': r.service.password,
  'im.calendar.pollSeconds': 1,
  'im.calendar.defaultLeadMinutes': 0,
  'im.timeZone': TZ,
  'mail.maildir.rescanSeconds': 3600,
  ...more,
});

before(async () => {
  radicale = await startRadicale({ users: Object.fromEntries(USERS.map((u) => [u, `${u}-secret`])) });
  for (const u of USERS) await radicale.mkcalendar(u, 'work', 'Work');
  await radicale.mkcalendar('alice', 'home', 'Home');
  const closedPort = await freePort();
  gw = await startCalendarGateway(
    calendarSettings(radicale, {
      'im.calendar.users': {
        'bob@example.com': { timeZone: 'America/New_York' },
        // carol's own (wrong) password: Radicale answers 401.
        'carol@example.com': { username: 'carol', password: 'not her password' },
        // dave's calendar server is not there at all.
        'dave@example.com': { url: `http://127.0.0.1:${closedPort}/dave/` },
      },
    }),
  );
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await gw.user(`${u}@example.com`);
  alice = await online(gw.xmppPort!, 'alice@example.com');
  bob = await online(gw.xmppPort!, 'bob@example.com');
  await gw.calendar.reminders!.syncNow();
});
after(async () => {
  alice?.close();
  bob?.close();
  await gw?.destroy();
  await radicale?.stop();
});

test('a meeting in Radicale reminds alice by IM at its VALARM trigger: title, time in her zone, location', async () => {
  const start = wholeSecond(Date.now()) + 64 * S;
  const trigger = start - 60 * S;
  await radicale.put('alice', 'work', 'planning.ics', ics({ uid: 'planning-1', summary: 'Sprint planning', start, minutes: 45, berlin: true, location: 'Room 4.01', alarms: ['-PT60S'] }));

  const m = await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reminder: Sprint planning'), 15 * S);
  const at = Date.now();
  console.log(`# reminder arrived ${at - trigger} ms after its trigger`);
  assert.ok(at >= trigger - 20 && at <= trigger + 1500, `at the trigger, from the timer (${at - trigger} ms off)`);
  assert.equal(m.attrs.from, 'herald@example.com', 'from the service address (im.serviceAddress)');
  assert.equal(m.attrs.type, 'chat');
  assert.equal(
    bodyOf(m),
    `Reminder: Sprint planning\nWhen: today (${dayLabel(start, TZ)}), ${span(start, start + 45 * 60 * S, TZ)} (Europe/Berlin), starts in 1 minute\nWhere: Room 4.01`,
  );
  const logged = alertLines(gw.dataDir).filter((l) => l.body === bodyOf(m));
  assert.equal(logged.length, 1, 'logged centrally once');
  assert.equal(logged[0]!.from, 'herald@example.com');
  assert.equal(logged[0]!.to, 'alice@example.com');
  const rows = gw.services.store.calendarReminders.list(gw.accountId('alice@example.com')).filter((r) => r.uid === 'planning-1');
  assert.deepEqual(rows.map((r) => [r.outcome, r.triggerAt, r.recurrenceId]), [['sent', trigger, 0]], 'recorded: not again, not after a restart');
  await sleep(1500);
  assert.equal(got(alice, 'Reminder: Sprint planning').length, 1, 'exactly once, although the calendar was read again meanwhile');
});

test('a recurring event (RRULE) reminds for its next occurrence only, in the user’s own time zone', async () => {
  const today = wholeSecond(Date.now()) + 64 * S;
  const firstStart = today - 86_400 * S; // the series began yesterday at the same time
  await radicale.put('bob', 'work', 'standup.ics', ics({ uid: 'standup-1', summary: 'Daily standup', start: firstStart, minutes: 15, alarms: ['-PT60S'], extra: 'RRULE:FREQ=DAILY;COUNT=5' }));

  const m = await bob.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reminder: Daily standup'), 15 * S);
  const at = Date.now();
  assert.ok(at >= today - 60 * S - 20 && at <= today - 60 * S + 1500, `at today's trigger (${at - (today - 60 * S)} ms off)`);
  assert.equal(bodyOf(m), `Reminder: Daily standup\nWhen: today (${dayLabel(today, 'America/New_York')}), ${span(today, today + 15 * 60 * S, 'America/New_York')} (America/New_York), starts in 1 minute`);
  const rows = gw.services.store.calendarReminders.list(gw.accountId('bob@example.com')).filter((r) => r.uid === 'standup-1');
  assert.deepEqual(rows.map((r) => [r.outcome, r.recurrenceId]), [['sent', today]], "keyed by today's recurrence id; yesterday's (over) is not sent");
  // Tomorrow's occurrence waits on the timer.
  const status = gw.calendar.reminders!.status().find((s) => s.address === 'bob@example.com')!;
  assert.ok(status.pending >= 1, `the next occurrence is planned (${JSON.stringify(status)})`);
  await sleep(1200);
  assert.equal(got(bob, 'Reminder: Daily standup').length, 1);
});

test('a moved event reminds at its new time only', async () => {
  const start = wholeSecond(Date.now()) + 65 * S;
  await radicale.put('alice', 'work', 'review.ics', ics({ uid: 'review-1', summary: 'Code review', start, alarms: ['-PT60S'] }));
  await gw.calendar.reminders!.syncNow('alice@example.com');
  await sleep(1500);
  const moved = start + 4 * S;
  await radicale.put('alice', 'work', 'review.ics', ics({ uid: 'review-1', summary: 'Code review', start: moved, alarms: ['-PT60S'], extra: 'SEQUENCE:1' }));

  await sleep(start - 60 * S - Date.now() + 1000);
  assert.equal(got(alice, 'Reminder: Code review').length, 0, 'nothing at the old time');
  const m = await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reminder: Code review'), 10 * S);
  const at = Date.now();
  assert.ok(at >= moved - 60 * S - 20 && at <= moved - 60 * S + 1500, `at the new trigger (${at - (moved - 60 * S)} ms off)`);
  assert.match(bodyOf(m), new RegExp(`, ${hhmm(moved, TZ)}(–| – )`));
  await sleep(1200);
  assert.equal(got(alice, 'Reminder: Code review').length, 1);
});

test('cancelled and deleted events do not remind, nor a cancelled occurrence of a series, nor one alice declined', async () => {
  const start = wholeSecond(Date.now()) + 64 * S;
  await radicale.put('alice', 'work', 'cancelled.ics', ics({ uid: 'cancelled-1', summary: 'Cancelled meeting', start, alarms: ['-PT60S'], extra: 'STATUS:CANCELLED' }));
  await radicale.put('alice', 'home', 'deleted.ics', ics({ uid: 'deleted-1', summary: 'Deleted meeting', start, alarms: ['-PT60S'] }));
  await radicale.put(
    'alice',
    'work',
    'series.ics',
    ics({
      uid: 'series-1',
      summary: 'Series',
      start: start - 86_400 * S,
      alarms: ['-PT60S'],
      extra: 'RRULE:FREQ=DAILY;COUNT=3',
      more: vevent({ uid: 'series-1', summary: 'Series', start, alarms: ['-PT60S'], extra: `RECURRENCE-ID:${new Date(start).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}\nSTATUS:CANCELLED` }),
    }),
  );
  await radicale.put('alice', 'work', 'declined.ics', ics({ uid: 'declined-1', summary: 'Declined meeting', start, alarms: ['-PT60S'], extra: 'ORGANIZER:mailto:bob@example.com\nATTENDEE;PARTSTAT=DECLINED:mailto:alice@example.com' }));
  // The same kind of event, kept: the control that the others would have reminded.
  await radicale.put('alice', 'work', 'kept.ics', ics({ uid: 'kept-1', summary: 'Kept meeting', start, alarms: ['-PT60S'] }));
  await gw.calendar.reminders!.syncNow('alice@example.com');
  await radicale.del('alice', 'home', 'deleted.ics');

  await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reminder: Kept meeting'), 15 * S);
  await sleep(1500);
  for (const title of ['Cancelled meeting', 'Deleted meeting', 'Series', 'Declined meeting']) assert.equal(got(alice, `Reminder: ${title}`).length, 0, `no reminder for "${title}"`);
});

test('an event moved, cancelled or deleted since the last poll does not remind at its old time (checked right before sending)', async () => {
  // Its own gateway that polls once an hour: only the check before sending can see the changes.
  const hourly = await startCalendarGateway(calendarSettings(radicale, { 'im.calendar.pollSeconds': 3600 }));
  try {
    await hourly.user('frank@example.com');
    const frank = await online(hourly.xmppPort!, 'frank@example.com');
    const start = wholeSecond(Date.now()) + 70 * S; // trigger in ~10 s: the data read now is no longer fresh then
    const put = (file: string, summary: string, at: number, extra = '') => radicale.put('frank', 'work', file, ics({ uid: file, summary, start: at, alarms: ['-PT60S'], extra }));
    await put('kept.ics', 'Kept', start);
    await put('moved.ics', 'Moved', start);
    await put('cancelled.ics', 'Cancelled', start);
    await put('deleted.ics', 'Deleted', start);
    await hourly.calendar.reminders!.syncNow('frank@example.com');
    assert.equal(hourly.calendar.reminders!.status()[0]!.pending, 4, 'four reminders planned');
    await put('moved.ics', 'Moved', start + 3 * S, 'SEQUENCE:1');
    await put('cancelled.ics', 'Cancelled', start, 'STATUS:CANCELLED\nSEQUENCE:1');
    await radicale.del('frank', 'work', 'deleted.ics');

    await frank.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reminder: Kept'), 20 * S);
    const m = await frank.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reminder: Moved'), 10 * S);
    const at = Date.now();
    assert.ok(at >= start + 3 * S - 60 * S - 20 && at <= start + 3 * S - 60 * S + 1500, `the moved one at its new trigger (${at - (start + 3 * S - 60 * S)} ms off)`);
    assert.match(bodyOf(m), new RegExp(`, ${hhmm(start + 3 * S, TZ)}(–| – )`));
    await sleep(1500);
    assert.deepEqual(
      frank.received.filter((e) => e.name === 'message').map((e) => bodyOf(e).split('\n')[0]),
      ['Reminder: Kept', 'Reminder: Moved'],
    );
    const dropped = hourly.logs.filter((l) => /calendar reminder for .* dropped/.test(l.msg)).map((l) => l.msg);
    assert.ok(dropped.some((x) => /"Deleted" dropped: the event was deleted/.test(x)), dropped.join(' | '));
    assert.ok(dropped.some((x) => /"Cancelled" dropped: the event was moved, cancelled or changed/.test(x)), dropped.join(' | '));
    assert.ok(dropped.some((x) => /"Moved" dropped/.test(x)), 'the old trigger of the moved one');
    frank.close();
  } finally {
    await hourly.destroy();
  }
});

test('restart: no second reminder; one that came due while the gateway was down is sent late if its event has not begun, else not at all', async () => {
  let g = await startCalendarGateway(calendarSettings(radicale));
  const dataDir = g.dataDir;
  try {
    await g.user('gina@example.com');
    let gina = await online(g.xmppPort!, 'gina@example.com');
    const start1 = wholeSecond(Date.now()) + 64 * S;
    await radicale.put('gina', 'work', 'r1.ics', ics({ uid: 'r1', summary: 'Before the restart', start: start1, alarms: ['-PT60S'] }));
    await gina.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reminder: Before the restart'), 15 * S);
    gina.close();
    await g.destroy({ keepData: true });

    // While the gateway is down (longer than GRACE_MS): r2's trigger passes, its event is still
    // ahead; r3's trigger passes and its event begins.
    const now = wholeSecond(Date.now());
    await radicale.put('gina', 'work', 'r2.ics', ics({ uid: 'r2', summary: 'Still ahead', start: now + 60 * S, alarms: ['-PT59S'] }));
    await radicale.put('gina', 'work', 'r3.ics', ics({ uid: 'r3', summary: 'Already begun', start: now + 2 * S, minutes: 30, alarms: ['-PT1S'] }));
    await sleep(now + S + GRACE_MS + 1500 - Date.now());

    g = await startCalendarGateway(calendarSettings(radicale), { dataDir });
    gina = await online(g.xmppPort!, 'gina@example.com');
    const late = await gina.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reminder: Still ahead'), 10 * S);
    assert.match(bodyOf(late), /, starts in 1 minute\nSent late: this reminder was due today \(.*\), \d\d:\d\d\.$/);
    await sleep(2500); // more polls
    const heads = gina.received.filter((e) => e.name === 'message').map((e) => bodyOf(e).split('\n')[0]);
    assert.deepEqual(heads, ['Reminder: Still ahead'], 'no second "Before the restart", nothing for the event that has begun');
    const rows = Object.fromEntries(g.services.store.calendarReminders.list(g.accountId('gina@example.com')).map((r) => [r.uid, r.outcome]));
    assert.deepEqual(rows, { r1: 'sent', r2: 'late', r3: 'skipped' });
    assert.ok(g.logs.some((l) => /"Already begun" not sent: it was due while unseen and the event has begun/.test(l.msg)));
    gina.close();
  } finally {
    await g.destroy();
  }
});

test('bad data and bad servers are logged and disturb nobody else', async () => {
  // alice: an object ical.js cannot read (Radicale stores it: its VTIMEZONE has month 13), beside a good one.
  const start = wholeSecond(Date.now()) + 64 * S;
  const badZone = `BEGIN:VTIMEZONE\nTZID:Bad/Zone\nBEGIN:DAYLIGHT\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=13;BYDAY=-1SU\nEND:DAYLIGHT\nEND:VTIMEZONE`;
  const broken = vcalendar(badZone, vevent({ uid: 'broken-1', summary: 'Broken', start, alarms: ['-PT60S'] }).replace(/DTSTART:\S+/, `DTSTART;TZID=Bad/Zone:${new Date(start).toISOString().slice(0, 19).replace(/[-:]/g, '')}`));
  await radicale.put('alice', 'work', 'broken.ics', broken);
  await radicale.put('alice', 'work', 'fine.ics', ics({ uid: 'fine-1', summary: 'Fine meeting', start, alarms: ['-PT60S'] }));
  // erin: a file broken by hand in Radicale's storage makes Radicale fail her whole calendar (500).
  writeFileSync(path.join(radicale.dir, 'collections', 'collection-root', 'erin', 'work', 'garbage.ics'), 'this is not iCalendar\r\n');
  await gw.calendar.reminders!.syncNow();

  const status = Object.fromEntries(gw.calendar.reminders!.status().map((s) => [s.address, s]));
  assert.match(status['carol@example.com']!.error ?? '', /401 Unauthorized \(user "carol"\)/);
  assert.match(status['dave@example.com']!.error ?? '', /ECONNREFUSED/);
  assert.match(status['erin@example.com']!.error ?? '', /500/);
  assert.equal(status['alice@example.com']!.error, undefined, 'alice is fine');
  const warned = (user: string, re: RegExp) => gw.logs.some((l) => l.level === 40 && l.user === user && re.test(l.msg));
  assert.ok(warned('carol@example.com', /calendars cannot be read.*401/), 'carol: logged');
  assert.ok(warned('dave@example.com', /calendars cannot be read.*ECONNREFUSED/), 'dave: logged');
  assert.ok(warned('erin@example.com', /calendars cannot be read.*500/), 'erin: logged');
  const brokenLog = gw.logs.filter((l) => l.level === 40 && String(l.href ?? '').endsWith('/alice/work/broken.ics'));
  assert.equal(brokenLog.length, 1, 'the broken object: logged once, not at every poll');
  assert.match(brokenLog[0]!.msg, /BYMONTH/);

  await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Reminder: Fine meeting'), 15 * S);
  await sleep(1500);
  assert.equal(gw.logs.filter((l) => l.level === 40 && String(l.href ?? '').endsWith('/alice/work/broken.ics')).length, 1, 'still once after more polls');
  assert.equal(got(alice, 'Reminder: Broken').length, 0);
});
