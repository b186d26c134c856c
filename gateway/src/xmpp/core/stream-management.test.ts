import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Element } from 'ltx';
import { failedElement, handledCountTooHigh, parseCount, SmRegistry, StreamManagement, type SmTiming } from './stream-management.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A state machine whose connection is a list of what was written. */
function machine(opts: { id?: string; max?: number; maxUnacked?: number; timing?: Partial<SmTiming> } = {}) {
  const written: string[] = [];
  const events = { ackTimedOut: 0, overflow: 0 };
  const sm = new StreamManagement(
    opts.id,
    opts.max ?? 300,
    'example.com',
    opts.maxUnacked ?? 100,
    {
      write: (xml) => written.push(String(xml)),
      ackTimedOut: () => events.ackTimedOut++,
      overflow: () => events.overflow++,
    },
    { requestEvery: 1000, requestDelayMs: 60_000, ackTimeoutMs: 60_000, ...opts.timing },
  );
  return { sm, written, events };
}

const msg = (n: number, to = 'bob@example.com/phone') => new Element('message', { to, type: 'chat', id: `m${n}` }).c('body').t(`hello ${n}`).root();
const requests = (w: string[]) => w.filter((x) => x === `<r xmlns='urn:xmpp:sm:3'/>`).length;

test('h values: decimal xs:unsignedInt only', () => {
  assert.equal(parseCount('0'), 0);
  assert.equal(parseCount('4294967295'), 4294967295);
  for (const bad of [undefined, '', '-1', '1.5', ' 1', '0x10', '4294967296', '99999999999', 'abc']) assert.equal(parseCount(bad), undefined, String(bad));
});

test('outbound stanzas are numbered and kept until acknowledged; an h beyond what was sent is caught', () => {
  const { sm, written } = machine();
  for (let i = 1; i <= 5; i++) sm.send(msg(i));
  assert.equal(written.length, 5, 'written while connected');
  assert.equal(sm.unacked, 5);
  assert.equal(sm.sendCount, 5);
  sm.ack(3);
  assert.equal(sm.unacked, 2);
  sm.ack(3);
  assert.equal(sm.unacked, 2, 'the same h again changes nothing');
  assert.equal(sm.tooHigh(5), false);
  assert.equal(sm.tooHigh(6), true);
  assert.equal(sm.tooHigh(2), true, 'h going backwards is not a valid count either (it would wrap)');
  assert.throws(() => sm.ack(6), RangeError);
  sm.ack(5);
  assert.equal(sm.unacked, 0);
  sm.countInbound();
  sm.countInbound();
  assert.equal(sm.handled, 2);
  sm.dispose();
});

test('counters wrap at 2^32 (XEP-0198 §4)', () => {
  const { sm } = machine();
  sm.handled = 4294967295;
  sm.countInbound();
  assert.equal(sm.handled, 0);
  // Put the send counter just below the wrap by acknowledging what was "sent" before.
  const internal = sm as unknown as { sent: number };
  internal.sent = 4294967294;
  sm.send(msg(1));
  sm.send(msg(2));
  sm.send(msg(3));
  assert.equal(sm.sendCount, 1);
  assert.equal(sm.unacked, 3);
  assert.equal(sm.tooHigh(0), false);
  sm.ack(0);
  assert.equal(sm.unacked, 1, 'h=0 after the wrap acknowledges the two before it');
  assert.equal(sm.tooHigh(2), true);
  sm.ack(1);
  assert.equal(sm.unacked, 0);
  sm.dispose();
});

test('acks are requested every N stanzas and when the stream goes quiet, one at a time; an unanswered one times out', async () => {
  const every = machine({ timing: { requestEvery: 3 } });
  for (let i = 1; i <= 7; i++) every.sm.send(msg(i));
  assert.equal(requests(every.written), 1, 'one request after 3; none more while it is unanswered');
  every.sm.ack(3);
  for (let i = 8; i <= 10; i++) every.sm.send(msg(i));
  assert.equal(requests(every.written), 2, 'answered: the next 3 ask again');
  every.sm.dispose();

  const quiet = machine({ timing: { requestDelayMs: 30, ackTimeoutMs: 80 } });
  quiet.sm.send(msg(1));
  quiet.sm.send(msg(2));
  assert.equal(requests(quiet.written), 0);
  await wait(60);
  assert.equal(requests(quiet.written), 1, 'asked once the stream went quiet');
  await wait(100);
  assert.equal(quiet.events.ackTimedOut, 1, 'no answer within the deadline');

  const answered = machine({ timing: { requestDelayMs: 10, ackTimeoutMs: 50 } });
  answered.sm.send(msg(1));
  await wait(25);
  answered.sm.ack(1);
  await wait(80);
  assert.equal(answered.events.ackTimedOut, 0, 'an answer stops the deadline');
  assert.equal(requests(answered.written), 1, 'nothing open: no more requests');
  answered.sm.dispose();
});

test('hibernation: stanzas are kept, not written; resume resends what the client lacks, stamped; counting goes on', () => {
  const { sm, written } = machine({ id: 'abc', timing: { requestDelayMs: 60_000 } });
  sm.send(msg(1));
  sm.send(msg(2));
  let expired = 0;
  sm.hibernate(() => expired++);
  const presence = new Element('presence', { from: 'carol@example.com/x', to: 'bob@example.com/phone' });
  sm.send(presence);
  sm.send(msg(3));
  assert.equal(written.length, 2, 'nothing written while hibernating');
  assert.equal(sm.unacked, 4);
  written.length = 0;
  sm.resume(1);
  assert.equal(sm.unacked, 3);
  assert.equal(written.length, 3, 'm2, the presence and m3 are sent again');
  assert.match(written[0]!, /id="m2"/);
  assert.match(written[0]!, /<delay xmlns="urn:xmpp:delay" from="example.com" stamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\/>/);
  assert.doesNotMatch(written[1]!, /delay/, 'only messages get a delay stamp');
  assert.match(written[2]!, /id="m3"/);
  assert.equal(msg(9).toString().includes('delay'), false);
  sm.send(msg(4));
  assert.equal(sm.sendCount, 5, 'resent stanzas keep their numbers');
  assert.equal(expired, 0);
  sm.dispose();
});

test('hibernation ends after max seconds; drain hands back the unacknowledged stanzas as sent, oldest first', async () => {
  const { sm } = machine({ id: 'x', max: 0.05 });
  const room = new Element('message', { from: 'room@conference.example.com/ann', to: 'bob@example.com/phone', type: 'groupchat' });
  sm.send(msg(1));
  sm.send(room);
  room.attrs.to = 'carol@example.com/desk'; // the sender re-addresses the same element for the next occupant
  sm.send(msg(2));
  sm.ack(1);
  let done = false;
  const expired = new Promise<void>((r) => sm.hibernate(r)).then(() => (done = true));
  // The timer is unref'd (it must not keep a server process alive): something else waits here.
  await Promise.race([expired, wait(2000)]);
  assert.ok(done, 'expired');
  const left = sm.drain();
  assert.deepEqual(
    left.map((u) => `${u.stanza.attrs.id ?? u.stanza.attrs.type} ${u.stanza.attrs.to}`),
    ['groupchat bob@example.com/phone', 'm2 bob@example.com/phone'],
  );
  assert.ok(left.every((u) => Math.abs(Date.now() - u.at) < 5000));
  assert.equal(sm.unacked, 0);
});

test('too many unacknowledged stanzas: overflow once, later (hibernating: the limit; connected: 10×)', async () => {
  const connected = machine({ maxUnacked: 2 });
  for (let i = 0; i < 20; i++) connected.sm.send(msg(i));
  await wait(5);
  assert.equal(connected.events.overflow, 0, '20 = 10 × 2 is still allowed');
  connected.sm.send(msg(21));
  assert.equal(connected.events.overflow, 0, 'not from inside send()');
  await wait(5);
  assert.equal(connected.events.overflow, 1);
  connected.sm.send(msg(22));
  await wait(5);
  assert.equal(connected.events.overflow, 1, 'once');
  connected.sm.dispose();

  const asleep = machine({ id: 'y', maxUnacked: 2 });
  asleep.sm.hibernate(() => {});
  asleep.sm.send(msg(1));
  asleep.sm.send(msg(2));
  await wait(5);
  assert.equal(asleep.events.overflow, 0);
  asleep.sm.send(msg(3));
  await wait(5);
  assert.equal(asleep.events.overflow, 1);
  asleep.sm.dispose();
});

test('protocol elements: <failed/> with a stanza error condition, handled-count-too-high', () => {
  assert.equal(
    failedElement('item-not-found', 'no <such> session', 7),
    `<failed xmlns='urn:xmpp:sm:3' h='7'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>no &lt;such&gt; session</text></failed>`,
  );
  assert.equal(failedElement('unexpected-request'), `<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`);
  assert.equal(handledCountTooHigh(10, 8), `<handled-count-too-high xmlns='urn:xmpp:sm:3' h='10' send-count='8'/>`);
});

test('registry: fresh ids, the last h of ended sessions for their own account only, for a while', async () => {
  const reg = new SmRegistry<string>(40, 2);
  const a = reg.add('alice');
  const b = reg.add('bob');
  assert.notEqual(a, b);
  assert.ok(a.length >= 24);
  assert.equal(reg.get(a), 'alice');
  assert.equal(reg.lastHandled(a, 1), undefined, 'still live');
  reg.end(a, 1, 42);
  assert.equal(reg.get(a), undefined);
  assert.equal(reg.lastHandled(a, 1), 42);
  assert.equal(reg.lastHandled(a, 2), undefined, "another account learns nothing");
  reg.end(a, 1, 43);
  assert.equal(reg.lastHandled(a, 1), 42, 'ending twice changes nothing');
  const c = reg.add('carol');
  reg.end(b, 2, 5);
  reg.end(c, 3, 6);
  assert.equal(reg.lastHandled(a, 1), undefined, 'only the newest `keep` are remembered');
  assert.equal(reg.lastHandled(c, 3), 6);
  await wait(60);
  assert.equal(reg.lastHandled(c, 3), undefined, 'forgotten after keepMs');
  assert.equal(reg.size, 0);
});
