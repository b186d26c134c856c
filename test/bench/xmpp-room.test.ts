// The benchmark's room fan-out (scenario d, xmpp-room.ts) against a real peer — our gateway in
// process — so its numbers can be trusted: every copy is counted once, a copy that never arrives
// is reported as lost (and flagged by roomFailures), and a refused join is a clear failure with
// nothing sent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { Conn } from './xmpp-client.ts';
import { roomFanout, type RoomCommand, type RoomResult } from './xmpp-room.ts';
import { roomFailures, type RoomRun } from './xmpp-room-run.ts';

const PW = 'correct horse battery';
let gw: TestGateway;
const conns: Conn[] = [];
let handler: ((c: Conn, s: string) => void) | undefined;
/** Called with every stanza after the room phase's own listener (a test's hook). */
let spy: ((c: Conn, s: string) => void) | undefined;

async function connect(user: string, domain: string): Promise<Conn> {
  const c = await Conn.connect(gw.xmppPort!);
  await c.login({ port: gw.xmppPort!, domain, user, secret: PW, mechanism: 'PLAIN', starttls: false, resource: 'bench', roster: true, presence: true });
  c.onStanza = (s) => {
    handler?.(c, s);
    spy?.(c, s);
  };
  conns.push(c);
  return c;
}

before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  for (let j = 0; j < 5; j++) await gw.user(`r${j}@example.com`, PW);
  await gw.user('zed@other.example', PW);
  for (let j = 0; j < 5; j++) await connect(`r${j}`, 'example.com');
  await connect('zed', 'other.example');
});
after(async () => {
  for (const c of conns) c.kill();
  await gw.destroy();
});

const command = (room: string, occupants: number[]): RoomCommand => ({
  op: 'room',
  occupants,
  room,
  rate: 20,
  seconds: 1,
  warmupSeconds: 0.2,
  drainSeconds: 2,
  joinConcurrency: 2,
  serverPid: process.pid,
});
const run = (cmd: RoomCommand) => roomFanout(conns, cmd, (fn) => (handler = fn));
const asRun = (result: RoomResult): RoomRun => ({ server: 'Herald', room: '', wanted: result.occupants, connected: result.occupants, connectErrors: [], baselineKiB: 0, rssKiB: 0, result, problems: { warnings: 0, errors: 0, samples: [] } });

test('every occupant gets every message once, and each copy is timed', async () => {
  const r = await run(command('count@conference.example.com', [0, 1, 2, 3, 4]));
  assert.equal(r.configured, true, r.configError);
  assert.deepEqual([r.joined, r.joinErrors], [5, []]);
  // Each occupant sees everyone's presence once, its own included: 5 × 5.
  assert.equal(r.presences, 25);
  assert.ok(r.sent >= 15 && r.sent <= 21, `sent ${r.sent} at 20/s for 1 s`);
  assert.equal(r.expected, r.sent * 5);
  assert.deepEqual({ delivered: r.delivered, lost: r.lost, duplicates: r.duplicates, errors: r.errors, closed: r.closedSessions }, { delivered: r.expected, lost: 0, duplicates: 0, errors: 0, closed: 0 });
  assert.ok(r.p50 > 0 && r.p50 <= r.p99 && r.p99 <= r.max && r.lastP99 >= r.p99, JSON.stringify(r));
  assert.ok(r.receivedTotal >= r.delivered);
  assert.deepEqual(roomFailures(asRun(r)), []);
});

test('a copy that never arrives is counted as lost and flagged', async () => {
  // Occupant 4 drops its connection at its first copy: the server takes it out of the room, so
  // every later message reaches only four of the five who joined.
  const victim = conns[4]!;
  spy = (c, s) => {
    if (c === victim && s.startsWith('<message') && s.includes('<body>room')) {
      spy = undefined;
      victim.kill();
    }
  };
  const r = await run(command('loss@conference.example.com', [0, 1, 2, 3, 4]));
  spy = undefined;
  assert.equal(r.joined, 5);
  assert.ok(r.lost >= r.sent - 2 && r.lost > 0, `lost ${r.lost} of ${r.expected}`);
  assert.equal(r.delivered + r.lost, r.expected);
  assert.equal(r.closedSessions, 1);
  const failures = roomFailures(asRun(r));
  assert.ok(failures.some((f) => f.includes(`${r.lost} of ${r.expected} copies lost`)) && failures.some((f) => f.includes('1 sessions closed')), failures.join('; '));
});

test('a refused join is a clear failure, and nothing is sent', async () => {
  // zed is not a user of example.com: its conference service refuses him.
  const r = await run(command('refused@conference.example.com', [5, 0]));
  assert.equal(r.configured, false);
  assert.equal(r.joined, 0);
  assert.match(r.joinErrors[0] ?? '', /^owner: join refused: .*forbidden/);
  assert.deepEqual([r.sent, r.expected, r.delivered], [0, 0, 0]);
  assert.match(roomFailures(asRun(r)).join('; '), /room not configured: owner: join refused/);
  // The others were not disturbed: occupant 0 still answers in a new room.
  const again = await run(command('after@conference.example.com', [0, 1]));
  assert.deepEqual([again.joined, again.lost, again.delivered === again.expected && again.expected > 0], [2, 0, true]);
});
