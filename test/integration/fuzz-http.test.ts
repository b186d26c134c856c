// Hostile HTTP on every route (test/fuzz/http-fuzz.ts) with the fixed CI seed: no 5xx, errors as
// {error:{code,message}}, the process alive and another user's XMPP session working after every
// batch. `npm run fuzz` runs the same with other seeds and for longer.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzHttp } from '../fuzz/http-fuzz.ts';
import { createRng, seedFrom } from '../fuzz/prng.ts';
import { describeTally, startFuzzTarget, type FuzzTarget } from '../fuzz/target.ts';
import { requestSlot } from '../fuzz/xmpp-fuzz.ts';

const SEED = seedFrom(process.env, 0x11a7);
let t: FuzzTarget;
before(async () => {
  t = await startFuzzTarget();
});
after(() => t.stop());

test(`HTTP: ${process.env.FUZZ_HTTP_CASES ?? 420} hostile requests over every route (seed ${SEED}): no 5xx, no crash`, async () => {
  const upload = await requestSlot(t);
  const { tally, failures } = await fuzzHttp(t, { rng: createRng(SEED), cases: Number(process.env.FUZZ_HTTP_CASES ?? 420), upload });
  console.log(describeTally(tally));
  assert.deepEqual(failures, []);
  assert.equal(tally.crashes, 0);
  assert.equal(tally.serverErrors, 0);
  // The run reached the routes' own logic, not only the parser's refusals.
  for (const status of ['200', '201', '204', '400', '401', '404', '413', '415']) assert.ok(tally.answers.has(status), `some case got ${status}: ${describeTally(tally)}`);
});
