import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';

test('doubles from 0.5 s up to 30 s', () => {
  const mid = () => 0.5; // no jitter
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 20, 1000].map((n) => backoffDelay(n, DEFAULT_BACKOFF, mid)),
    [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000],
  );
});

test('jitter stays within ±30 %', () => {
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0), 2800);
  assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0.999999), 5200);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(10, DEFAULT_BACKOFF);
    assert.ok(d >= 21000 && d <= 39000, String(d));
  }
});
