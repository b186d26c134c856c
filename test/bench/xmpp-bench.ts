// npm run bench:xmpp — Herald's embedded XMPP server beside Prosody (Debian's 0.12, the reference
// of /work/shared/notes/xmpp-peers.md), same machine, same run, same load generator:
//   (a) N idle sessions (SASL SCRAM-SHA-1, bind, roster get, initial presence): server RSS per
//       session from /proc/<pid>/status, baseline before connecting; with STARTTLS and without TLS.
//       Herald also after a forced full GC (V8 inspector) with its V8 heap share; then all closed,
//       and the same sessions again (a leak shows as a second round costing more than the first);
//   (b) logins per second (connect, STARTTLS, SASL, bind, close), 16 at a time: PLAIN with the
//       password (Herald checks its scrypt hash, Prosody computes PBKDF2-SHA1, 4,096 iterations),
//       SCRAM-SHA-1 from stored keys on both, and PLAIN with a Herald device token (Herald only);
//   (c) 1:1 chat with N users online: 200 sender → receiver pairs, at most `window` messages in
//       flight per pair, the offered rate raised step by step until p99 > 50 ms, a loss, an error
//       or saturation (received < 90% of offered), then bisected; latency is send → receive, both
//       ends in the load generator. Then a closed loop (every pair keeps `window` in flight: the
//       notes' "max rate"). Server CPU per message from /proc; a failed step during which other
//       processes on the machine used CPU is repeated;
//   (d) group-chat fan-out: not measured (a row says whether Herald offers a MUC service yet).
// Both servers get the same users and rosters of the same size: Herald's roster is the user's
// mail domain, so users come in teams (t0000.bench.example, …) and Prosody gets roster files with
// the same teams. Message archives (MAM) are on in both or in neither (--mam).
// Each server runs as its own process pinned to CPU 0; the load generator (test/bench/xmpp-load.ts)
// is another process on CPU 1, with this orchestrator beside it (two cores, as in the notes).
//   options: --quick (100 sessions, STARTTLS only, short steps: < 1 min)  --sessions N (default 1000)
//            --team N (users per team/domain, default 20)  --servers herald,prosody
//            --no-plain (skip the no-TLS runs)  --window N (default 10)  --chat-plain (chat without TLS too)
//            --mam on|off (message archives on both servers; default on when Herald has MAM)
//            --prosody-log info|warn  --prosody-disable mod,...  --keep (keep Herald's data folder)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SettingsSchema } from '../../gateway/src/config/schema.ts';
import { table } from './stats.ts';
import type { Mechanism } from './xmpp-client.ts';
import type { ChatResult, ConnectResult, LoadCommand, LoadReply, LoginsResult } from './xmpp-load.ts';
import { cpuSeconds, machineBusySeconds, makeCertificate, pinnedCommand, prepareHerald, rssKiB, startHerald, startProsodyServer, type BenchServer } from './xmpp-servers.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    sessions: { type: 'string' },
    team: { type: 'string' },
    servers: { type: 'string' },
    'no-plain': { type: 'boolean' },
    window: { type: 'string' },
    'chat-plain': { type: 'boolean' },
    'prosody-log': { type: 'string' },
    'prosody-disable': { type: 'string' },
    mam: { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const quick = !!values.quick;
const N = Number(values.sessions ?? (quick ? 100 : 1000));
const TEAM = Number(values.team ?? 20);
const WINDOW = Number(values.window ?? 10);
const SERVERS = (values.servers ?? 'herald,prosody').split(',').map((s) => s.trim().toLowerCase());
// --quick: STARTTLS only (both servers' default), coarser rate steps, short phases.
const MODES: boolean[] = values['no-plain'] || quick ? [true] : [true, false];
const CHAT_PLAIN = !!values['chat-plain'];
const PROSODY_LOG = values['prosody-log'] === 'warn' ? 'warn' : 'info';
// Message archives (XEP-0313) on both servers or on neither: Herald archives every 1:1 message
// when its settings know xmpp.archiveDays (0 = off); Prosody when mod_mam is loaded (the fixture
// loads it, with its default file storage). Default: on when Herald has MAM, else off.
const HERALD_HAS_MAM = SettingsSchema.safeParse({ xmpp: { archiveDays: 0 } }).success;
const MAM = (values.mam ?? (HERALD_HAS_MAM ? 'on' : 'off')) === 'on';
const PROSODY_DISABLE = [...(values['prosody-disable'] ?? '').split(',').filter(Boolean), ...(MAM ? [] : ['mam'])];
const HERALD_XMPP_EXTRA: Record<string, unknown> = HERALD_HAS_MAM && !MAM ? { archiveDays: 0 } : {};
const PAIRS = Math.min(200, Math.floor(N / 2));
const P99_BOUND = 50;
const STEP = quick ? { warmup: 0.3, seconds: 1, drain: 2 } : { warmup: 1, seconds: 4, drain: 3 };
const LOGIN_SECONDS = quick ? 1.5 : 6;
const SETTLE_MS = quick ? 1000 : 3000;
const LOGIN_CONCURRENCY = 16;
const RATES = quick ? [1000, 2000, 4000, 8000, 16000, 32000, 64000] : [1000, 2000, 3000, 4000, 6000, 8000, 11000, 15000, 20000, 27000, 36000, 48000, 64000, 85000, 110000];
if (!(N >= 2) || !(TEAM >= 1) || !(WINDOW >= 1)) throw new Error('bad --sessions, --team or --window');

const log = (s: string) => console.error(`[bench:xmpp ${new Date().toISOString().slice(11, 19)}] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();

// Two cores: servers on CPU 0, load generator and this process on CPU 1.
const canPin = availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;
const SERVER_CPU = canPin ? 0 : undefined;
const LOAD_CPU = canPin ? 1 : undefined;
if (canPin) spawnSync('taskset', ['-a', '-cp', String(LOAD_CPU), String(process.pid)], { stdio: 'ignore' });
const fdLimit = spawnSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
if (fdLimit !== 'unlimited' && Number(fdLimit) < N + 1000) log(`warning: the open-file hard limit (${fdLimit}) is below ${N + 1000}: logins will fail`);

// ---- the load generator process ----
const root = path.resolve(import.meta.dirname, '../..');
const [loadCmd, ...loadArgs] = pinnedCommand([process.execPath, '--import', 'tsx', path.join(import.meta.dirname, 'xmpp-load.ts')], LOAD_CPU);
const load = spawn(loadCmd!, loadArgs, { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, UV_THREADPOOL_SIZE: '4' } });
load.once('exit', (code) => {
  if (code !== 0) {
    log(`load generator exited with ${code}`);
    process.exit(1);
  }
});
function call<T>(cmd: LoadCommand): Promise<T> {
  return new Promise((resolve, reject) => {
    load.once('message', (r: LoadReply) => (r.ok ? resolve(r.result as T) : reject(new Error(`load generator: ${r.error}`))));
    load.send(cmd);
  });
}

// ---- one server, one mode ----
interface Step extends ChatResult {
  serverCpu: number;
  cpuUsPerMsg: number;
  /** Herald: its event loop's stalls during the step (ms). */
  serverLag?: { p99: number; max: number };
  /** CPU used by other processes on the machine during the step, in cores. */
  foreignCpu: number;
}
interface RunResult {
  server: string;
  tls: boolean;
  baselineKiB: number;
  sessions: ConnectResult & { mechanism: Mechanism; rssKiB: number; perSessionKiB: number };
  chat?: { steps: Step[]; best?: Step; maxRecvRate: number; at2000?: Step; bestCpuUsPerMsg?: number; closedLoop: Step; afterKiB: number };
  afterCloseKiB: number;
  /** Leak check: the same sessions connected again after all closed (RSS; Herald also after a forced GC). */
  round2?: { ok: number; rssKiB: number; gcKiB?: number; firstGcKiB?: number };
  afterLoginsKiB: number;
  /** Herald: after a forced full GC (V8 inspector), before connecting and with the sessions. */
  gc?: {
    baselineKiB: number;
    sessionsKiB: number;
    perSessionKiB: number;
    before: NodeJS.MemoryUsage;
    after: NodeJS.MemoryUsage;
    heapPerSessionKiB: number;
    externalPerSessionKiB: number;
    /** After every session closed (and the chat): RSS and V8 heap after a forced GC. */
    closedKiB?: number;
    closed?: NodeJS.MemoryUsage;
  };
  logins: Record<string, (LoginsResult & { what: string; serverCpu: number; foreignCpu: number }) | { error: string }>;
  problems: ReturnType<BenchServer['problems']>;
  /** Items of the server's disco#items (components such as conference.<domain>). */
  discoItems: string[];
}

const passes = (r: ChatResult) => r.p99 <= P99_BOUND && r.lost === 0 && r.errors === 0 && r.recvRate >= 0.9 * r.target && r.closedSessions === 0;

/**
 * Runs `fn` and tells how much CPU the server used, and how much other processes on the machine
 * did meanwhile (everything busy minus the server, the load generator and this process), in cores.
 */
async function measured<T>(serverPid: number, fn: () => Promise<T>): Promise<{ result: T; serverCpuSeconds: number; wall: number; foreignCpu: number }> {
  const m0 = machineBusySeconds();
  const s0 = cpuSeconds(serverPid);
  const l0 = cpuSeconds(load.pid!);
  const o0 = process.cpuUsage();
  const w0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - w0) / 1000;
  const serverCpuSeconds = cpuSeconds(serverPid) - s0;
  const o = process.cpuUsage(o0);
  const ours = serverCpuSeconds + (cpuSeconds(load.pid!) - l0) + (o.user + o.system) / 1e6;
  const foreignCpu = Math.max(0, Math.round(((machineBusySeconds() - m0 - ours) / wall) * 100) / 100);
  return { result, serverCpuSeconds, wall, foreignCpu };
}
/** Waits until the server is (nearly) idle: under 5% of a core over half a second, at most `maxMs`. */
async function quiet(pid: number, maxMs = 60_000): Promise<number> {
  const t = performance.now();
  for (;;) {
    const c0 = cpuSeconds(pid);
    await sleep(500);
    if (cpuSeconds(pid) - c0 < 0.025 || performance.now() - t > maxMs) return Math.round(performance.now() - t);
  }
}

/** Other processes using more than this (cores) during a step that failed: the step is repeated. */
const DISTURBED = 0.15;

async function chatRamp(server: BenchServer): Promise<NonNullable<RunResult['chat']>> {
  const pairs: [number, number][] = Array.from({ length: PAIRS }, (_, k) => [2 * k, 2 * k + 1]);
  const steps: Step[] = [];
  const step = async (rate: number, attempt = 1): Promise<Step> => {
    await server.loopLag?.(); // starts (or restarts) the server's lag samples
    const m = await measured(server.pid, () =>
      call<ChatResult>({ op: 'chat', pairs, rate, seconds: STEP.seconds, warmupSeconds: STEP.warmup, window: WINDOW, drainSeconds: STEP.drain }),
    );
    const r = m.result;
    const cpu = m.serverCpuSeconds;
    const serverLag = await server.loopLag?.();
    const s: Step = { ...r, ...(serverLag ? { serverLag } : {}), foreignCpu: m.foreignCpu, serverCpu: Math.round((cpu / m.wall) * 100) / 100, cpuUsPerMsg: r.receivedTotal ? Math.round((cpu * 1e6) / r.receivedTotal) : NaN };
    const disturbed = !!rate && !passes(r) && m.foreignCpu > DISTURBED && attempt < 3;
    if (rate && !disturbed) steps.push(s);
    log(
      `  ${server.name} chat ${rate ? `${rate}/s` : `closed loop (${WINDOW} in flight per pair)`}: sent ${r.sentRate}/s, received ${r.recvRate}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms` +
        `${r.lost ? `, lost ${r.lost}` : ''}${r.errors ? `, ${r.errors} errors (${r.errorSample.slice(0, 160)})` : ''}${r.blocked ? `, ${r.blocked} window-blocked` : ''}` +
        `${r.closedSessions ? `, ${r.closedSessions} sessions closed` : ''}; server CPU ${s.serverCpu} (${s.cpuUsPerMsg} µs/msg${serverLag ? `, loop lag p99 ${serverLag.p99} / max ${serverLag.max} ms` : ''}), load generator CPU ${r.loadCpu} (loop lag p99 ${r.loadLagP99} / max ${r.loadLagMax} ms); other processes ${m.foreignCpu} CPU` +
        `${rate ? ` → ${passes(r) ? 'ok' : disturbed ? 'FAIL, disturbed by other processes: again' : 'FAIL'}` : ''}`,
    );
    await quiet(server.pid, 15_000); // a backlog from this step must not slow the next
    return disturbed ? step(rate, attempt + 1) : s;
  };
  let best: Step | undefined;
  let failRate: number | undefined;
  for (const rate of RATES) {
    const s = await step(rate);
    if (!passes(s)) {
      failRate = rate;
      break;
    }
    best = s;
  }
  // Bisect between the last rate that held and the first that did not.
  for (let k = 0; k < (quick ? 1 : 2) && failRate !== undefined; k++) {
    const lo = best?.target ?? 0;
    const mid = Math.round((lo + failRate) / 2 / 100) * 100;
    if (mid <= lo || mid >= failRate) break;
    const s = await step(mid);
    if (passes(s)) best = s;
    else failRate = mid;
  }
  // The notes' "max rate": closed loop, every pair keeping `window` messages in flight.
  const closedLoop = await step(0);
  return {
    steps,
    closedLoop,
    ...(best ? { best, bestCpuUsPerMsg: best.cpuUsPerMsg } : {}),
    maxRecvRate: Math.max(...steps.map((s) => s.recvRate)),
    ...(steps.find((s) => s.target === 2000) ? { at2000: steps.find((s) => s.target === 2000)! } : {}),
    afterKiB: rssKiB(server.pid),
  };
}

async function run(kind: 'herald' | 'prosody', tls: boolean, herald: { dataDir: string; tokens: string[]; cert: { cert: string; key: string } }): Promise<RunResult> {
  const mode = tls ? 'STARTTLS' : 'no TLS';
  log(`${kind} (${mode}): starting`);
  const server: BenchServer =
    kind === 'herald'
      ? await startHerald({ dataDir: herald.dataDir, tokens: herald.tokens, team: TEAM, tls, cert: herald.cert, cpu: SERVER_CPU, xmppExtra: HERALD_XMPP_EXTRA })
      : await startProsodyServer({ count: N, team: TEAM, tls, cpu: SERVER_CPU, logLevel: PROSODY_LOG, disable: PROSODY_DISABLE });
  try {
    await sleep(SETTLE_MS / 2);
    const gcBefore = await server.collectGarbage?.();
    const baselineKiB = rssKiB(server.pid);
    // (a) N sessions: SASL SCRAM-SHA-1 (cheap for both servers: stored keys), bind, roster, presence.
    const mechanism: Mechanism = 'SCRAM-SHA-1';
    const specs = Array.from({ length: N }, (_, i) => server.spec(i, { mechanism, starttls: tls, resource: 'bench', roster: true, presence: true }));
    log(`${server.name} (${mode}): baseline RSS ${(baselineKiB / 1024).toFixed(1)} MiB; connecting ${N} sessions`);
    const c = await call<ConnectResult>({ op: 'connect', specs, concurrency: 50 });
    if (c.failed) log(`${server.name}: ${c.failed} sessions failed: ${c.errors.join(' | ')}`);
    await quiet(server.pid);
    await sleep(SETTLE_MS);
    const rss = rssKiB(server.pid);
    const perSession = (kib: number) => Math.round((kib / Math.max(1, c.ok)) * 10) / 10;
    const perSessionKiB = perSession(rss - baselineKiB);
    log(`${server.name} (${mode}): ${c.ok} sessions in ${c.seconds} s; RSS ${(rss / 1024).toFixed(1)} MiB → ${perSessionKiB} KiB/session`);
    let gc: RunResult['gc'];
    if (gcBefore && server.collectGarbage) {
      const after = await server.collectGarbage();
      await sleep(500);
      const sessionsKiB = rssKiB(server.pid);
      gc = {
        baselineKiB,
        sessionsKiB,
        perSessionKiB: perSession(sessionsKiB - baselineKiB),
        before: gcBefore,
        after,
        heapPerSessionKiB: perSession((after.heapUsed - gcBefore.heapUsed) / 1024),
        externalPerSessionKiB: perSession((after.external - gcBefore.external) / 1024),
      };
      log(`${server.name} (${mode}): after a forced GC RSS ${(sessionsKiB / 1024).toFixed(1)} MiB → ${gc.perSessionKiB} KiB/session (V8 heap ${gc.heapPerSessionKiB}, external ${gc.externalPerSessionKiB} KiB/session)`);
    }

    // What the server offers beside user sessions (a MUC service shows up as a conference.* item).
    const askItems = () =>
      call<string>({ op: 'query', index: 0, id: 'items1', timeoutMs: 5000, xml: `<iq type='get' id='items1' to='${specs[0]!.domain}'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>` });
    const items = c.ok ? (await askItems()) || (await askItems()) : '';
    const discoItems = [...items.matchAll(/<item\s[^>]*jid=['"]([^'"]+)['"]/g)].map((m) => m[1]!);

    // All closed: what is left (Herald: also after a forced GC, and its V8 heap).
    const closeAll = async () => {
      await call({ op: 'closeAll' });
      const busyMs = await quiet(server.pid);
      if (busyMs > 2000) log(`${server.name} (${mode}): busy for ${(busyMs / 1000).toFixed(1)} s after the sessions closed`);
      await sleep(SETTLE_MS / 2);
    };
    await closeAll();
    const afterCloseKiB = rssKiB(server.pid);
    log(`${server.name} (${mode}): all sessions closed; RSS ${(afterCloseKiB / 1024).toFixed(1)} MiB`);
    if (gc && server.collectGarbage) {
      gc.closed = await server.collectGarbage();
      await sleep(500);
      gc.closedKiB = rssKiB(server.pid);
      log(`${server.name} (${mode}): after a forced GC RSS ${(gc.closedKiB / 1024).toFixed(1)} MiB, V8 heap used ${(gc.closed.heapUsed / 1048576).toFixed(1)} MiB (${(gc.before.heapUsed / 1048576).toFixed(1)} before connecting)`);
    }

    // Leak check: the same sessions again; what the first round left should be reused, not added to.
    const c2 = await call<ConnectResult>({ op: 'connect', specs: specs.map((x) => ({ ...x, resource: 'again' })), concurrency: 50 });
    await quiet(server.pid);
    await sleep(SETTLE_MS);
    const round2: NonNullable<RunResult['round2']> = { ok: c2.ok, rssKiB: rssKiB(server.pid) };
    if (gc && server.collectGarbage) {
      await server.collectGarbage();
      await sleep(500);
      round2.gcKiB = rssKiB(server.pid);
      round2.firstGcKiB = gc.sessionsKiB;
    }
    log(
      `${server.name} (${mode}): ${c2.ok} sessions again: RSS ${(round2.rssKiB / 1024).toFixed(1)} MiB (first round ${(rss / 1024).toFixed(1)})` +
        `${round2.gcKiB !== undefined && gc ? `, after a forced GC ${(round2.gcKiB / 1024).toFixed(1)} MiB (first round ${(gc.sessionsKiB / 1024).toFixed(1)})` : ''}`,
    );

    // (c) chat with the second round's sessions; with STARTTLS only unless --chat-plain.
    const chat = (tls || CHAT_PLAIN) && c2.ok === N ? await chatRamp(server) : undefined;
    await closeAll();

    // (b) logins per second, the first 200 users in turn.
    const logins: RunResult['logins'] = {};
    const users = Array.from({ length: Math.min(N, 200) }, (_, i) => i);
    const variants: { key: string; mechanism: Mechanism; token?: boolean; what: string }[] = [
      { key: 'plain', mechanism: 'PLAIN', what: kind === 'herald' ? 'PLAIN, password → scrypt (N=2^15, r=8, p=1)' : 'PLAIN, password → PBKDF2-SHA1 4,096 it.' },
      { key: 'scram', mechanism: 'SCRAM-SHA-1', what: 'SCRAM-SHA-1, stored keys (4,096 it.)' },
      ...(kind === 'herald' ? [{ key: 'token', mechanism: 'PLAIN' as const, token: true, what: 'PLAIN, device token → SHA-256 lookup' }] : []),
    ];
    for (const v of variants) {
      const vspecs = users.map((i) => server.spec(i, { mechanism: v.mechanism, token: !!v.token, starttls: tls, resource: 'login', roster: false, presence: false }));
      try {
        const m = await measured(server.pid, () => call<LoginsResult>({ op: 'logins', specs: vspecs, seconds: LOGIN_SECONDS, concurrency: LOGIN_CONCURRENCY }));
        const r = m.result;
        logins[v.key] = { ...r, what: v.what, serverCpu: Math.round((m.serverCpuSeconds / m.wall) * 100) / 100, foreignCpu: m.foreignCpu };
        log(
          `${server.name} (${mode}) logins ${v.what}: ${r.rate}/s (p50 ${r.p50} ms, p99 ${r.p99} ms)${r.failed ? `, ${r.failed} failed: ${r.errors.join(' | ')}` : ''}; ` +
            `server CPU ${Math.round((m.serverCpuSeconds / m.wall) * 100) / 100}, load generator CPU ${r.loadCpu}, other processes ${m.foreignCpu} CPU`,
        );
      } catch (e) {
        logins[v.key] = { error: (e as Error).message };
      }
      await sleep(quick ? 300 : 1000);
    }
    const afterLoginsKiB = rssKiB(server.pid);
    const problems = server.problems();
    if (problems.warnings || problems.errors) log(`${server.name} (${mode}) logged ${problems.warnings} warnings, ${problems.errors} errors: ${problems.samples.join('\n  ')}`);
    return { server: server.name, tls, baselineKiB, sessions: { ...c, mechanism, rssKiB: rss, perSessionKiB }, ...(chat ? { chat } : {}), afterCloseKiB, round2, afterLoginsKiB, ...(gc ? { gc } : {}), logins, problems, discoItems };
  } finally {
    await server.stop();
  }
}

// ---- main ----
const work = mkdtempSync(path.join(tmpdir(), 'herald-bench-xmpp-'));
const results: RunResult[] = [];
try {
  log(`${N} sessions, teams of ${TEAM} (roster ${TEAM - 1}), ${PAIRS} chat pairs, window ${WINDOW}; message archive ${MAM ? 'on' : 'off'}${HERALD_HAS_MAM ? '' : ' (Herald has none)'}; ${canPin ? `servers on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU}` : 'no CPU pinning (one core or no taskset)'}`);
  const heraldData = path.join(work, 'herald');
  const cert = makeCertificate(path.join(work, 'cert'));
  const tokens = SERVERS.includes('herald') ? await prepareHerald(heraldData, N, TEAM) : [];
  for (const tls of MODES) {
    for (const kind of ['herald', 'prosody'] as const) {
      if (SERVERS.includes(kind)) results.push(await run(kind, tls, { dataDir: heraldData, tokens, cert }));
    }
  }
} finally {
  await call({ op: 'exit' }).catch(() => {});
  if (values.keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

// ---- report ----
const get = (server: string, tls: boolean) => results.find((r) => r.server === server && r.tls === tls);
const fmt = (x: number | undefined, d = 0) => (x === undefined || Number.isNaN(x) ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const ratio = (h: number | undefined, p: number | undefined) => (h === undefined || p === undefined || !p || Number.isNaN(h) || Number.isNaN(p) ? '-' : `${(h / p).toFixed(2)}×`);
const rows: Record<string, string>[] = [];
const row = (metric: string, h: number | undefined, p: number | undefined, d: number, target = '', hs?: string, ps?: string) =>
  rows.push({ metric, Herald: hs ?? fmt(h, d), Prosody: ps ?? fmt(p, d), 'Herald/Prosody': ratio(h, p), target });
const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' → met' : ' → NOT met');

for (const tls of MODES) {
  const h = get('Herald', tls);
  const p = get('Prosody', tls);
  const m = tls ? 'STARTTLS' : 'no TLS';
  const hk = h?.sessions.perSessionKiB;
  const pk = p?.sessions.perSessionKiB;
  row(`(a) KiB per idle session, ${m} (${N.toLocaleString('en-US')} sessions)`, hk, pk, 1, `≤ 0.70×${hk !== undefined && pk !== undefined ? verdict(hk <= 0.7 * pk) : ''}`);
  if (h?.gc) {
    row(`    KiB per idle session after a forced GC (Herald: of which V8 heap), ${m}`, h.gc.perSessionKiB, undefined, 1, '', `${fmt(h.gc.perSessionKiB, 1)} (${fmt(h.gc.heapPerSessionKiB, 1)})`, '-');
    if (h.gc.closed) row(`    Herald V8 heap used after GC: before → with sessions → all closed, MiB, ${m}`, undefined, undefined, 0, '', [h.gc.before, h.gc.after, h.gc.closed].map((u) => fmt(u.heapUsed / 1048576, 1)).join(' → '), '-');
  }
  row(`    RSS baseline → ${N.toLocaleString('en-US')} sessions → all closed, MiB, ${m}`, undefined, undefined, 0, '', h ? `${fmt(h.baselineKiB / 1024, 1)} → ${fmt(h.sessions.rssKiB / 1024, 1)} → ${fmt(h.afterCloseKiB / 1024, 1)}` : '-', p ? `${fmt(p.baselineKiB / 1024, 1)} → ${fmt(p.sessions.rssKiB / 1024, 1)} → ${fmt(p.afterCloseKiB / 1024, 1)}` : '-');
  if (h?.sessions.failed || p?.sessions.failed) row(`    sessions that failed to log in, ${m}`, h?.sessions.failed, p?.sessions.failed, 0);
  const r2 = (r: RunResult | undefined) =>
    r?.round2 ? `${fmt(r.sessions.rssKiB / 1024, 1)} → ${fmt(r.round2.rssKiB / 1024, 1)}${r.round2.gcKiB !== undefined ? ` (after GC ${fmt((r.round2.firstGcKiB ?? NaN) / 1024, 1)} → ${fmt(r.round2.gcKiB / 1024, 1)})` : ''}` : '-';
  row(`    leak check: RSS with the sessions, 1st round → again after all closed, MiB, ${m}`, undefined, undefined, 0, '', r2(h), r2(p));
  for (const key of ['plain', 'scram', 'token']) {
    const hl = h?.logins[key];
    const pl = p?.logins[key];
    if (!hl && !pl) continue;
    const label = {
      plain: 'PLAIN + password (Herald: scrypt N=2^15 r=8; Prosody: PBKDF2-SHA1 4,096 it.)',
      scram: 'SCRAM-SHA-1, stored keys, 4,096 it. (both)',
      token: 'PLAIN + Herald device token (SHA-256 lookup)',
    }[key];
    const val = (l: typeof hl) => (l && 'rate' in l ? l.rate : undefined);
    // ≥: the load generator's core was (nearly) saturated, so the server could do more.
    const txt = (l: typeof hl) => (!l ? 'n/a' : 'error' in l ? 'error' : `${l.loadCpu >= 0.8 ? '≥ ' : ''}${fmt(l.rate, 1)}${l.failed ? ` (${l.failed} failed)` : ''}`);
    row(`(b) logins/s, ${label}, ${m}`, val(hl), val(pl), 1, '', txt(hl), txt(pl));
  }
  if (h?.chat || p?.chat) {
    const hc = h?.chat;
    const pc = p?.chat;
    const b = (c: typeof hc) => (c?.best ? `${fmt(c.best.recvRate)} (p50 ${c.best.p50} / p99 ${c.best.p99} ms)` : c ? `< ${RATES[0]}` : 'n/a');
    const okChat = hc?.best && pc?.best ? hc.best.recvRate >= 1.5 * pc.best.recvRate && hc.best.p99 <= Math.max(pc.best.p99, P99_BOUND) : undefined;
    row(`(c) 1:1 msgs/s at p99 ≤ ${P99_BOUND} ms, ${N.toLocaleString('en-US')} online, ${PAIRS} pairs, ${m}`, hc?.best?.recvRate, pc?.best?.recvRate, 0, `≥ 1.50×, equal/better p99${verdict(okChat)}`, b(hc), b(pc));
    row(`    max 1:1 msgs/s received in the ramp (any latency), ${m}`, hc?.maxRecvRate, pc?.maxRecvRate, 0);
    const cl = (c: typeof hc) => (c ? `${c.closedLoop.loadCpu >= 0.8 ? '≥ ' : ''}${fmt(c.closedLoop.recvRate)} (p50 ${c.closedLoop.p50} / p99 ${c.closedLoop.p99} ms)` : 'n/a');
    row(`    max 1:1 msgs/s, closed loop (${WINDOW} in flight per pair), ${m}`, hc?.closedLoop.recvRate, pc?.closedLoop.recvRate, 0, '', cl(hc), cl(pc));
    const at = (c: typeof hc) => (c?.at2000 ? `${c.at2000.p50} / ${c.at2000.p99}` : c ? 'not run (over capacity)' : '-');
    row(`    p50 / p99 ms at a paced 2,000 msgs/s, ${m}`, hc?.at2000?.p99, pc?.at2000?.p99, 1, '(ratio of p99)', at(hc), at(pc));
    row(`    server CPU µs per message at that best rate, ${m}`, hc?.bestCpuUsPerMsg, pc?.bestCpuUsPerMsg, 0);
    row(`    RSS after the chat steps, MiB, ${m}`, hc ? hc.afterKiB / 1024 : undefined, pc ? pc.afterKiB / 1024 : undefined, 1);
  }
}
// (d) Not measured. Herald had no MUC when this was written; say so only while it still has none.
const heraldMuc = results.find((r) => r.server === 'Herald')?.discoItems.find((j) => /^(conference|muc|rooms?)\./.test(j));
rows.push({
  metric: '(d) group chat (MUC) fan-out',
  Herald: heraldMuc ? `not measured yet (Herald now offers ${heraldMuc})` : 'n/a: MUC not implemented in Herald yet',
  Prosody: 'not measured',
  'Herald/Prosody': '-',
  target: '',
});
for (const r of results) {
  if (r.problems.warnings || r.problems.errors) rows.push({ metric: `    log: ${r.server}, ${r.tls ? 'STARTTLS' : 'no TLS'}`, Herald: r.server === 'Herald' ? `${r.problems.warnings} warn, ${r.problems.errors} error` : '', Prosody: r.server === 'Prosody' ? `${r.problems.warnings} warn, ${r.problems.errors} error` : '', 'Herald/Prosody': '', target: '' });
}

console.log(
  `\nHerald XMPP benchmark vs Prosody (${new Date().toISOString()}, ${((Date.now() - t0) / 1000).toFixed(0)} s; ${N.toLocaleString('en-US')} sessions, rosters of ${TEAM - 1}, ` +
    `${canPin ? `server on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU}` : 'no CPU pinning'}; ` +
    `message archive (MAM) ${MAM ? 'on in both' : HERALD_HAS_MAM ? 'off in both' : 'off in Prosody, none in Herald'}${PROSODY_DISABLE.length ? `; Prosody without ${PROSODY_DISABLE.join(', ')}` : ''})\n` +
    `targets: memory per session ≤ 0.7× Prosody's; 1:1 throughput ≥ 1.5× Prosody's at equal or better p99\n`,
);
console.log(table(rows));
const foreign = results.flatMap((r) => [...(r.chat ? [...r.chat.steps, r.chat.closedLoop] : []), ...Object.values(r.logins).filter((l) => 'foreignCpu' in l)].map((x) => (x as { foreignCpu: number }).foreignCpu));
console.log(
  `\n≥: the load generator's core was ≥ 80% busy, the server could do more. Ramp steps that failed while other processes used > ${DISTURBED} CPU ` +
    `were repeated (up to 3 tries). Other processes used up to ${fmt(Math.max(0, ...foreign), 2)} CPU during the measurements.`,
);
console.log(
  `\nJSON ${JSON.stringify({
    date: new Date().toISOString(),
    sessions: N,
    team: TEAM,
    pairs: PAIRS,
    window: WINDOW,
    mam: MAM,
    heraldHasMam: HERALD_HAS_MAM,
    prosodyDisabled: PROSODY_DISABLE,
    p99BoundMs: P99_BOUND,
    pinned: canPin ? { server: SERVER_CPU, load: LOAD_CPU } : null,
    results,
  })}`,
);
process.exit(0);
