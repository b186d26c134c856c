// Random WebSocket frames on both sockets (test/fuzz/ws-fuzz.ts) with the fixed CI seed: the
// events socket and XMPP over WebSocket (RFC 7395). A case may close its own connection — with a
// close code or a stream error — but never the process, never another user's session.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, seedFrom } from '../fuzz/prng.ts';
import { describeTally, startFuzzTarget, type FuzzTarget } from '../fuzz/target.ts';
import { fuzzEventsSocket, fuzzXmppWebSocket } from '../fuzz/ws-fuzz.ts';

const SEED = seedFrom(process.env, 0x11a7);
const CASES = Number(process.env.FUZZ_WS_CASES ?? 150);
let t: FuzzTarget;
before(async () => {
  t = await startFuzzTarget();
});
after(() => t.stop());

test(`events socket: ${CASES} random frames (seed ${SEED}): answered or closed with a code, no crash`, async () => {
  const { tally, failures } = await fuzzEventsSocket(t, { rng: createRng(SEED), cases: CASES });
  console.log(describeTally(tally));
  assert.deepEqual(failures, []);
  assert.equal(tally.crashes + tally.serverErrors, 0);
  assert.ok(tally.answers.has('ok') && [...tally.answers.keys()].some((k) => k.startsWith('close ')), describeTally(tally));
});

test(`XMPP over WebSocket: ${CASES} random frames after login (seed ${SEED}): answered or closed, no crash`, async () => {
  const { tally, failures } = await fuzzXmppWebSocket(t, { rng: createRng(SEED + 1), cases: CASES });
  console.log(describeTally(tally));
  assert.deepEqual(failures, []);
  assert.equal(tally.crashes + tally.serverErrors, 0);
  assert.ok(tally.answers.has('ok') && [...tally.answers.keys()].some((k) => k.startsWith('close ')), describeTally(tally));
});
