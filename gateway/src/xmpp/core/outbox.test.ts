import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Element } from 'ltx';
import { createOutbox } from './outbox.ts';
import type { Session } from './session.ts';

/** What the outbox uses of a session: its JID, whether it is available, and send(). */
interface Recipient {
  available: boolean;
  jid: { full: string };
  got: string[];
  send(el: Element): void;
}

function recipients(n: number): Recipient[] {
  return Array.from({ length: n }, (_, i) => ({
    available: true,
    jid: { full: `u${i}@example.com/r` },
    got: [] as string[],
    send(el: Element) {
      assert.equal(el.attrs.to, this.jid.full);
      this.got.push(`${el.attrs.from}:${el.attrs.type ?? 'available'}`);
    },
  }));
}

const asSessions = (r: Recipient[]) => r as unknown as Session[];
const presence = (from: string, type?: string) => new Element('presence', { from, type });

test('a large fan-out goes out over several turns of the event loop, each recipient once and in order', async () => {
  const box = createOutbox({ syncMax: 10, sliceMs: 1 });
  const to = recipients(5_000);
  box.broadcast(presence('ann@example.com/a'), asSessions(to));
  box.broadcast(presence('ann@example.com/a', 'unavailable'), asSessions(to));
  assert.equal(box.backlog, 10_000, 'nothing went out inside the call');
  // Other work gets turns while the fan-out is under way.
  let turns = 0;
  let finished = false;
  const tick = () => {
    turns++;
    if (!finished) setImmediate(tick);
  };
  setImmediate(tick);
  await box.idle();
  finished = true;
  assert.equal(box.backlog, 0);
  assert.ok(turns > 1, `the fan-out let ${turns} other turns run`);
  for (const r of to) assert.deepEqual(r.got, ['ann@example.com/a:available', 'ann@example.com/a:unavailable']);
});

test('a small fan-out goes out at once when nothing waits, and behind what waits otherwise', async () => {
  const box = createOutbox({ syncMax: 10, sliceMs: 1 });
  const few = recipients(5);
  box.broadcast(presence('bob@example.com/b'), asSessions(few));
  assert.deepEqual(few[0]!.got, ['bob@example.com/b:available']);
  const many = recipients(50);
  box.broadcast(presence('cat@example.com/c'), asSessions(many));
  box.broadcast(presence('cat@example.com/c', 'unavailable'), asSessions(many.slice(0, 3)));
  assert.deepEqual(many[0]!.got, [], 'queued behind the large one');
  await box.idle();
  assert.deepEqual(many[0]!.got, ['cat@example.com/c:available', 'cat@example.com/c:unavailable']);
  assert.deepEqual(many[49]!.got, ['cat@example.com/c:available']);
});

test('many presences to one session wait their turn too, and a recipient that went unavailable meanwhile gets none', async () => {
  const box = createOutbox({ syncMax: 10, sliceMs: 1 });
  const [newcomer] = recipients(1);
  const others = Array.from({ length: 100 }, (_, i) => presence(`u${i}@example.com/r`));
  box.toOne(newcomer! as unknown as Session, others);
  const gone = recipients(30);
  box.broadcast(presence('dan@example.com/d'), asSessions(gone));
  gone[7]!.available = false;
  await box.idle();
  assert.equal(newcomer!.got.length, 100);
  assert.equal(newcomer!.got[99], 'u99@example.com/r:available');
  assert.deepEqual(gone[7]!.got, []);
  assert.deepEqual(gone[8]!.got, ['dan@example.com/d:available']);
});
