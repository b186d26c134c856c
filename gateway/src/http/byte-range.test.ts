// Range header parsing for the update feed's files (RFC 9110 §14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byteRange } from './byte-range.ts';

test('one range: first-last, open-ended, suffix; the end is clamped to the size', () => {
  assert.deepEqual(byteRange('bytes=0-99', 1000), { kind: 'partial', start: 0, end: 99 });
  assert.deepEqual(byteRange('bytes=900-', 1000), { kind: 'partial', start: 900, end: 999 });
  assert.deepEqual(byteRange('bytes=-100', 1000), { kind: 'partial', start: 900, end: 999 });
  assert.deepEqual(byteRange('bytes=-5000', 1000), { kind: 'partial', start: 0, end: 999 });
  assert.deepEqual(byteRange('bytes=990-5000', 1000), { kind: 'partial', start: 990, end: 999 });
  assert.deepEqual(byteRange(' Bytes = 5-5 ', 1000), { kind: 'partial', start: 5, end: 5 });
});

test('nothing to satisfy: 416', () => {
  assert.deepEqual(byteRange('bytes=1000-', 1000), { kind: 'unsatisfiable' });
  assert.deepEqual(byteRange('bytes=-0', 1000), { kind: 'unsatisfiable' });
  assert.deepEqual(byteRange('bytes=0-', 0), { kind: 'unsatisfiable' });
});

test('ignored (the whole file): none, several ranges, other units, garbage, last < first', () => {
  for (const h of [undefined, '', 'bytes=0-1,5-9', 'items=0-1', 'bytes=abc', 'bytes=-', 'bytes=9-3', 'bytes=0-1-2']) assert.deepEqual(byteRange(h, 1000), { kind: 'full' }, String(h));
});
