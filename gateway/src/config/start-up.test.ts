import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

// Runs in a node of its own: V8 flags are per process. %GetOptimizationStatus (--allow-natives-syntax)
// says whether TurboFan optimized a function (bit 16: optimized; V8's OptimizationStatus).
const CHILD = `
import { getHeapSpaceStatistics } from 'node:v8';
const { startingUp, startedUp } = await import(${JSON.stringify(new URL('./start-up.ts', import.meta.url).href)});
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const keep = [];
const allocate = () => { for (let i = 0; i < 300_000; i++) keep.push({ i, s: 'x' + i }); };
// TurboFan compiles on a background thread: called hot for up to 2 s (a busy CI machine), whether it got optimized.
const hot = async (f) => {
  const end = Date.now() + 2000;
  do {
    for (let k = 0; k < 50; k++) f(20_000);
    if ((%GetOptimizationStatus(f) & 16) !== 0) return true;
    await new Promise((r) => setTimeout(r, 10));
  } while (Date.now() < end);
  return false;
};
const out = {};
if (process.argv.includes('--starting')) startingUp();
out.first = newSpace();
allocate();
out.whileStarting = newSpace();
out.optimizedWhileStarting = await hot(function a(n) { let s = 0; for (let i = 0; i < n; i++) s = (s + i * 7) % 1000003; return s; });
startedUp();
allocate();
out.started = newSpace();
out.optimizedStarted = await hot(function b(n) { let s = 0; for (let i = 0; i < n; i++) s = (s + i * 7) % 1000003; return s; });
console.log(JSON.stringify(out));
`;

function run(args: string[]): { first: number; whileStarting: number; started: number; optimizedWhileStarting: boolean; optimizedStarted: boolean } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--allow-natives-syntax', ...args, '--input-type=module', '-e', CHILD, '--', '--starting'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('while serve starts the young generation keeps its first size and TurboFan waits; once started both are V8 defaults again', () => {
  const r = run([]);
  assert.equal(r.whileStarting, r.first, `the young generation grew while starting (${r.first} -> ${r.whileStarting} bytes)`);
  assert.equal(r.optimizedWhileStarting, false, 'TurboFan optimized while starting');
  assert.ok(r.started > r.first, `the young generation does not grow once started (${r.started} bytes)`);
  assert.equal(r.optimizedStarted, true, 'TurboFan does not optimize once started');
});

test("an admin's own choice is left as it is: TurboFan turned off stays off", () => {
  const r = run(['--no-opt']);
  assert.equal(r.optimizedStarted, false, 'startedUp() turned on TurboFan the admin turned off');
});
