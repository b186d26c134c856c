// Scenario (e), the orchestrator's side: 1:1 chat at a paced rate with the sessions of (c) online,
// measured alone and then while `rate` wrong-password PLAIN logins per second arrive, each from its
// own source address (xmpp-flood.ts): does a crowd guessing passwords slow everyone's messages?
// Herald runs with its failed-login limits raised out of reach (xmpp-herald.ts), so every guess
// costs a full password check: the worst case, not the throttled one.
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
  alone: FloodStep;
  underFlood: FloodStep;
  flood: FloodResult;
}

export async function floodRun(ctx: BenchContext, server: BenchServer, tls: boolean): Promise<FloodRun> {
  const { rate, chatRate, step: timing } = ctx.flood;
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
  const alone = await chatStep('alone');
  await quiet(server.pid, 15_000);
  // Wrong passwords for the users of the chat's domain teams, over STARTTLS when the run uses it.
  const specs = Array.from({ length: Math.min(200, ctx.chat.pairs * 2) }, (_, i) => server.spec(i, { mechanism: 'PLAIN', starttls: tls, resource: 'x', roster: false, presence: false }));
  await ctx.call({ op: 'floodStart', specs, rate, maxInFlight: Math.max(50, rate * 4) });
  let flood: FloodResult;
  let underFlood: FloodStep;
  try {
    await sleep(1000); // the flood reaches its pace before the chat is measured
    underFlood = await chatStep(`with ${rate} wrong-password logins/s from many addresses`);
  } finally {
    flood = await ctx.call<FloodResult>({ op: 'floodStop' });
  }
  ctx.log(
    `  ${server.name} (e) flood: ${flood.startedRate} attempts/s started, ${flood.refusedRate}/s refused (not-authorized), ${flood.throttledRate}/s throttled, ` +
      `${flood.errors} errors${flood.errorSamples.length ? ` (${flood.errorSamples.join(' | ')})` : ''}, ${flood.succeeded} succeeded, ${flood.skipped} skipped; answer p50 ${flood.p50} / p99 ${flood.p99} ms`,
  );
  await quiet(server.pid, 15_000);
  return { chatRate, floodRate: rate, alone, underFlood, flood };
}
