// Settings of the calendar (im.calendar): the URL template, per-user overrides, and what a bad
// value says at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings } from '../../config/load.ts';
import { createCalendarUsers, homeUrlOf } from './calendar-users.ts';

test('the URL template: {user}, {local}, {domain}, percent-encoded', () => {
  assert.equal(homeUrlOf('https://cal.example.com/{user}/', 'alice@example.com'), 'https://cal.example.com/alice%40example.com/');
  assert.equal(homeUrlOf('https://cloud.example.com/remote.php/dav/calendars/{local}/', 'alice@example.com'), 'https://cloud.example.com/remote.php/dav/calendars/alice/');
  assert.equal(homeUrlOf('https://{domain}/dav/{local}/', 'a b@example.com'), 'https://example.com/dav/a%20b/');
});

test('per-user overrides: own home, own credentials, own time zone; the rest from the template and im.timeZone', () => {
  const s = loadSettings({
    env: {},
    overrides: {
      'im.calendar.url': 'https://cal.example.com/{local}/',
      'im.calendar.username': 'herald',
      'im.calendar.password': 'x',
      'im.timeZone': 'Europe/Berlin',
      'im.calendar.users': { 'Carol@Example.com': { url: 'https://cloud.example.com/dav/carol/', username: 'carol', password: 'app', timeZone: 'Asia/Tokyo' } },
    },
  });
  const users = createCalendarUsers(s.im.calendar, s.im.timeZone);
  const alice = users.resolve({ accountId: 1, address: 'alice@example.com' });
  const carol = users.resolve({ accountId: 2, address: 'carol@example.com' });
  assert.deepEqual([alice.home, alice.timeZone], ['https://cal.example.com/alice/', 'Europe/Berlin']);
  assert.deepEqual([carol.home, carol.timeZone], ['https://cloud.example.com/dav/carol/', 'Asia/Tokyo'], 'keys are addresses, case-insensitive');
  assert.notEqual(alice.client, carol.client, 'her own credentials');
  assert.equal(users.resolve({ accountId: 3, address: 'bob@example.com' }).client, alice.client, 'one client for the service account');
  const none = createCalendarUsers(loadSettings({ env: {} }).im.calendar, 'UTC').resolve({ accountId: 1, address: 'alice@example.com' });
  assert.equal(none.home, undefined, 'no URL configured: no calendar');
});

test('bad settings stop the start naming the key', () => {
  const bad = (overrides: Record<string, unknown>, re: RegExp) => assert.throws(() => loadSettings({ env: {}, overrides }), re);
  bad({ 'im.calendar.url': 'cal.example.com/{user}' }, /invalid setting "im\.calendar\.url".*an http\(s\) URL/);
  bad({ 'im.calendar.users': { 'a@example.com': { timeZone: 'Mars/Olympus' } } }, /invalid setting "im\.calendar\.users\.a@example\.com\.timeZone".*IANA time zone/);
  bad({ 'im.calendar.invitations': 'sometimes' }, /invalid setting "im\.calendar\.invitations"/);
  bad({ 'im.calendar.pollSeconds': 0 }, /invalid setting "im\.calendar\.pollSeconds"/);
  assert.throws(() => loadSettings({ env: { HERALD__IM__CALENDAR__LOOKAHEAD_HOURS: 'soon' } }), /invalid setting "im\.calendar\.lookaheadHours" \(from environment variable HERALD__IM__CALENDAR__LOOKAHEAD_HOURS\)/);
  assert.equal(loadSettings({ env: { HERALD__IM__CALENDAR__URL: 'http://127.0.0.1:5232/{user}/' } }).im.calendar.url, 'http://127.0.0.1:5232/{user}/');
});
