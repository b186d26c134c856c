// Scenario (d), the orchestrator's side: a fresh server (STARTTLS), the room occupants logged in
// like any client (SCRAM-SHA-1, bind, roster of the other occupants, initial presence), then the
// load generator's room phase (xmpp-room.ts): everyone joins one room on the server's
// conference.<domain>, messages go to it at a fixed rate, and every copy is timed.
import { quiet, sleep, type BenchContext } from './xmpp-context.ts';
import type { ConnectResult } from './xmpp-load.ts';
import type { RoomResult } from './xmpp-room.ts';
import { ROOM_NAME, rssKiB, type BenchServer, type ServerKind, type ServerName } from './xmpp-servers.ts';

export interface RoomRun {
  server: ServerName;
  room: string;
  /** Occupants wanted, and how many logged in. */
  wanted: number;
  connected: number;
  connectErrors: string[];
  baselineKiB: number;
  /** RSS with everyone in the room, after the messages. */
  rssKiB: number;
  result?: RoomResult;
  /** Server CPU over the fan-out, in cores, and per copy delivered. */
  serverCpu?: number;
  cpuUsPerCopy?: number;
  error?: string;
  problems: ReturnType<BenchServer['problems']>;
}

/** Whether the run shows a problem the report must flag (loss, duplicates, errors, missing occupants). */
export function roomFailures(r: RoomRun): string[] {
  const out: string[] = [];
  if (r.error) out.push(r.error);
  if (r.connected < r.wanted) out.push(`${r.wanted - r.connected} occupants could not log in`);
  const x = r.result;
  if (!x) return out;
  if (!x.configured) out.push(`room not configured: ${x.configError || x.joinErrors.join('; ')}`);
  if (x.joined < x.occupants) out.push(`${x.occupants - x.joined} occupants could not join`);
  if (x.lost) out.push(`${x.lost} of ${x.expected} copies lost`);
  if (x.duplicates) out.push(`${x.duplicates} duplicate copies`);
  if (x.errors) out.push(`${x.errors} error replies (${x.errorSample.slice(0, 120)})`);
  if (x.closedSessions) out.push(`${x.closedSessions} sessions closed`);
  return out;
}

// No event-loop lag sampling here (the chat steps have it): the sampler is a 5 ms timer in Herald,
// ~13 ms of CPU a second, which at 20 occupants × 10 msgs/s would add ~65 µs to Herald's CPU per
// copy and none to the other servers'.
export async function roomRun(ctx: BenchContext, kind: ServerKind, n: number): Promise<RoomRun> {
  const { occupants, rate, seconds, warmup, drain, joinConcurrency } = ctx.room;
  ctx.log(`${kind} (STARTTLS): starting for the room (${occupants} occupants, ${rate} msgs/s for ${seconds} s)`);
  const server = await ctx.start(kind, n, true);
  const room = `${ROOM_NAME}@${server.mucService}`;
  try {
    await sleep(ctx.settleMs / 2);
    const baselineKiB = rssKiB(server.pid);
    const specs = Array.from({ length: occupants }, (_, j) => server.roomSpec(j, { mechanism: 'SCRAM-SHA-1', starttls: true, resource: 'bench', roster: true, presence: true }));
    const c = await ctx.call<ConnectResult>({ op: 'connect', specs, concurrency: 50 });
    if (c.failed) ctx.log(`${server.name}: ${c.failed} occupants failed to log in: ${c.errors.join(' | ')}`);
    await quiet(server.pid);
    const base = { server: server.name, room, wanted: occupants, connected: c.ok, connectErrors: c.errors, baselineKiB };
    let out: RoomRun;
    try {
      const r = await ctx.call<RoomResult>({
        op: 'room',
        occupants: Array.from({ length: c.ok }, (_, i) => i),
        room,
        rate,
        seconds,
        warmupSeconds: warmup,
        drainSeconds: drain,
        joinConcurrency,
        serverPid: server.pid,
      });
      const serverCpu = r.fanoutSeconds ? Math.round((r.serverCpuSeconds / r.fanoutSeconds) * 100) / 100 : NaN;
      out = { ...base, rssKiB: rssKiB(server.pid), result: r, serverCpu, cpuUsPerCopy: r.receivedTotal ? Math.round((r.serverCpuSeconds * 1e6) / r.receivedTotal) : NaN, problems: server.problems() };
      ctx.log(
        `  ${server.name} room ${room}: ${r.joined}/${r.occupants} joined in ${r.joinSeconds} s (${r.presences} occupant presences)${r.configured ? '' : `, NOT configured: ${r.configError}`}; ` +
          `${r.sent} messages → ${r.delivered}/${r.expected} copies${r.lost ? ` (LOST ${r.lost})` : ''}${r.duplicates ? `, ${r.duplicates} duplicates` : ''}${r.errors ? `, ${r.errors} errors (${r.errorSample.slice(0, 160)})` : ''}; ` +
          `p50 ${r.p50} / p99 ${r.p99} / max ${r.max} ms, last occupant p99 ${r.lastP99} ms; server CPU ${serverCpu} (${out.cpuUsPerCopy} µs/copy), load generator CPU ${r.loadCpu} (loop lag p99 ${r.loadLagP99} ms)`,
      );
    } catch (e) {
      out = { ...base, rssKiB: rssKiB(server.pid), error: (e as Error).message, problems: server.problems() };
      ctx.log(`  ${server.name} room: ${out.error}`);
    }
    await ctx.call({ op: 'closeAll' });
    const failures = roomFailures(out);
    if (failures.length) ctx.log(`  ${server.name} room: PROBLEM: ${failures.join('; ')}`);
    return out;
  } finally {
    await server.stop();
  }
}
