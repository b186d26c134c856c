// Scenario (c), the orchestrator's side: 1:1 chat with N users online — `pairs` sender → receiver
// pairs, at most `window` messages in flight per pair, the offered rate raised step by step until
// p99 > the bound, a loss, an error or saturation (received < 90% of offered), then bisected;
// latency is send → receive, both ends in the load generator (xmpp-load.ts). Then a closed loop
// (every pair keeps `window` in flight: the reference notes' "max rate"). Server CPU per message
// from /proc; a failed step during which other processes on the machine used CPU is repeated.
import type { ChatResult } from './xmpp-load.ts';
import { measured, quiet, type BenchContext } from './xmpp-context.ts';
import { rssKiB, type BenchServer, type LoopLag } from './xmpp-servers.ts';

export interface Step extends ChatResult {
  serverCpu: number;
  cpuUsPerMsg: number;
  /** Herald: its event loop's stalls during the step (ms). */
  serverLag?: LoopLag;
  /** CPU used by other processes on the machine during the step, in cores. */
  foreignCpu: number;
}

export interface ChatRampResult {
  steps: Step[];
  best?: Step;
  maxRecvRate: number;
  at2000?: Step;
  bestCpuUsPerMsg?: number;
  closedLoop: Step;
  afterKiB: number;
}

/** Other processes using more than this (cores) during a step that failed: the step is repeated. */
export const DISTURBED = 0.15;

export const passes = (r: ChatResult, p99Bound: number) => r.p99 <= p99Bound && r.lost === 0 && r.errors === 0 && r.recvRate >= 0.9 * r.target && r.closedSessions === 0;

/** The stall's own part (less the time spent waiting for a CPU) and the longest GC pause. */
export const lagDetail = (l: LoopLag) => ` (own ${l.ownMax ?? '?'}, GC pause max ${l.gcMax ?? '?'}${l.majorGcs ? `, ${l.majorGcs} mark-compact` : ''})`;

export async function chatRamp(ctx: BenchContext, server: BenchServer): Promise<ChatRampResult> {
  const { window, pairs: count, rates, p99Bound, step: timing } = ctx.chat;
  const ok = (r: ChatResult) => passes(r, p99Bound);
  const pairs: [number, number][] = Array.from({ length: count }, (_, k) => [2 * k, 2 * k + 1]);
  const steps: Step[] = [];
  const step = async (rate: number, attempt = 1): Promise<Step> => {
    await server.loopLag?.(); // starts (or restarts) the server's lag samples
    const m = await measured(ctx, server.pid, () =>
      ctx.call<ChatResult>({ op: 'chat', pairs, rate, seconds: timing.seconds, warmupSeconds: timing.warmup, window, drainSeconds: timing.drain }),
    );
    const r = m.result;
    const cpu = m.serverCpuSeconds;
    const serverLag = await server.loopLag?.();
    const s: Step = { ...r, ...(serverLag ? { serverLag } : {}), foreignCpu: m.foreignCpu, serverCpu: Math.round((cpu / m.wall) * 100) / 100, cpuUsPerMsg: r.receivedTotal ? Math.round((cpu * 1e6) / r.receivedTotal) : NaN };
    const disturbed = !!rate && !ok(r) && m.foreignCpu > DISTURBED && attempt < 3;
    if (rate && !disturbed) steps.push(s);
    ctx.log(
      `  ${server.name} chat ${rate ? `${rate}/s` : `closed loop (${window} in flight per pair)`}: sent ${r.sentRate}/s, received ${r.recvRate}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms` +
        `${r.lost ? `, lost ${r.lost}` : ''}${r.errors ? `, ${r.errors} errors (${r.errorSample.slice(0, 160)})` : ''}${r.blocked ? `, ${r.blocked} window-blocked` : ''}` +
        `${r.closedSessions ? `, ${r.closedSessions} sessions closed` : ''}; server CPU ${s.serverCpu} (${s.cpuUsPerMsg} µs/msg${serverLag ? `, loop lag p99 ${serverLag.p99} / max ${serverLag.max} ms${lagDetail(serverLag)}` : ''}), load generator CPU ${r.loadCpu} (loop lag p99 ${r.loadLagP99} / max ${r.loadLagMax} ms); other processes ${m.foreignCpu} CPU` +
        `${rate ? ` → ${ok(r) ? 'ok' : disturbed ? 'FAIL, disturbed by other processes: again' : 'FAIL'}` : ''}`,
    );
    await quiet(server.pid, 15_000); // a backlog from this step must not slow the next
    return disturbed ? step(rate, attempt + 1) : s;
  };
  let best: Step | undefined;
  let failRate: number | undefined;
  for (const rate of rates) {
    const s = await step(rate);
    if (!ok(s)) {
      failRate = rate;
      break;
    }
    best = s;
  }
  // Bisect between the last rate that held and the first that did not.
  for (let k = 0; k < (ctx.quick ? 1 : 2) && failRate !== undefined; k++) {
    const lo = best?.target ?? 0;
    const mid = Math.round((lo + failRate) / 2 / 100) * 100;
    if (mid <= lo || mid >= failRate) break;
    const s = await step(mid);
    if (ok(s)) best = s;
    else failRate = mid;
  }
  // The notes' "max rate": closed loop, every pair keeping `window` messages in flight.
  const closedLoop = await step(0);
  const at2000 = steps.find((s) => s.target === 2000);
  return {
    steps,
    closedLoop,
    ...(best ? { best, bestCpuUsPerMsg: best.cpuUsPerMsg } : {}),
    maxRecvRate: Math.max(...steps.map((s) => s.recvRate)),
    ...(at2000 ? { at2000 } : {}),
    afterKiB: rssKiB(server.pid),
  };
}
