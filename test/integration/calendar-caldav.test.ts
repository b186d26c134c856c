// The CalDAV side of calendar reminders against a real server (Debian's Radicale): discovery of
// calendar collections, time-range queries, multiget, conditional GET, what each failure looks
// like — and that an unchanged calendar is not downloaded again (ctag / ETag), counted request by
// request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CalDavError, createCalDavClient, type CalDavClient } from '../../gateway/src/im/calendar/caldav-client.ts';
import { emptyCalendars, syncCalendars } from '../../gateway/src/im/calendar/calendar-cache.ts';
import { startRadicale, type Radicale } from '../fixtures/radicale.ts';
import { freePort } from '../fixtures/peer-utils.ts';
import { ics, wholeSecond } from './calendar-helpers.ts';

let radicale: Radicale;
let client: CalDavClient;
const H = 3_600_000;

before(async () => {
  radicale = await startRadicale({ users: { alice: 'alice-secret', bob: 'bob-secret' } });
  await radicale.mkcalendar('alice', 'work', 'Work');
  await radicale.mkcalendar('alice', 'home', 'Home');
  client = createCalDavClient({ credentials: { username: radicale.service.name, password: radicale.service.password }, timeoutMs: 5000, maxBytes: 1024 * 1024 });
});
after(() => radicale?.stop());

test('discovery, time-range query, multiget and conditional GET, with the service account', async () => {
  const now = Date.now();
  await radicale.put('alice', 'work', 'soon.ics', ics({ uid: 'soon', summary: 'Soon', start: now + H }));
  await radicale.put('alice', 'work', 'later.ics', ics({ uid: 'later', summary: 'Later', start: now + 30 * 24 * H }));
  await radicale.put('alice', 'home', 'daily.ics', ics({ uid: 'daily', summary: 'Daily', start: now - 10 * 24 * H, extra: 'RRULE:FREQ=DAILY' }));

  const cals = await client.listCalendars(`${radicale.url}/alice/`);
  assert.deepEqual(cals.map((c) => [c.url, c.displayName]).sort(), [
    [`${radicale.url}/alice/home/`, 'Home'],
    [`${radicale.url}/alice/work/`, 'Work'],
  ]);
  assert.ok(cals.every((c) => c.marker), 'each has a change marker (ctag / sync-token)');
  // The home may also be a calendar itself (the template names one collection).
  assert.deepEqual((await client.listCalendars(`${radicale.url}/alice/work/`)).map((c) => c.url), [`${radicale.url}/alice/work/`]);

  const work = await client.eventEtags(`${radicale.url}/alice/work/`, now, now + 48 * H);
  assert.deepEqual([...work.keys()], [`${radicale.url}/alice/work/soon.ics`], 'only events in the window');
  const home = await client.eventEtags(`${radicale.url}/alice/home/`, now, now + 48 * H);
  assert.deepEqual([...home.keys()], [`${radicale.url}/alice/home/daily.ics`], 'a series that began before the window is in it (the server expands it)');

  const [obj] = await client.multiget(`${radicale.url}/alice/work/`, [...work.keys()]);
  assert.match(obj!.data, /SUMMARY:Soon/);
  assert.equal(obj!.etag, work.get(obj!.href));
  assert.deepEqual(await client.fetchIfChanged(obj!.href, obj!.etag), { state: 'unchanged' });
  await radicale.put('alice', 'work', 'soon.ics', ics({ uid: 'soon', summary: 'Soon (moved)', start: now + 2 * H }));
  const again = await client.fetchIfChanged(obj!.href, obj!.etag);
  assert.equal(again.state, 'changed');
  assert.match((again as { data: string }).data, /SUMMARY:Soon \(moved\)/);
  await radicale.del('alice', 'work', 'later.ics');
  assert.deepEqual(await client.fetchIfChanged(`${radicale.url}/alice/work/later.ics`, '"x"'), { state: 'gone' });
});

test('failures have kinds the caller acts on: auth (401, 403), not_found, unreachable, too large', async () => {
  const kind = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof CalDavError, String(e));
      return `${e.kind} ${e.status ?? ''}`.trim();
    }
    return 'no error';
  };
  const wrong = createCalDavClient({ credentials: { username: radicale.service.name, password: 'wrong' }, timeoutMs: 5000, maxBytes: 1 << 20 });
  assert.equal(await kind(wrong.listCalendars(`${radicale.url}/alice/`)), 'auth 401');
  const bob = createCalDavClient({ credentials: { username: 'bob', password: 'bob-secret' }, timeoutMs: 5000, maxBytes: 1 << 20 });
  assert.equal(await kind(bob.listCalendars(`${radicale.url}/alice/`)), 'auth 403', "bob may not read alice's calendars");
  assert.equal(await kind(client.listCalendars(`${radicale.url}/nobody/`)), 'not_found 404');
  const closed = await freePort();
  assert.equal(await kind(client.listCalendars(`http://127.0.0.1:${closed}/alice/`)), 'unreachable');
  const tiny = createCalDavClient({ credentials: { username: radicale.service.name, password: radicale.service.password }, timeoutMs: 5000, maxBytes: 200 });
  assert.equal(await kind(tiny.listCalendars(`${radicale.url}/alice/`)), 'bad_response');
});

test('an unchanged calendar costs one PROPFIND per poll; a change downloads only the changed object', async () => {
  await radicale.mkcalendar('bob', 'team', 'Team');
  const now = wholeSecond(Date.now());
  for (let i = 0; i < 20; i++) await radicale.put('bob', 'team', `e${i}.ics`, ics({ uid: `e${i}`, summary: `Event ${i}`, start: now + (i + 1) * H }));
  // Count what the client asks (the real client, wrapped).
  const calls: string[] = [];
  const counted = Object.fromEntries(
    Object.entries(client).map(([name, fn]) => [name, (...args: unknown[]) => (calls.push(`${name}${name === 'multiget' ? `(${(args[1] as string[]).length})` : ''}`), (fn as (...a: unknown[]) => unknown)(...args))]),
  ) as CalDavClient;
  const state = emptyCalendars();
  const home = `${radicale.url}/bob/`;

  let r = await syncCalendars(counted, home, state, { now, lookaheadMs: 48 * H });
  assert.deepEqual([r.calendars, r.unchanged, r.fetched], [1, 0, 20]);
  assert.deepEqual(calls.splice(0), ['listCalendars', 'eventEtags', 'multiget(20)'], 'first read: every object once');

  r = await syncCalendars(counted, home, state, { now: now + 60_000, lookaheadMs: 48 * H });
  assert.deepEqual([r.unchanged, r.fetched], [1, 0]);
  assert.deepEqual(calls.splice(0), ['listCalendars'], 'nothing changed: one PROPFIND, no REPORT');

  await radicale.put('bob', 'team', 'e3.ics', ics({ uid: 'e3', summary: 'Event 3 (moved)', start: now + 3.5 * H }));
  r = await syncCalendars(counted, home, state, { now: now + 120_000, lookaheadMs: 48 * H });
  assert.deepEqual([r.unchanged, r.fetched], [0, 1]);
  assert.deepEqual(calls.splice(0), ['listCalendars', 'eventEtags', 'multiget(1)'], 'one changed event: its ETag list, then that one object');

  await radicale.del('bob', 'team', 'e4.ics');
  await syncCalendars(counted, home, state, { now: now + 180_000, lookaheadMs: 48 * H });
  assert.deepEqual(calls.splice(0), ['listCalendars', 'eventEtags'], 'a deletion: nothing to download');
  const team = state.calendars.get(`${radicale.url}/bob/team/`)!;
  assert.equal(team.objects.size, 19);
  assert.ok(![...team.objects.keys()].some((h) => h.endsWith('/e4.ics')));

  // The window moves on: a quiet calendar is queried again once a quarter of the look-ahead has passed.
  await syncCalendars(counted, home, state, { now: now + 13 * H, lookaheadMs: 48 * H });
  assert.deepEqual(calls.splice(0), ['listCalendars', 'eventEtags'], 'the window moved: ETags again, nothing downloaded');
});
