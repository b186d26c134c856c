// Scenario (e), the orchestrator's side: 1:1 chat at a paced rate with the sessions of (c) online,
// measured alone and then while `rate` wrong-password PLAIN logins per second arrive, each from its
// own source address (xmpp-flood.ts): does a crowd guessing passwords slow everyone's messages?
// Herald runs with its failed-login limits raised out of reach (xmpp-herald.ts), so every guess
// costs a full password check: the worst case, not the throttled one. The two steps alternate
// `repeats` times and the median (by p99) of each is reported: on a shared machine one step alone
// says more about the neighbours than about the flood.
import { measured, quiet, sleep, type BenchContext } from './xmpp-context.ts';
import type { FloodResult } from './xmpp-flood.ts';
import type { ChatResult } from './xmpp-load.ts';
import type { BenchServer } from './xmpp-servers.ts';

export interface FloodStep extends ChatResult {
  serverCpu: number;
  serverLag?: { p99: number; max: number };
  foreignCpu: number;
}

export interface FloodRun {
  chatRate: number;
  floodRate: number;
  /** The median step (by p99) of each kind, and every step's p99 in the order run. */
  alone: FloodStep;
  underFlood: FloodStep;
  aloneP99s: number[];
  underFloodP99s: number[];
  /** The flood during the median flood step. */
  flood: FloodResult;
}

const median = <T extends { p99: number }>(steps: T[]): T => [...steps].sort((a, b) => a.p99 - b.p99)[Math.floor((steps.length - 1) / 2)]!;

export async function floodRun(ctx: BenchContext, server: BenchServer, tls: boolean): Promise<FloodRun> {
  const { rate, chatRate, step: timing, repeats } = ctx.flood;
  const pairs: [number, number][] = Array.from({ length: ctx.chat.pairs }, (_, k) => [2 * k, 2 * k + 1]);
  const chatStep = async (label: string): Promise<FloodStep> => {
    await server.loopLag?.();
    const m = await measured(ctx, server.pid, () =>
      ctx.call<ChatResult>({ op: 'chat', pairs, rate: chatRate, seconds: timing.seconds, warmupSeconds: timing.warmup, window: ctx.chat.window, drainSeconds: timing.drain }),
    );
    const serverLag = await server.loopLag?.();
    const s: FloodStep = { ...m.result, ...(serverLag ? { serverLag } : {}), foreignCpu: m.foreignCpu, serverCpu: Math.round((m.serverCpuSeconds / m.wall) * 100) / 100 };
    ctx.log(
      `  ${server.name} (e) chat ${chatRate}/s ${label}: received ${s.recvRate}/s, p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms${s.lost ? `, lost ${s.lost}` : ''}${s.errors ? `, ${s.errors} errors` : ''}; ` +
        `server CPU ${s.serverCpu}${serverLag ? ` (loop lag p99 ${serverLag.p99} / max ${serverLag.max} ms)` : ''}; load generator CPU ${s.loadCpu}; other processes ${s.foreignCpu} CPU`,
    );
    return s;
  };
  // Wrong passwords for the users of the chat's domain teams, over STARTTLS when the run uses it.
  const specs = Array.from({ length: Math.min(200, ctx.chat.pairs * 2) }, (_, i) => server.spec(i, { mechanism: 'PLAIN', starttls: tls, resource: 'x', roster: false, presence: false }));
  const alone: FloodStep[] = [];
  const under: (FloodStep & { flood: FloodResult })[] = [];
  for (let k = 0; k < repeats; k++) {
    alone.push(await chatStep('alone'));
    await quiet(server.pid, 15_000);
    await ctx.call({ op: 'floodStart', specs, rate, maxInFlight: Math.max(50, rate * 4) });
    let step: FloodStep | undefined;
    let flood: FloodResult;
    try {
      await sleep(1000); // the flood reaches its pace before the chat is measured
      step = await chatStep(`with ${rate} wrong-password logins/s from many addresses`);
    } finally {
      flood = await ctx.call<FloodResult>({ op: 'floodStop' });
    }
    under.push({ ...step, flood });
    ctx.log(
      `  ${server.name} (e) flood: ${flood.startedRate} attempts/s started, ${flood.refusedRate}/s refused (not-authorized), ${flood.throttledRate}/s throttled, ` +
        `${flood.errors} errors${flood.errorSamples.length ? ` (${flood.errorSamples.join(' | ')})` : ''}, ${flood.succeeded} succeeded, ${flood.skipped} skipped; answer p50 ${flood.p50} / p99 ${flood.p99} ms`,
    );
    await quiet(server.pid, 15_000);
  }
  const { flood, ...underFlood } = median(under);
  return { chatRate, floodRate: rate, alone: median(alone), underFlood, aloneP99s: alone.map((s) => s.p99), underFloodP99s: under.map((s) => s.p99), flood };
}
