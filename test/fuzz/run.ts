// `npm run fuzz`: the hostile-input suites with any seed, for as long as wanted, against one real
// gateway process (plus the desktop loaders in this process). Prints per surface: cases, crashes,
// server errors (5xx, internal-server-error, unexpected throws) and the answers seen; exits 1 on
// any failure, printing each with its case number (same seed + same options = same cases).
//   npm run fuzz -- [--seed N] [--duration SECONDS | --iterations N] [--surface http,events,xmpp-ws,xmpp,spool,sem,skins,provision]
// FUZZ_SEED works too; HERALD_CHILD_LOG=1 shows the gateway's log (HERALD_CHILD_LOG_LEVEL=debug for more),
// FUZZ_DEBUG=1 every case of the socket surfaces.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fuzzProvisioning, fuzzSemParser, fuzzSkins } from './desktop-fuzz.ts';
import { fuzzHttp } from './http-fuzz.ts';
import { createRng } from './prng.ts';
import { fuzzSpool } from './spool-fuzz.ts';
import { describeTally, startFuzzTarget, type FuzzTarget, type Tally } from './target.ts';
import { fuzzEventsSocket, fuzzXmppWebSocket } from './ws-fuzz.ts';
import { fuzzXmpp, requestSlot } from './xmpp-fuzz.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: process.env.FUZZ_SEED ?? String(Date.now() % 1e9) },
    duration: { type: 'string' },
    iterations: { type: 'string' },
    surface: { type: 'string', default: 'http,events,xmpp-ws,xmpp,spool,sem,skins,provision' },
  },
});
const seed = Number(values.seed) >>> 0;
const surfaces = values.surface.split(',');
const iterations = values.iterations ? Number(values.iterations) : values.duration ? Infinity : 500;
const durationMs = values.duration ? Number(values.duration) * 1000 : Infinity;
type Run = { tally: Tally; failures: string[] };
type Step = (o: { until: number; cases: number }) => Promise<Run>;

/** Repeats a fixed-size step until the cases or the time are spent, adding up its tallies. */
async function repeat(cases: number, until: number, chunk: number, step: (n: number, round: number) => Promise<Run> | Run): Promise<Run> {
  let total: Run | undefined;
  for (let done = 0, round = 0; done < cases && Date.now() < until; done += chunk, round++) {
    const r = await step(Math.min(chunk, cases - done), round);
    if (!total) total = r;
    else {
      total.tally.cases += r.tally.cases;
      total.tally.crashes += r.tally.crashes;
      total.tally.serverErrors += r.tally.serverErrors;
      for (const [k, n] of r.tally.answers) total.tally.answers.set(k, (total.tally.answers.get(k) ?? 0) + n);
      total.failures.push(...r.failures);
    }
    if (r.tally.crashes) break;
  }
  return total!;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'herald-fuzz-run-'));
let target: FuzzTarget | undefined;
const gateway = async () => (target ??= await startFuzzTarget());
const rng = createRng(seed);
const steps: Record<string, Step> = {
  http: async (o) => fuzzHttp(await gateway(), { rng, ...o, upload: await requestSlot(await gateway()) }),
  events: async (o) => fuzzEventsSocket(await gateway(), { rng, ...o }),
  'xmpp-ws': async (o) => fuzzXmppWebSocket(await gateway(), { rng, ...o }),
  xmpp: async (o) => fuzzXmpp(await gateway(), { rng, ...o }),
  spool: async (o) => {
    const t = await gateway();
    return repeat(o.cases, o.until, 50, (n, round) => fuzzSpool(t, { rng, cases: n, first: 100_000 + round * 50 }));
  },
  sem: (o) => repeat(o.cases * 5, o.until, 500, (n) => fuzzSemParser(rng, n)),
  skins: (o) => repeat(o.cases, o.until, 50, (n) => fuzzSkins(rng, mkdtempSync(path.join(scratch, 'skins-')), n)),
  provision: (o) => repeat(o.cases * 2, o.until, 200, (n) => fuzzProvisioning(rng, mkdtempSync(path.join(scratch, 'prov-')), n)),
};

const started = Date.now();
console.log(`fuzz: seed ${seed}, ${values.duration ? `${values.duration} s` : `${iterations} iterations per surface`}, surfaces ${surfaces.join(',')}`);
const failures: string[] = [];
try {
  for (const [k, s] of surfaces.entries()) {
    const step = steps[s];
    if (!step) throw new Error(`unknown surface ${s}; known: ${Object.keys(steps).join(', ')}`);
    // Each surface gets an equal share of what is left of the time.
    const until = Number.isFinite(durationMs) ? Date.now() + (started + durationMs - Date.now()) / (surfaces.length - k) : Infinity;
    const r = await step({ until, cases: iterations });
    console.log(describeTally(r.tally));
    failures.push(...r.failures.map((f) => `[${s}] ${f}`));
  }
} finally {
  await target?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`fuzz: ${((Date.now() - started) / 1000).toFixed(1)} s, ${failures.length} failures (seed ${seed})`);
for (const f of failures) console.log(`  ${f}`);
process.exit(failures.length ? 1 : 0);
