// Scenario (e), the load generator's side: wrong-password SASL PLAIN logins at a steady rate, each
// from its own source address (127.20.0.1, 127.20.0.2, …: Linux routes all of 127/8 to lo), as a
// crowd guessing passwords would — while the chat step measures what it does to everyone's messages.
// Started and stopped by two commands so that a chat step can run in between.
import { performance } from 'node:perf_hooks';
import { Conn, type LoginSpec } from './xmpp-client.ts';

export type FloodCommand = { op: 'floodStart'; specs: LoginSpec[]; rate: number; maxInFlight: number } | { op: 'floodStop' };

export interface FloodResult {
  seconds: number;
  /** Attempts started per second (the target is `rate`). */
  startedRate: number;
  /** Answered per second: not-authorized (the password was checked) or temporary-auth-failure (throttled). */
  refusedRate: number;
  throttledRate: number;
  /** Connection or protocol errors (not a SASL failure), and logins that succeeded (must be 0). */
  errors: number;
  succeeded: number;
  errorSamples: string[];
  /** Attempts skipped because `maxInFlight` were still waiting (the server fell behind). */
  skipped: number;
  p50: number;
  p99: number;
}

/** The n-th source address: 127.20.0.1 … 127.219.249.250, never .0. */
export const floodAddress = (n: number) => `127.${20 + (Math.floor(n / 62_500) % 200)}.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;

let running: { stop: () => Promise<FloodResult> } | undefined;

export function floodStart(cmd: Extract<FloodCommand, { op: 'floodStart' }>): { started: true } {
  if (running) throw new Error('a flood is already running');
  const t0 = performance.now();
  let started = 0;
  let inFlight = 0;
  let skipped = 0;
  let refused = 0;
  let throttled = 0;
  let errors = 0;
  let succeeded = 0;
  const samples: string[] = [];
  const times: number[] = [];
  const pending = new Set<Promise<void>>();
  const attempt = async (n: number) => {
    const spec = cmd.specs[n % cmd.specs.length]!;
    const t = performance.now();
    let conn: Conn | undefined;
    try {
      conn = await Conn.connect(spec.port, floodAddress(n));
      await conn.login({ ...spec, secret: `wrong password ${n}`, timeoutMs: 30_000 });
      succeeded++;
    } catch (e) {
      const m = (e as Error).message;
      if (m.includes('not-authorized')) refused++;
      else if (m.includes('temporary-auth-failure')) throttled++;
      else {
        errors++;
        if (samples.length < 5) samples.push(m.slice(0, 300));
      }
    } finally {
      conn?.kill();
      times.push(performance.now() - t);
    }
  };
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) * cmd.rate) / 1000) - started - skipped;
    for (let k = 0; k < due; k++) {
      if (inFlight >= cmd.maxInFlight) {
        skipped++;
        continue;
      }
      inFlight++;
      const p = attempt(started++).finally(() => {
        inFlight--;
        pending.delete(p);
      });
      pending.add(p);
    }
  }, 5);
  running = {
    async stop() {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      await Promise.all(pending);
      const sorted = times.sort((a, b) => a - b);
      const pct = (p: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10 : NaN);
      const r1 = (x: number) => Math.round(x * 10) / 10;
      return { seconds: r1(seconds), startedRate: r1(started / seconds), refusedRate: r1(refused / seconds), throttledRate: r1(throttled / seconds), errors, succeeded, errorSamples: samples, skipped, p50: pct(50), p99: pct(99) };
    },
  };
  return { started: true };
}

export async function floodStop(): Promise<FloodResult> {
  if (!running) throw new Error('no flood is running');
  const r = running;
  running = undefined;
  return r.stop();
}
