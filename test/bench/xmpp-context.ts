// What every benchmark run gets from the orchestrator (xmpp-bench.ts), and the measuring helpers
// they share: CPU used by the server (and by anything else on the machine) over a phase, and
// waiting for a server to go quiet.
import type { LoadCommand } from './xmpp-load.ts';
import { cpuSeconds, machineBusySeconds, type BenchServer, type ServerKind } from './xmpp-servers.ts';

/** What the runs need from the orchestrator (xmpp-bench.ts). */
export interface BenchContext {
  /** Sends one command to the load generator and waits for its answer. */
  call<T>(cmd: LoadCommand): Promise<T>;
  loadPid: number;
  log(s: string): void;
  /**
   * A fresh server with `n` users u00000… (and the room occupants), in STARTTLS mode or not; with
   * `everyone`, scenario (f)'s: one domain, everyone's roster is everyone, no room occupants.
   */
  start(kind: ServerKind, n: number, tls: boolean, o?: { everyone?: boolean }): Promise<BenchServer>;
  quick: boolean;
  settleMs: number;
  loginSeconds: number;
  loginConcurrency: number;
  chat: { window: number; pairs: number; rates: number[]; p99Bound: number; step: { warmup: number; seconds: number; drain: number } };
  /** (c) also without TLS (--chat-plain). */
  chatPlain: boolean;
  /** (e): wrong-password logins per second, the paced chat rate, alone/flood step pairs, and a chat step's timing in seconds. */
  flood: { rate: number; chatRate: number; repeats: number; step: { warmup: number; seconds: number; drain: number } };
  /** (d): occupants, messages per second to the room, and the phase's timing in seconds. */
  room: { occupants: number; rate: number; seconds: number; warmup: number; drain: number; joinConcurrency: number };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` and tells how much CPU the server used, and how much other processes on the machine
 * did meanwhile (everything busy minus the server, the load generator and this process), in cores.
 */
export async function measured<T>(ctx: BenchContext, serverPid: number, fn: () => Promise<T>): Promise<{ result: T; serverCpuSeconds: number; wall: number; foreignCpu: number }> {
  const m0 = machineBusySeconds();
  const s0 = cpuSeconds(serverPid);
  const l0 = cpuSeconds(ctx.loadPid);
  const o0 = process.cpuUsage();
  const w0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - w0) / 1000;
  const serverCpuSeconds = cpuSeconds(serverPid) - s0;
  const o = process.cpuUsage(o0);
  const ours = serverCpuSeconds + (cpuSeconds(ctx.loadPid) - l0) + (o.user + o.system) / 1e6;
  const foreignCpu = Math.max(0, Math.round(((machineBusySeconds() - m0 - ours) / wall) * 100) / 100);
  return { result, serverCpuSeconds, wall, foreignCpu };
}

/** Waits until the server is (nearly) idle: under 5% of a core over half a second, at most `maxMs`. */
export async function quiet(pid: number, maxMs = 60_000): Promise<number> {
  const t = performance.now();
  for (;;) {
    const c0 = cpuSeconds(pid);
    await sleep(500);
    if (cpuSeconds(pid) - c0 < 0.025 || performance.now() - t > maxMs) return Math.round(performance.now() - t);
  }
}
