// Mutated stanzas after login over TCP (test/fuzz/stanzas.ts, test/fuzz/xmpp-fuzz.ts) with the
// fixed CI seed: message, presence, roster, disco, MAM, MUC join/admin/owner, upload slots, vCard,
// ping, carbons, stream management and CSI, each changed in attributes, children, text,
// namespaces and addresses. Every case ends in an answer on a live session or a stream error;
// the process and another user's session stay up. (Parser-level cases: xmpp-server.test.ts.)
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, seedFrom } from '../fuzz/prng.ts';
import { describeTally, startFuzzTarget, type FuzzTarget } from '../fuzz/target.ts';
import { fuzzSpool } from '../fuzz/spool-fuzz.ts';
import { fuzzXmpp } from '../fuzz/xmpp-fuzz.ts';

const SEED = seedFrom(process.env, 0x11a7);
const CASES = Number(process.env.FUZZ_XMPP_CASES ?? 300);
let t: FuzzTarget;
before(async () => {
  t = await startFuzzTarget();
});
after(() => t.stop());

test(`XMPP: ${CASES} mutated stanzas after login (seed ${SEED}): stanza or stream errors, no crash`, async () => {
  const { tally, failures } = await fuzzXmpp(t, { rng: createRng(SEED), cases: CASES });
  console.log(describeTally(tally));
  assert.deepEqual(failures, []);
  assert.equal(tally.crashes, 0);
  assert.equal(tally.serverErrors, 0);
  assert.ok([...tally.answers.keys()].some((k) => k.startsWith('iq:')), `some stanza errors: ${describeTally(tally)}`);
});

test(`SEM spool: ${Math.round(CASES / 3)} mutated SEM files dropped into the running gateway (seed ${SEED}): delivered or in bad/ with a reason, none lost`, async () => {
  const { tally, failures } = await fuzzSpool(t, { rng: createRng(SEED), cases: Math.round(CASES / 3) });
  console.log(describeTally(tally));
  assert.deepEqual(failures, []);
  assert.ok(tally.answers.get('delivered') && tally.answers.get('bad/ (refused)'), describeTally(tally));
});
