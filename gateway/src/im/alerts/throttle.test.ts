import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlertThrottle, type ThrottleSummary } from './throttle.ts';

/** A clock and timers the test moves by hand. */
function fakeTime() {
  let now = 0;
  const timers = new Set<{ at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const t = { at: now + ms, fn };
      timers.add(t);
      return t;
    },
    clearTimer: (t: unknown) => void timers.delete(t as { at: number; fn: () => void }),
    advance(ms: number) {
      now += ms;
      for (const t of [...timers].sort((a, b) => a.at - b.at)) {
        if (t.at <= now && timers.delete(t)) t.fn();
      }
    },
  };
}

test('per rule: N alerts in the window, the rest counted into ONE summary at its end', () => {
  const time = fakeTime();
  const summaries: ThrottleSummary[] = [];
  const th = createAlertThrottle({ windowMs: 600_000, perRule: 3, perRecipient: 100, onSummary: (s) => summaries.push(s), ...time });
  const admitted = Array.from({ length: 60 }, () => th.admit('Alice@example.com', 'r1', 'Invoices')).filter(Boolean).length;
  assert.equal(admitted, 3);
  assert.equal(summaries.length, 0, 'the summary waits for the end of the window');
  time.advance(599_999);
  assert.equal(summaries.length, 0);
  time.advance(1);
  assert.deepEqual(summaries, [{ to: 'alice@example.com', dropped: 57, byRule: [{ label: 'Invoices', dropped: 57 }], windowMs: 600_000 }]);
  assert.equal(th.size(), 0);
  assert.ok(th.admit('alice@example.com', 'r1', 'Invoices'), 'a new window after the old one ended');
});

test('per recipient: all rules together are capped; another recipient is not affected', () => {
  const time = fakeTime();
  const summaries: ThrottleSummary[] = [];
  const th = createAlertThrottle({ windowMs: 1000, perRule: 5, perRecipient: 7, onSummary: (s) => summaries.push(s), ...time });
  let ok = 0;
  for (let i = 0; i < 10; i++) ok += Number(th.admit('boss@example.com', 'a', 'A')) + Number(th.admit('boss@example.com', 'b', 'B'));
  assert.equal(ok, 7, 'interleaved A, B, A, B…: 4 of A and 3 of B, then the recipient cap');
  assert.ok(th.admit('carol@example.com', 'a', 'A'), 'carol has her own window');
  time.advance(1000);
  assert.deepEqual(summaries, [{ to: 'boss@example.com', dropped: 13, byRule: [{ label: 'A', dropped: 6 }, { label: 'B', dropped: 7 }], windowMs: 1000 }]);
});

test('no summary for a window that held nothing back; flush() ends every window now', () => {
  const time = fakeTime();
  const summaries: ThrottleSummary[] = [];
  const th = createAlertThrottle({ windowMs: 10_000, perRule: 1, perRecipient: 10, onSummary: (s) => summaries.push(s), ...time });
  th.admit('a@example.com', 'r', 'R');
  time.advance(10_000);
  assert.equal(summaries.length, 0);
  th.admit('a@example.com', 'r', 'R');
  th.admit('a@example.com', 'r', 'R');
  time.advance(2500);
  th.flush();
  assert.deepEqual(summaries, [{ to: 'a@example.com', dropped: 1, byRule: [{ label: 'R', dropped: 1 }], windowMs: 2500 }]);
  time.advance(10_000);
  assert.equal(summaries.length, 1, 'the flushed window does not end a second time');
});
