// npm run bench:xmpp — Herald's embedded XMPP server beside Prosody (Debian's 0.12, the reference
// of /work/shared/notes/xmpp-peers.md) and, when Debian's ejabberd is installed, ejabberd 23.01:
// same machine, same run, same load generator.
//   (a) N idle sessions (SASL SCRAM-SHA-1, bind, roster get, initial presence): server RSS per
//       session, with STARTTLS and without TLS, then a leak check (xmpp-runs.ts); also at every
//       further size of --sessions (default 1,000 and 10,000), each on a fresh server;
//   (b) logins per second (connect, STARTTLS, SASL, bind, close), 16 at a time (xmpp-runs.ts);
//   (c) 1:1 chat with N users online: the highest rate at p99 ≤ 50 ms, and a closed loop
//       (xmpp-chat-ramp.ts);
//   (e) 1:1 chat at a paced rate (default 500 msgs/s) with (c)'s sessions online, alone and while
//       50 wrong-password PLAIN logins per second arrive, each from its own 127.x.y.z address
//       (xmpp-flood-run.ts, xmpp-flood.ts): p99 should not move;
//   (d) a room of 200 occupants at 10 messages/s for 30 s: fan-out latency from send to each
//       occupant's copy, the time until the last occupant has it, copies delivered vs expected
//       (xmpp-room-run.ts, xmpp-room.ts);
//   (f) the morning sign-in: N users of one domain whose rosters are everyone (Herald: one mail
//       domain, no Maildirs yet; Prosody: mod_groups; ejabberd: mod_shared_roster @all@), none
//       online, sign in spread over 60 s and stay online: sign-ins/s, login times, presence
//       stanzas received, server CPU and RSS (xmpp-morning.ts, xmpp-morning-load.ts).
// Every server gets the same users and rosters of the same size: Herald's roster is the user's
// mail domain, so users come in teams (t0000.bench.example, …) and the others get rosters with
// the same teams; the room occupants are one more team (xmpp-servers.ts). Message archives (MAM,
// also of the room) are on in all or in none (--mam).
// Each server runs as its own process pinned to CPU 0; the load generator (xmpp-load.ts) is
// another process on CPU 1, with this orchestrator beside it (two cores, as in the notes).
//   options: --quick (100 sessions, STARTTLS only, short steps, a 20-occupant room for 3 s, (e) three short pairs: ~2.5 min for two servers)
//            --sessions N[,M…] (default 1000,10000: the first size runs everything, the others (a) only;
//              10,000 is left out of the default when the open-file limit or the memory cannot hold it)
//            --team N (users per team/domain, default 20)  --servers herald,prosody,ejabberd,ejabberd-cluster (default: the first three installed)
//            --room N (occupants, default 200; 0 = no room)  --room-rate N (msgs/s, 10)  --room-seconds N (30)
//            --no-plain (skip the no-TLS runs)  --window N (default 10)  --chat-plain (chat without TLS too)
//            --morning N (users signing in for (f), default 5000, --quick 300; 0 = skip)  --morning-seconds N (60, --quick 10)
//            --only-morning (run (f) alone)  --only-room (run (d) alone)
//            --only-idle (run (a) alone, every size and mode on a fresh server: the memory per idle session)
//            --flood N (wrong-password logins/s in (e), default 50; 0 = skip (e))  --flood-chat N (paced msgs/s in (e), default 500)
//            --mam on|off (message archives on all servers; default on when Herald has MAM)
//            --prosody-log info|warn (also ejabberd's level)  --prosody-disable mod,...  --keep (keep Herald's data folder)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SettingsSchema } from '../../gateway/src/config/schema.ts';
import type { BenchContext } from './xmpp-context.ts';
import { findEjabberd, startEjabberdServer } from './xmpp-ejabberd.ts';
import { startEjabberdClusterServer } from './xmpp-ejabberd-cluster.ts';
import { prepareHerald, startHerald } from './xmpp-herald.ts';
import type { LoadCommand, LoadReply } from './xmpp-load.ts';
import { morningRun, type MorningRun } from './xmpp-morning.ts';
import { startProsodyServer } from './xmpp-prosody.ts';
import { report } from './xmpp-report.ts';
import { roomRun, type RoomRun } from './xmpp-room-run.ts';
import { mainRun, scaleRun, type IdleResult, type RunResult } from './xmpp-runs.ts';
import { availableKiB, fileHardLimit, makeCertificate, pinnedCommand, SERVER_NAMES, teamDomain, type ServerKind } from './xmpp-servers.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    sessions: { type: 'string' },
    team: { type: 'string' },
    servers: { type: 'string' },
    room: { type: 'string' },
    'room-rate': { type: 'string' },
    'room-seconds': { type: 'string' },
    'no-plain': { type: 'boolean' },
    window: { type: 'string' },
    'chat-plain': { type: 'boolean' },
    'prosody-log': { type: 'string' },
    'prosody-disable': { type: 'string' },
    mam: { type: 'string' },
    flood: { type: 'string' },
    'flood-chat': { type: 'string' },
    morning: { type: 'string' },
    'morning-seconds': { type: 'string' },
    'only-morning': { type: 'boolean' },
    'only-idle': { type: 'boolean' },
    'only-room': { type: 'boolean' },
    keep: { type: 'boolean' },
  },
});
const log = (s: string) => console.error(`[bench:xmpp ${new Date().toISOString().slice(11, 19)}] ${s}`);
const fail = (s: string): never => {
  console.error(`bench:xmpp: ${s}`);
  process.exit(2);
};
const num = (name: string, v: string | undefined, dflt: number, min: number) => {
  const n = Number(v ?? dflt);
  return Number.isInteger(n) && n >= min ? n : fail(`--${name} must be an integer ≥ ${min}, not "${v}"`);
};
const quick = !!values.quick;
const notes: string[] = [];

// Sizes: the first runs everything; the others are scale runs of (a). 10,000 sessions need an open
// file each in the server and in the load generator (two processes: the hard limit must hold
// n + some per process) and memory (ejabberd's ~400 KiB per TLS session before a GC, the load
// generator's TLS sockets): the default leaves the size out, with a note, when the machine cannot.
const fdHard = fileHardLimit();
const explicitSizes = values.sessions !== undefined;
let SIZES = (values.sessions ?? (quick ? '100' : '1000,10000')).split(',').map((s) => num('sessions', s.trim(), 0, 2));
if (!explicitSizes) {
  SIZES = SIZES.filter((n, k) => {
    if (k === 0) return true;
    const why = fdHard < n + 1000 ? `the open-file hard limit is ${fdHard} (raise it to ${n + 1000} or more: ulimit -Hn)` : availableKiB() < 8 * 1024 * 1024 ? `less than 8 GiB of memory is available (${Math.round(availableKiB() / 1024)} MiB)` : '';
    if (why) notes.push(`(a) at ${n.toLocaleString('en-US')} sessions: ${why}`);
    return !why;
  });
}
for (const n of SIZES) if (fdHard < n + 1000) log(`warning: the open-file hard limit (${fdHard}) is below ${n + 1000}: logins at ${n} sessions will fail`);
const N = SIZES[0]!;
const TEAM = num('team', values.team, 20, 1);
const WINDOW = num('window', values.window, 10, 1);
const ROOM = num('room', values.room, quick ? 20 : 200, 0);
const ROOM_RATE = num('room-rate', values['room-rate'], 10, 1);
const ROOM_SECONDS = num('room-seconds', values['room-seconds'], quick ? 3 : 30, 1);
const FLOOD = num('flood', values.flood, 50, 0);
const MORNING = num('morning', values.morning, quick ? 300 : 5000, 0);
const MORNING_SECONDS = num('morning-seconds', values['morning-seconds'], quick ? 10 : 60, 1);
if (MORNING && fdHard < MORNING + 1000) log(`warning: the open-file hard limit (${fdHard}) is below ${MORNING + 1000}: sign-ins in (f) will fail`);
const ONLY_MORNING = !!values['only-morning'];
const ONLY_IDLE = !!values['only-idle'];
const ONLY_ROOM = !!values['only-room'];
const FLOOD_CHAT = num('flood-chat', values['flood-chat'], 500, 1);
// --quick: STARTTLS only (every server's default), coarser rate steps, short phases.
const MODES: boolean[] = values['no-plain'] || quick ? [true] : [true, false];
const PROSODY_LOG = values['prosody-log'] === 'warn' ? 'warn' : 'info';
// Message archives (XEP-0313) on all servers or on none: Herald archives when its settings know
// xmpp.archiveDays (0 = off); Prosody when mod_mam (and muc_mam for rooms) is loaded; ejabberd with
// mod_mam and the rooms' mam option. Default: on when Herald has MAM, else off.
const HERALD_HAS_MAM = SettingsSchema.safeParse({ xmpp: { archiveDays: 0 } }).success;
const MAM = (values.mam ?? (HERALD_HAS_MAM ? 'on' : 'off')) === 'on';
const PROSODY_DISABLE = [...(values['prosody-disable'] ?? '').split(',').filter(Boolean), ...(MAM ? [] : ['mam'])];
const HERALD_XMPP_EXTRA: Record<string, unknown> = HERALD_HAS_MAM && !MAM ? { archiveDays: 0 } : {};
const PAIRS = Math.min(200, Math.floor(N / 2));
const RATES = quick ? [1000, 2000, 4000, 8000, 16000, 32000, 64000] : [1000, 2000, 3000, 4000, 6000, 8000, 11000, 15000, 20000, 27000, 36000, 48000, 64000, 85000, 110000];

// Servers: the ones asked for, or every one installed (ejabberd is optional).
const ejabberd = findEjabberd();
const asked = (values.servers ?? 'herald,prosody,ejabberd').split(',').map((s) => s.trim().toLowerCase());
for (const s of asked) if (!(s in SERVER_NAMES)) fail(`unknown server "${s}" in --servers (herald, prosody, ejabberd, ejabberd-cluster)`);
// Always in this order: Herald's column first, then the references.
let SERVERS = (Object.keys(SERVER_NAMES) as ServerKind[]).filter((k) => asked.includes(k));
if ('missing' in ejabberd && SERVERS.some((s) => s.startsWith('ejabberd'))) {
  if (values.servers) fail(ejabberd.missing);
  notes.push(`ejabberd: ${ejabberd.missing}`);
  SERVERS = SERVERS.filter((s) => !s.startsWith('ejabberd'));
}
if (SERVERS.includes('ejabberd-cluster')) log('ejabberd cluster: two nodes on loopback joined with join_cluster, users alternating between them, both VMs on the servers\' core; RSS and CPU are the two VMs\' sum');
const t0 = Date.now();

// Two cores: servers on CPU 0, load generator and this process on CPU 1.
const canPin = availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;
const SERVER_CPU = canPin ? 0 : undefined;
const LOAD_CPU = canPin ? 1 : undefined;
if (canPin) spawnSync('taskset', ['-a', '-cp', String(LOAD_CPU), String(process.pid)], { stdio: 'ignore' });

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

// ---- main ----
const work = mkdtempSync(path.join(tmpdir(), 'herald-bench-xmpp-'));
const main: RunResult[] = [];
const scale: IdleResult[] = [];
const rooms: RoomRun[] = [];
const mornings: MorningRun[] = [];
try {
  if (MORNING && !ONLY_ROOM) log(`(f) morning sign-in: ${MORNING} users of one domain, roster everyone, over ${MORNING_SECONDS} s${ONLY_MORNING ? ' (alone: --only-morning)' : ''}`);
  if (!ONLY_MORNING) log(
    `${SIZES.join(', ')} sessions, teams of ${TEAM} (roster ${TEAM - 1}), ${PAIRS} chat pairs, window ${WINDOW}; room of ${ROOM} at ${ROOM_RATE} msgs/s for ${ROOM_SECONDS} s; ` +
      `servers ${SERVERS.join(', ')}; message archive ${MAM ? 'on' : 'off'}${HERALD_HAS_MAM ? '' : ' (Herald has none)'}; ` +
      `${canPin ? `servers on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU}` : 'no CPU pinning (one core or no taskset)'}; open files ≤ ${fdHard} per process`,
  );
  const cert = makeCertificate(path.join(work, 'cert'));
  // Herald's users, once per size (its own data folder each; the room occupants in every one).
  const herald = new Map<number, { dataDir: string; tokens: string[] }>();
  const heraldFor = async (n: number) => {
    let h = herald.get(n);
    if (!h) {
      const dataDir = path.join(work, `herald-${n}`);
      h = { dataDir, tokens: await prepareHerald(dataDir, n, TEAM, ROOM) };
      herald.set(n, h);
    }
    return h;
  };
  // (f): one domain of n (team = n: t0000.bench.example), no room; its own data folder, in which
  // no Maildir is made (mail.maildir.root is %data%/mail/%d/%n: the run counts what is there).
  const heraldMorning = async (n: number) => {
    const dataDir = path.join(work, `herald-morning-${n}`);
    let tokens = herald.get(-n)?.tokens;
    if (!tokens) herald.set(-n, { dataDir, tokens: (tokens = await prepareHerald(dataDir, n, n, 0)) });
    return { dataDir, tokens };
  };
  const heraldMaildirs = (n: number) => {
    const dir = path.join(work, `herald-morning-${n}`, 'mail', teamDomain(0));
    return existsSync(dir) ? readdirSync(dir).length : 0;
  };
  const ctx: BenchContext = {
    call,
    loadPid: load.pid!,
    log,
    async start(kind, n, tls, o) {
      const everyone = !!o?.everyone;
      const common = { count: n, team: everyone ? n : TEAM, room: everyone ? 0 : ROOM, tls, cpu: SERVER_CPU, mam: MAM, everyone };
      if (kind === 'herald' && everyone) return startHerald({ ...(await heraldMorning(n)), team: n, tls, cert, cpu: SERVER_CPU, xmppExtra: HERALD_XMPP_EXTRA });
      if (kind === 'herald') return startHerald({ ...(await heraldFor(n)), team: TEAM, tls, cert, cpu: SERVER_CPU, xmppExtra: HERALD_XMPP_EXTRA });
      if (kind === 'prosody') return startProsodyServer({ ...common, logLevel: PROSODY_LOG, disable: PROSODY_DISABLE });
      if ('missing' in ejabberd) throw new Error(ejabberd.missing);
      if (kind === 'ejabberd-cluster') return startEjabberdClusterServer({ ...common, libs: ejabberd.libs, cert, logLevel: PROSODY_LOG });
      return startEjabberdServer({ ...common, libs: ejabberd.libs, cert, logLevel: PROSODY_LOG });
    },
    quick,
    settleMs: quick ? 1000 : 3000,
    loginSeconds: quick ? 1.5 : 6,
    loginConcurrency: 16,
    chat: { window: WINDOW, pairs: PAIRS, rates: RATES, p99Bound: 50, step: quick ? { warmup: 0.3, seconds: 1, drain: 2 } : { warmup: 1, seconds: 4, drain: 3 } },
    chatPlain: !!values['chat-plain'],
    flood: { rate: FLOOD, chatRate: FLOOD_CHAT, repeats: quick ? 3 : 5, step: quick ? { warmup: 0.5, seconds: 3, drain: 2 } : { warmup: 1, seconds: 10, drain: 3 } },
    room: { occupants: ROOM, rate: ROOM_RATE, seconds: ROOM_SECONDS, warmup: quick ? 0.5 : 2, drain: 5, joinConcurrency: 10 },
  };
  // ejabberd is optional: if it fails (it will not start, say), the run goes on without it.
  const each = async <T>(list: T[], fn: (kind: ServerKind) => Promise<T>) => {
    for (const kind of SERVERS) {
      try {
        list.push(await fn(kind));
      } catch (e) {
        if (!kind.startsWith('ejabberd')) throw e;
        log(`${kind} failed, going on without it: ${(e as Error).message}`);
        notes.push(`${kind}: failed (${(e as Error).message.split('\n').slice(0, 3).join(' ')})`);
        SERVERS = SERVERS.filter((s) => s !== kind);
        await call({ op: 'closeAll' });
      }
    }
  };
  if (ONLY_IDLE) for (const n of SIZES) for (const tls of MODES) await each(scale, (kind) => scaleRun(ctx, kind, n, tls));
  const onlyOther = ONLY_MORNING || ONLY_IDLE || ONLY_ROOM;
  if (!onlyOther) for (const tls of MODES) await each(main, (kind) => mainRun(ctx, kind, N, tls));
  if (!onlyOther) for (const n of SIZES.slice(1)) for (const tls of MODES) await each(scale, (kind) => scaleRun(ctx, kind, n, tls));
  if (ROOM > 0 && !ONLY_MORNING && !ONLY_IDLE) await each(rooms, (kind) => roomRun(ctx, kind, N));
  if (MORNING > 0 && !ONLY_IDLE && !ONLY_ROOM) await each(mornings, (kind) => morningRun(ctx, kind, MORNING, { seconds: MORNING_SECONDS, settleSeconds: quick ? 30 : 180, heraldMaildirs }));
} finally {
  await call({ op: 'exit' }).catch(() => {});
  if (values.keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

report({
  startedAt: t0,
  servers: SERVERS.map((k) => SERVER_NAMES[k]),
  modes: MODES,
  n: N,
  scaleSizes: ONLY_IDLE ? SIZES : SIZES.slice(1),
  team: TEAM,
  pairs: PAIRS,
  window: WINDOW,
  p99Bound: 50,
  rates: RATES,
  mam: MAM,
  heraldHasMam: HERALD_HAS_MAM,
  prosodyDisabled: PROSODY_DISABLE,
  pinned: canPin ? { server: SERVER_CPU!, load: LOAD_CPU! } : null,
  room: { occupants: ROOM, rate: ROOM_RATE, seconds: ROOM_SECONDS },
  flood: { rate: FLOOD, chatRate: FLOOD_CHAT },
  main,
  scale,
  rooms,
  mornings,
  morning: { n: MORNING, seconds: MORNING_SECONDS },
  notes,
});
process.exit(0);
