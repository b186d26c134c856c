// The benchmark's morning sign-in (scenario f, xmpp-morning-load.ts) against a real peer — our
// gateway in process, whose roster is the mail domain — so its counts can be trusted: with n
// users of one domain signing in, every client sees each colleague's available presence once and
// its own once (n² in all), a repeat is counted as a repeat, and a failed sign-in is flagged.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { Conn, type LoginSpec } from './xmpp-client.ts';
import { morning, type MorningResult } from './xmpp-morning-load.ts';
import { morningFailures, type MorningRun } from './xmpp-morning.ts';

const PW = 'correct horse battery';
const USERS = ['u00000', 'u00001', 'u00002', 'u00003', 'u00004', 'u00005'];
let gw: TestGateway;
const sessions: Conn[] = [];

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  for (const u of USERS) await gw.user(`${u}@example.com`, PW);
});
after(async () => {
  for (const c of sessions) c.kill();
  await gw.destroy();
});

const spec = (user: string, secret = PW): LoginSpec => ({ port: gw.xmppPort!, domain: 'example.com', user, secret, mechanism: 'PLAIN', starttls: false, resource: 'morning', roster: false, presence: false });
const asRun = (result: MorningResult): MorningRun => ({ server: 'Herald', n: result.wanted, seconds: 1, baselineKiB: 0, rssKiB: 0, result, problems: { warnings: 0, errors: 0, samples: [] } });
// Each test starts with nobody online.
afterEach(async () => {
  for (const c of sessions) c.close();
  await Promise.all(sessions.map((c) => c.closed));
  sessions.length = 0;
});

test('n users of one domain: everyone signs in, n² presences (n(n−1) colleagues + n own), each timed', async () => {
  const r = await morning(sessions, { op: 'morning', specs: USERS.map((u) => spec(u)), seconds: 0.5, settleSeconds: 10 });
  assert.deepEqual([r.ok, r.failed, r.errors], [6, 0, []]);
  assert.deepEqual([r.rosterItemsMin, r.rosterItemsMax], [5, 5]);
  assert.deepEqual(
    { presences: r.presences, distinct: r.distinctAvailable, repeats: r.duplicateAvailable, own: r.ownReflections, unavailable: r.unavailable, expected: r.expectedPresences },
    { presences: 36, distinct: 30, repeats: 0, own: 6, unavailable: 0, expected: 36 },
  );
  assert.ok(r.rosterP50 > 0 && r.rosterP99 <= r.loginP99 && r.loginP50 <= r.loginP99 && r.loginP99 <= r.loginMax, JSON.stringify(r));
  assert.ok(r.settled && r.loginsPerSecond > 0 && r.allPresenceSeconds >= r.loginSeconds - 0.1, JSON.stringify(r));
  assert.equal(sessions.length, 6, 'the clients stay online');
  assert.deepEqual(morningFailures(asRun(r)), []);
});

test('a second copy of a colleague’s presence is counted as a repeat, not as another colleague', async () => {
  // u00005 is online already with another resource: each client that signs in gets its presence
  // from both resources, and both from the same user.
  const early = await Conn.connect(gw.xmppPort!);
  await early.login({ ...spec('u00005'), resource: 'desk', roster: true, presence: true });
  sessions.push(early);
  const r = await morning(sessions, { op: 'morning', specs: USERS.map((u) => spec(u)), seconds: 0.5, settleSeconds: 10 });
  assert.equal(r.ok, 6);
  // The five others see u00005 twice (its desk, then its morning resource); u00005's own desk
  // resource is no colleague of its morning one and counts in neither.
  assert.deepEqual([r.distinctAvailable, r.duplicateAvailable, r.ownReflections], [30, 5, 6]);
});

test('a sign-in that fails is counted and flagged; the others are measured', async () => {
  const r = await morning(sessions, { op: 'morning', specs: [spec('u00000'), spec('u00001', 'wrong password'), spec('u00002')], seconds: 0.2, settleSeconds: 10 });
  assert.deepEqual([r.ok, r.failed], [2, 1]);
  assert.match(r.errors[0] ?? '', /^u00001: SASL PLAIN failed/);
  // Two online: each sees the other and itself.
  assert.deepEqual([r.presences, r.expectedPresences], [4, 4]);
  assert.match(morningFailures(asRun(r)).join('; '), /1 of 3 sign-ins failed \(u00001: SASL PLAIN failed/);
});
