// Scenario (f), the orchestrator's side: the morning sign-in. A fresh server (STARTTLS) with N
// users of one domain whose rosters are everyone — Herald: one mail domain (its roster is the
// domain), with no Maildir for any of them, as new accounts have; Prosody: mod_groups, one group of
// all; ejabberd: mod_shared_roster with @all@ — none online. Then the load generator signs all N in,
// spread evenly over the given seconds, and they stay online (xmpp-morning-load.ts). Measured:
// sign-ins per second, connect → roster and connect → own presence times, presence stanzas the
// clients received, server CPU seconds over the whole sign-in (until the presence flood stopped),
// server RSS with everyone online.
import { measured, quiet, sleep, type BenchContext } from './xmpp-context.ts';
import type { MorningResult } from './xmpp-morning-load.ts';
import { rssKiB, type BenchServer, type ServerKind, type ServerName } from './xmpp-servers.ts';

export interface MorningRun {
  server: ServerName;
  n: number;
  seconds: number;
  baselineKiB: number;
  /** RSS with everyone online, after the presence flood. */
  rssKiB: number;
  result?: MorningResult;
  /** Server CPU seconds from the first connect until presence stopped, and in cores over that time. */
  serverCpuSeconds?: number;
  serverCpu?: number;
  /** CPU other processes on the machine used meanwhile (cores): the machine is shared. */
  foreignCpu?: number;
  /** Herald only: its event-loop stalls over the sign-in (ms). */
  loopLag?: { p99: number; max: number };
  /** Herald only: Maildirs of the domain's users before and after (none: new accounts). */
  maildirs?: { before: number; after: number };
  error?: string;
  problems: ReturnType<BenchServer['problems']>;
}

export interface MorningOptions {
  seconds: number;
  settleSeconds: number;
  /** Herald only: how many user Maildirs its data folder holds for the size. */
  heraldMaildirs(n: number): number;
}

/** What the report must flag: failed sign-ins, closed sessions, a flood that did not stop, Maildirs. */
export function morningFailures(r: MorningRun): string[] {
  const out: string[] = [];
  if (r.error) out.push(r.error);
  const x = r.result;
  if (x) {
    if (x.failed) out.push(`${x.failed} of ${x.wanted} sign-ins failed (${x.errors.slice(0, 2).join('; ')})`);
    if (x.closedSessions) out.push(`${x.closedSessions} sessions closed`);
    if (!x.settled) out.push('presence still arriving at the end of the wait');
    if (x.presenceErrors) out.push(`${x.presenceErrors} presence errors`);
  }
  if (r.maildirs && (r.maildirs.before || r.maildirs.after)) out.push(`Maildirs: ${r.maildirs.before} before, ${r.maildirs.after} after`);
  return out;
}

export async function morningRun(ctx: BenchContext, kind: ServerKind, n: number, o: MorningOptions): Promise<MorningRun> {
  ctx.log(`${kind} (STARTTLS): starting for the morning sign-in (${n} users of one domain, roster everyone, over ${o.seconds} s)`);
  const server = await ctx.start(kind, n, true, { everyone: true });
  try {
    await sleep(ctx.settleMs / 2);
    await quiet(server.pid);
    const baselineKiB = rssKiB(server.pid);
    const before = kind === 'herald' ? o.heraldMaildirs(n) : undefined;
    await server.loopLag?.(); // starts the sampler; the next call covers the sign-in
    const specs = Array.from({ length: n }, (_, i) => server.spec(i, { mechanism: 'SCRAM-SHA-1', starttls: true, resource: 'morning', roster: false, presence: false }));
    let out: MorningRun;
    try {
      const m = await measured(ctx, server.pid, () => ctx.call<MorningResult>({ op: 'morning', specs, seconds: o.seconds, settleSeconds: o.settleSeconds }));
      const r = m.result;
      const loopLag = await server.loopLag?.();
      out = {
        server: server.name,
        n,
        seconds: o.seconds,
        baselineKiB,
        rssKiB: rssKiB(server.pid),
        result: r,
        serverCpuSeconds: Math.round(m.serverCpuSeconds * 10) / 10,
        serverCpu: Math.round((m.serverCpuSeconds / m.wall) * 100) / 100,
        foreignCpu: m.foreignCpu,
        ...(loopLag ? { loopLag } : {}),
        ...(before !== undefined ? { maildirs: { before, after: o.heraldMaildirs(n) } } : {}),
        problems: server.problems(),
      };
      ctx.log(
        `  ${server.name} morning: ${r.ok}/${r.wanted} signed in over ${r.loginSeconds} s (${r.loginsPerSecond}/s), connect → roster p50 ${r.rosterP50} / p99 ${r.rosterP99} ms, ` +
          `→ own presence p50 ${r.loginP50} / p99 ${r.loginP99} / max ${r.loginMax} ms; roster items ${r.rosterItemsMin}–${r.rosterItemsMax}; ` +
          `${r.presences.toLocaleString('en-US')} presences received (full broadcast ${r.expectedPresences.toLocaleString('en-US')}), last at ${r.allPresenceSeconds} s${r.settled ? '' : ' (NOT settled)'}; ` +
          `server CPU ${out.serverCpuSeconds} s, RSS ${Math.round(baselineKiB / 1024)} → ${Math.round(out.rssKiB / 1024)} MiB; load generator CPU ${r.loadCpu} (lag p99 ${r.loadLagP99} ms); other processes ${m.foreignCpu} CPU` +
          `${loopLag ? `; Herald loop lag p99 ${loopLag.p99} / max ${loopLag.max} ms` : ''}${out.maildirs ? `; Maildirs ${out.maildirs.before} → ${out.maildirs.after}` : ''}`,
      );
    } catch (e) {
      out = { server: server.name, n, seconds: o.seconds, baselineKiB, rssKiB: rssKiB(server.pid), error: (e as Error).message, problems: server.problems() };
      ctx.log(`  ${server.name} morning: ${out.error}`);
    }
    await ctx.call({ op: 'closeAll' });
    const failures = morningFailures(out);
    if (failures.length) ctx.log(`  ${server.name} morning: PROBLEM: ${failures.join('; ')}`);
    return out;
  } finally {
    await server.stop();
  }
}
