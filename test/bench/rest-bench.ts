// npm run bench:rest — the built gateway's RSS at rest (issue 12: <= 70 MiB after `serve --demo`):
// `node bin/herald-gateway.mjs serve --demo` (the build, as `npm start` runs it; `npm run build`
// first) on a fresh data folder, HTTP and XMPP on free loopback ports, nothing connecting; VmRSS
// from /proc/PID/status 10 s and 20 s after its "listening on" line, --runs N times (5; --quick 3),
// one after another. Prints each run, min/median/max and whether the target is met at 10 s and at 20 s.
// Linux only (/proc). Other processes on the machine do not change RSS much, but V8's timing does:
// compare runs made beside each other.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, runs: { type: 'string' } } });
const RUNS = Number(values.runs ?? (values.quick ? 3 : 5));
const TARGET_MIB = 70;
const AT_SECONDS = [10, 20];
const root = path.resolve(import.meta.dirname, '../..');

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(): Promise<number[]> {
  const data = mkdtempSync(path.join(tmpdir(), 'herald-rest-'));
  const child = spawn(process.execPath, [path.join(root, 'bin', 'herald-gateway.mjs'), 'serve', '--demo', '--data', data, '--http-port', '0', '--xmpp-port', '0'], {
    env: { ...process.env, HERALD_GATEWAY_FROM_SOURCE: undefined, HERALD__HTTP__HOST: '127.0.0.1', HERALD__XMPP__HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const look = (c: Buffer) => {
        out += c;
        if (/listening on/.test(out)) resolve();
      };
      child.stdout.on('data', look);
      child.stderr.on('data', look);
      child.once('exit', (code) => reject(new Error(`the gateway exited ${code} before listening:\n${out}`)));
    });
    const listening = Date.now();
    const rss: number[] = [];
    for (const s of AT_SECONDS) {
      await sleep(listening + s * 1000 - Date.now());
      rss.push(rssMiB(child.pid!));
    }
    return rss;
  } finally {
    child.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
}

const results: number[][] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await run();
  results.push(r);
  console.log(`[bench:rest] run ${i + 1}: ${r.map((v, j) => `${AT_SECONDS[j]} s ${v.toFixed(1)} MiB`).join(', ')}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [j, s] of AT_SECONDS.entries()) {
  const xs = results.map((r) => r[j]!);
  const max = Math.max(...xs);
  console.log(`RSS at rest ${s} s after listening: min ${Math.min(...xs).toFixed(1)} / median ${median(xs).toFixed(1)} / max ${max.toFixed(1)} MiB (${RUNS} runs) -> ${max <= TARGET_MIB ? 'met' : 'NOT met'} (<= ${TARGET_MIB} MiB)`);
}
console.log(`JSON ${JSON.stringify({ date: new Date().toISOString(), node: process.version, targetMiB: TARGET_MIB, atSeconds: AT_SECONDS, runs: results })}`);
