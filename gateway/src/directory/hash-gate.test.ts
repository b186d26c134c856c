import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeraldError } from '../protocol/errors.ts';
import { createHashGate } from './hash-gate.ts';

test('at most max at once; one more is refused with busy (429, Retry-After) at once, not queued; a slot frees when one ends, also by failure', async () => {
  const gate = createHashGate(2);
  const releases: (() => void)[] = [];
  const held = () => gate.run(() => new Promise<void>((r) => releases.push(r)));
  const a = held();
  const b = held();
  assert.equal(gate.active, 2);
  await assert.rejects(
    gate.run(async () => assert.fail('must not run')),
    (e: unknown) => e instanceof HeraldError && e.code === 'busy' && e.status === 429 && e.details.retryAfterSeconds === 1,
  );
  releases[0]!();
  await a;
  assert.equal(gate.active, 1);
  await assert.rejects(gate.run(() => Promise.reject(new Error('scrypt failed'))), /scrypt failed/);
  assert.equal(gate.active, 1, 'a failing hash gives its slot back');
  assert.equal(await gate.run(async () => 'ran'), 'ran');
  releases[1]!();
  await b;
  assert.equal(gate.active, 0);
});
