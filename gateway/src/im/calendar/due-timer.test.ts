// The one-timer scheduler: always set for the earliest item, hands over what is due, never busy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDueTimer, type Clock } from './due-timer.ts';

function fakeClock() {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let seq = 0;
  const clock: Clock & { advance(ms: number): void; armed(): number[] } = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return { id, unref() {} } as { unref(): void };
    },
    clearTimeout(h) {
      timers.delete((h as { id: number }).id);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = [...timers].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > until) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = until;
    },
    armed: () => [...timers.values()].map((t) => t.at),
  };
  return clock;
}

test('one timer, set for the earliest item; due items come in order, the rest wait', () => {
  const clock = fakeClock();
  const fired: string[] = [];
  const t = createDueTimer<string>({ clock, onDue: (items) => fired.push(...items.map((i) => `${i}@${clock.now()}`)) });
  t.set('b', 2000, 'b');
  t.set('a', 1000, 'a');
  t.set('c', 1000, 'c');
  t.set('d', 5000, 'd');
  assert.deepEqual(clock.armed(), [1000], 'exactly one timer, for the earliest');
  clock.advance(999);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, ['a@1000', 'c@1000']);
  assert.deepEqual(clock.armed(), [2000]);
  t.delete('b');
  assert.deepEqual(clock.armed(), [5000], 'removing the next item re-arms for the one after');
  t.deleteWhere((i) => i === 'd');
  assert.deepEqual(clock.armed(), [], 'nothing pending: no timer at all');
  t.set('e', 500, 'e'); // already past: fires at once
  clock.advance(0);
  assert.deepEqual(fired, ['a@1000', 'c@1000', 'e@1000']);
  t.set('f', 9000, 'f');
  t.set('f', 3000, 'f'); // replaced, earlier
  clock.advance(2000);
  assert.deepEqual(fired.at(-1), 'f@3000');
  assert.deepEqual(t.pending(), []);
  t.set('g', 10_000, 'g');
  t.close();
  assert.deepEqual(clock.armed(), []);
});

test('a moment beyond setTimeout’s 24.8-day limit is reached in steps', () => {
  const clock = fakeClock();
  const fired: number[] = [];
  const t = createDueTimer<string>({ clock, onDue: () => fired.push(clock.now()) });
  const far = 40 * 86_400_000;
  t.set('x', far, 'x');
  assert.deepEqual(clock.armed(), [2 ** 31 - 1]);
  clock.advance(far);
  assert.deepEqual(fired, [far]);
});
