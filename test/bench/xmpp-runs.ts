// The orchestrator's side of scenarios (a)–(c), one server and one mode (STARTTLS or not) per run:
//   (a) n idle sessions: server RSS per session (baseline before connecting, no forced GC for any
//       server; then again with both readings after a forced full GC where the server can be asked
//       for one — Herald's V8 through its inspector, Prosody's Lua through its admin shell — with
//       the heap's share); then all closed, and — in the main run — the same
//       sessions again (a leak shows as a second round costing more than the first);
//   (c) 1:1 chat with those sessions online (xmpp-chat-ramp.ts);
//   (b) logins per second.
// A scale run (--sessions 1000,10000: every size after the first) is (a) alone, on a fresh server.
import type { Mechanism } from './xmpp-client.ts';
import { chatRamp, type ChatRampResult } from './xmpp-chat-ramp.ts';
import { measured, quiet, sleep, type BenchContext } from './xmpp-context.ts';
import { floodRun, type FloodRun } from './xmpp-flood-run.ts';
import type { ConnectResult, LoginsResult } from './xmpp-load.ts';
import { rssKiB, type BenchServer, type ServerKind, type ServerName } from './xmpp-servers.ts';

export interface GcReading {
  baselineKiB: number;
  sessionsKiB: number;
  perSessionKiB: number;
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
  heapPerSessionKiB: number;
  externalPerSessionKiB: number;
  /** After every session closed: RSS and V8 heap after a forced GC. */
  closedKiB?: number;
  closed?: NodeJS.MemoryUsage;
}

/** Scenario (a) on one server: n sessions connected and measured, then all closed. */
export interface IdleResult {
  server: ServerName;
  tls: boolean;
  n: number;
  baselineKiB: number;
  sessions: ConnectResult & { mechanism: Mechanism; rssKiB: number; perSessionKiB: number };
  afterCloseKiB: number;
  /** After a forced full GC (Herald: V8 inspector; Prosody: Lua, admin shell), before connecting and with the sessions. */
  gc?: GcReading;
  problems: ReturnType<BenchServer['problems']>;
}

export interface RunResult extends IdleResult {
  chat?: ChatRampResult;
  /** (e) paced chat alone and under a wrong-password login flood. */
  flood?: FloodRun | { error: string };
  /** Leak check: the same sessions connected again after all closed (RSS; also after a forced GC where the server has one). */
  round2?: { ok: number; rssKiB: number; gcKiB?: number; firstGcKiB?: number };
  afterLoginsKiB: number;
  logins: Record<string, (LoginsResult & { what: string; serverCpu: number; foreignCpu: number }) | { error: string }>;
  /** Items of the server's disco#items (components such as conference.<domain>). */
  discoItems: string[];
}

const modeOf = (tls: boolean) => (tls ? 'STARTTLS' : 'no TLS');

/** Connects n sessions (SASL SCRAM-SHA-1, bind, roster get, initial presence) and reads the server's memory. */
async function connectIdle(ctx: BenchContext, server: BenchServer, n: number, tls: boolean): Promise<Omit<IdleResult, 'afterCloseKiB' | 'problems'>> {
  const mode = modeOf(tls);
  await sleep(ctx.settleMs / 2);
  // The headline baseline as every server gets it: no forced GC first (Prosody and ejabberd get
  // none), so a GC only Herald gets cannot move its baseline. The forced-GC reading has its own.
  const baselineKiB = rssKiB(server.pid);
  const gcBefore = await server.collectGarbage?.();
  const gcBaselineKiB = gcBefore ? (await sleep(500), rssKiB(server.pid)) : baselineKiB;
  // SCRAM-SHA-1 from stored keys: cheap for every server.
  const mechanism: Mechanism = 'SCRAM-SHA-1';
  const specs = Array.from({ length: n }, (_, i) => server.spec(i, { mechanism, starttls: tls, resource: 'bench', roster: true, presence: true }));
  ctx.log(`${server.name} (${mode}): baseline RSS ${(baselineKiB / 1024).toFixed(1)} MiB; connecting ${n} sessions`);
  const c = await ctx.call<ConnectResult>({ op: 'connect', specs, concurrency: 50 });
  if (c.failed) ctx.log(`${server.name}: ${c.failed} sessions failed: ${c.errors.join(' | ')}`);
  await quiet(server.pid);
  await sleep(ctx.settleMs);
  const rss = rssKiB(server.pid);
  const perSession = (kib: number) => Math.round((kib / Math.max(1, c.ok)) * 10) / 10;
  const perSessionKiB = perSession(rss - baselineKiB);
  ctx.log(`${server.name} (${mode}): ${c.ok} sessions in ${c.seconds} s; RSS ${(rss / 1024).toFixed(1)} MiB → ${perSessionKiB} KiB/session (load generator RSS ${(rssKiB(ctx.loadPid) / 1024).toFixed(0)} MiB)`);
  let gc: GcReading | undefined;
  if (gcBefore && server.collectGarbage) {
    const after = await server.collectGarbage();
    await sleep(500);
    const sessionsKiB = rssKiB(server.pid);
    gc = {
      baselineKiB: gcBaselineKiB,
      sessionsKiB,
      perSessionKiB: perSession(sessionsKiB - gcBaselineKiB),
      before: gcBefore,
      after,
      heapPerSessionKiB: perSession((after.heapUsed - gcBefore.heapUsed) / 1024),
      externalPerSessionKiB: perSession((after.external - gcBefore.external) / 1024),
    };
    ctx.log(`${server.name} (${mode}): after a forced GC RSS ${(sessionsKiB / 1024).toFixed(1)} MiB → ${gc.perSessionKiB} KiB/session (heap ${gc.heapPerSessionKiB}, external ${gc.externalPerSessionKiB} KiB/session)`);
  }
  return { server: server.name, tls, n, baselineKiB, sessions: { ...c, mechanism, rssKiB: rss, perSessionKiB }, ...(gc ? { gc } : {}) };
}

/** Closes every session and waits for the server to settle. */
async function closeAll(ctx: BenchContext, server: BenchServer, tls: boolean): Promise<void> {
  await ctx.call({ op: 'closeAll' });
  const busyMs = await quiet(server.pid);
  if (busyMs > 2000) ctx.log(`${server.name} (${modeOf(tls)}): busy for ${(busyMs / 1000).toFixed(1)} s after the sessions closed`);
  await sleep(ctx.settleMs / 2);
}

/** All closed: what is left (also after a forced GC where the server has one, and its heap). */
async function afterClose(ctx: BenchContext, server: BenchServer, tls: boolean, gc: GcReading | undefined): Promise<number> {
  await closeAll(ctx, server, tls);
  const kib = rssKiB(server.pid);
  ctx.log(`${server.name} (${modeOf(tls)}): all sessions closed; RSS ${(kib / 1024).toFixed(1)} MiB`);
  if (gc && server.collectGarbage) {
    gc.closed = await server.collectGarbage();
    await sleep(500);
    gc.closedKiB = rssKiB(server.pid);
    ctx.log(`${server.name} (${modeOf(tls)}): after a forced GC RSS ${(gc.closedKiB / 1024).toFixed(1)} MiB, heap used ${(gc.closed.heapUsed / 1048576).toFixed(1)} MiB (${(gc.before.heapUsed / 1048576).toFixed(1)} before connecting)`);
  }
  return kib;
}

function logProblems(ctx: BenchContext, server: BenchServer, tls: boolean) {
  const problems = server.problems();
  if (problems.warnings || problems.errors) ctx.log(`${server.name} (${modeOf(tls)}) logged ${problems.warnings} warnings, ${problems.errors} errors: ${problems.samples.join('\n  ')}`);
  return problems;
}

/** A scale run: (a) alone with n sessions on a fresh server. */
export async function scaleRun(ctx: BenchContext, kind: ServerKind, n: number, tls: boolean): Promise<IdleResult> {
  ctx.log(`${kind} (${modeOf(tls)}): starting for ${n.toLocaleString('en-US')} idle sessions`);
  const server = await ctx.start(kind, n, tls);
  try {
    const a = await connectIdle(ctx, server, n, tls);
    const afterCloseKiB = await afterClose(ctx, server, tls, a.gc);
    return { ...a, afterCloseKiB, problems: logProblems(ctx, server, tls) };
  } finally {
    await server.stop();
  }
}

/** The main run: (a), the leak check, (c), then (b). */
export async function mainRun(ctx: BenchContext, kind: ServerKind, n: number, tls: boolean): Promise<RunResult> {
  const mode = modeOf(tls);
  ctx.log(`${kind} (${mode}): starting`);
  const server = await ctx.start(kind, n, tls);
  try {
    const a = await connectIdle(ctx, server, n, tls);
    // What the server offers beside user sessions (a MUC service shows up as a conference.* item).
    const domain = server.spec(0, { mechanism: 'PLAIN', starttls: tls, resource: '', roster: false, presence: false }).domain;
    const askItems = () =>
      ctx.call<string>({ op: 'query', index: 0, id: 'items1', timeoutMs: 5000, xml: `<iq type='get' id='items1' to='${domain}'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>` });
    const items = a.sessions.ok ? (await askItems()) || (await askItems()) : '';
    const discoItems = [...items.matchAll(/<item\s[^>]*jid=['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    const afterCloseKiB = await afterClose(ctx, server, tls, a.gc);

    // Leak check: the same sessions again; what the first round left should be reused, not added to.
    const specs = Array.from({ length: n }, (_, i) => server.spec(i, { mechanism: a.sessions.mechanism, starttls: tls, resource: 'again', roster: true, presence: true }));
    const c2 = await ctx.call<ConnectResult>({ op: 'connect', specs, concurrency: 50 });
    await quiet(server.pid);
    await sleep(ctx.settleMs);
    const round2: NonNullable<RunResult['round2']> = { ok: c2.ok, rssKiB: rssKiB(server.pid) };
    if (a.gc && server.collectGarbage) {
      await server.collectGarbage();
      await sleep(500);
      round2.gcKiB = rssKiB(server.pid);
      round2.firstGcKiB = a.gc.sessionsKiB;
    }
    ctx.log(
      `${server.name} (${mode}): ${c2.ok} sessions again: RSS ${(round2.rssKiB / 1024).toFixed(1)} MiB (first round ${(a.sessions.rssKiB / 1024).toFixed(1)})` +
        `${round2.gcKiB !== undefined && a.gc ? `, after a forced GC ${(round2.gcKiB / 1024).toFixed(1)} MiB (first round ${(a.gc.sessionsKiB / 1024).toFixed(1)})` : ''}`,
    );

    // (c) chat with the second round's sessions; with STARTTLS only unless --chat-plain.
    const chat = tls || ctx.chatPlain ? (c2.ok === n ? await chatRamp(ctx, server) : undefined) : undefined;
    // (e) the same sessions: paced chat alone, then under wrong-password logins from many addresses.
    let flood: RunResult['flood'];
    if (chat && ctx.flood.rate > 0) {
      try {
        flood = await floodRun(ctx, server, tls);
      } catch (e) {
        flood = { error: (e as Error).message };
        ctx.log(`${server.name} (${mode}) (e) failed: ${(e as Error).message}`);
      }
    }
    await closeAll(ctx, server, tls);

    // (b) logins per second, the first 200 users in turn.
    const logins: RunResult['logins'] = {};
    const users = Array.from({ length: Math.min(n, 200) }, (_, i) => i);
    const hashing = kind === 'herald' ? 'PLAIN, password → PBKDF2-SHA1 4,096 it. (SCRAM keys)' : 'PLAIN, password → PBKDF2-SHA1 4,096 it.';
    const variants: { key: string; mechanism: Mechanism; token?: boolean; what: string }[] = [
      { key: 'plain', mechanism: 'PLAIN', what: hashing },
      { key: 'scram', mechanism: 'SCRAM-SHA-1', what: 'SCRAM-SHA-1, stored keys (4,096 it.)' },
      ...(kind === 'herald' ? [{ key: 'token', mechanism: 'PLAIN' as const, token: true, what: 'PLAIN, device token → SHA-256 lookup' }] : []),
    ];
    for (const v of variants) {
      const vspecs = users.map((i) => server.spec(i, { mechanism: v.mechanism, token: !!v.token, starttls: tls, resource: 'login', roster: false, presence: false }));
      try {
        const m = await measured(ctx, server.pid, () => ctx.call<LoginsResult>({ op: 'logins', specs: vspecs, seconds: ctx.loginSeconds, concurrency: ctx.loginConcurrency }));
        const r = m.result;
        const serverCpu = Math.round((m.serverCpuSeconds / m.wall) * 100) / 100;
        logins[v.key] = { ...r, what: v.what, serverCpu, foreignCpu: m.foreignCpu };
        ctx.log(
          `${server.name} (${mode}) logins ${v.what}: ${r.rate}/s (p50 ${r.p50} ms, p99 ${r.p99} ms)${r.failed ? `, ${r.failed} failed: ${r.errors.join(' | ')}` : ''}; ` +
            `server CPU ${serverCpu}, load generator CPU ${r.loadCpu}, other processes ${m.foreignCpu} CPU`,
        );
      } catch (e) {
        logins[v.key] = { error: (e as Error).message };
      }
      await sleep(ctx.quick ? 300 : 1000);
    }
    const afterLoginsKiB = rssKiB(server.pid);
    return { ...a, afterCloseKiB, round2, ...(chat ? { chat } : {}), ...(flood ? { flood } : {}), afterLoginsKiB, logins, problems: logProblems(ctx, server, tls), discoItems };
  } finally {
    await server.stop();
  }
}
