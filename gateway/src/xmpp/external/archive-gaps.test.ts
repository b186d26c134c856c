import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGapTracker } from './archive-gaps.ts';

const rows = (...ids: number[]) => ids.map((id) => ({ id }));

test('contiguous rows are all taken; the cursor moves to the last', () => {
  const g = createGapTracker({ graceMs: 1000, now: () => 0 });
  const r = g.take(4, rows(5, 6, 7));
  assert.deepEqual(r.rows.map((x) => x.id), [5, 6, 7]);
  assert.equal(r.upto, 7);
  assert.equal(r.waiting, null);
});

test('rows after a gap wait until it fills; then all are taken in id order', () => {
  let t = 0;
  const g = createGapTracker({ graceMs: 1000, now: () => t });
  let r = g.take(0, rows(1, 3, 4));
  assert.deepEqual(r.rows.map((x) => x.id), [1]);
  assert.equal(r.upto, 1);
  assert.deepEqual(r.waiting, { from: 2, to: 2, sinceMs: 0 });
  t = 500;
  r = g.take(1, rows(3, 4));
  assert.deepEqual(r.rows, []);
  assert.equal(r.upto, 1);
  r = g.take(1, rows(2, 3, 4));
  assert.deepEqual(r.rows.map((x) => x.id), [2, 3, 4]);
  assert.equal(r.upto, 4);
  assert.deepEqual(g.missing(), []);
});

test('a gap that never fills is given up after the grace period, counted from when it was first seen', () => {
  let t = 0;
  const g = createGapTracker({ graceMs: 1000, now: () => t });
  assert.equal(g.take(0, rows(3)).upto, 0); // 1 and 2 missing since 0
  t = 600;
  let r = g.take(0, rows(2, 3)); // 2 came; 1 still missing since 0
  assert.deepEqual(r.rows, []);
  assert.deepEqual(r.waiting, { from: 1, to: 1, sinceMs: 0 });
  t = 999;
  assert.equal(g.take(0, rows(2, 3)).upto, 0);
  t = 1000;
  r = g.take(0, rows(2, 3, 5));
  assert.deepEqual(r.rows.map((x) => x.id), [2, 3]);
  assert.deepEqual(r.gaveUp, [{ from: 1, to: 1 }]);
  assert.deepEqual(r.waiting, { from: 4, to: 4, sinceMs: 1000 }); // 4 is new: its own wait
  assert.equal(r.upto, 3);
});

test('a gap seen partly before waits for its newest part', () => {
  let t = 0;
  const g = createGapTracker({ graceMs: 1000, now: () => t });
  g.take(0, rows(2)); // 1 missing since 0
  t = 800;
  const r = g.take(0, rows(2, 5)); // 3, 4 missing since 800... but 1 comes first
  assert.deepEqual(r.waiting, { from: 1, to: 1, sinceMs: 0 });
  t = 1000;
  const r2 = g.take(0, rows(2, 5));
  assert.deepEqual(r2.rows.map((x) => x.id), [2]); // 1 given up, 3..4 still within grace (seen at 800)
  assert.deepEqual(r2.waiting, { from: 3, to: 4, sinceMs: 800 });
  t = 1800;
  assert.deepEqual(g.take(2, rows(5)).rows.map((x) => x.id), [5]);
});
