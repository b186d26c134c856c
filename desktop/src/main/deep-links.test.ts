import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findDeepLink } from './deep-links.ts';

test('the herald:// argument is found among the others a second instance was started with', () => {
  const link = 'herald://provision?token=abc';
  assert.equal(findDeepLink(['/opt/Herald/herald', '--no-sandbox', link]), link);
  assert.equal(findDeepLink(['C:\\Herald\\Herald.exe', 'HERALD://provision?x=1']), 'HERALD://provision?x=1', 'the scheme is case-insensitive');
  assert.equal(findDeepLink(['herald', 'herald://first', 'herald://second']), 'herald://first');
});

test('no link: other schemes, look-alikes and oversized arguments are ignored', () => {
  assert.equal(findDeepLink([]), undefined);
  assert.equal(findDeepLink(['/usr/bin/herald', '--hidden']), undefined);
  assert.equal(findDeepLink(['https://evil.example/herald://provision']), undefined);
  assert.equal(findDeepLink(['heraldx://provision', 'herald:/provision']), undefined);
  assert.equal(findDeepLink([`herald://provision?jws=${'a'.repeat(16 * 1024)}`]), undefined, 'over 16 KiB');
});
