import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff.ts';

test('backoff doubles up to the ceiling, with jitter between half and all of the nominal delay', () => {
  const o = { minMs: 1000, maxMs: 60_000 };
  assert.deepEqual([0, 1, 2, 3, 6, 7, 50].map((a) => backoffDelay(a, o, () => 1)), [1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
  assert.deepEqual([0, 1, 2].map((a) => backoffDelay(a, o, () => 0)), [500, 1000, 2000]);
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(4, o)));
  assert.ok(spread.size > 10, 'desktops do not come back in lock step');
  for (const d of spread) assert.ok(d >= 8000 && d <= 16_000, String(d));
});
