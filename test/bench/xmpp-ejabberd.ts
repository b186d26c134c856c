// Debian's ejabberd (23.01, Erlang/OTP 25) as a benchmarked XMPP server, when it is installed
// (`apt-get install ejabberd`; its system service is not used and need not run). We start the
// Erlang VM ourselves, as root or not, without ejabberdctl (which switches to the `ejabberd` user
// and needs epmd and a node name): `erl -noinput -s ejabberd` with ERL_LIBS pointing at Debian's
// ejabberd, EJABBERD_CONFIG_PATH at a generated config and Mnesia in a temp folder, on a free
// loopback port. No distribution: no node name, no epmd, nothing listens but our c2s port.
//
// Users and rosters are written into Mnesia by an -eval after ejabberd started, before any client
// connects ("bench-ready" on stdout): the `passwd` records hold the SCRAM-SHA-1 keys (4,096
// iterations, base64, the format ejabberd_auth stores), computed once for all users, as for the
// other servers; `roster` records are the teams, subscribed both ways. 10,000 users with rosters of
// 19 take about 17 s on the 2-core machine (dets writes).
//
// Message archives (mod_mam, when --mam on) are in Mnesia, ejabberd's default here: it logs that
// Mnesia is "not recommended" for MAM (a 2 GB table limit), and that warning is not counted as a
// problem. Each archived message is a disc write, which caps its 1:1 rate at a few hundred a
// second on this machine. SQLite (erlang-p1-sqlite3, sql_type: sqlite) was tried: no faster, and
// mod_mam's hook crashed under 20 concurrent senders (one connection, queries time out).
//
// A small bash guard owns the VM: when its stdin (our pipe) closes — stop(), or this process dying
// in any way — it sends SIGTERM (OTP's clean init:stop), SIGKILL 8 s later, and removes the temp
// folder. The pid we measure is the VM's (beam.smp: erl and erlexec exec into it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EjabberdDist } from '../fixtures/ejabberd.ts';
import { canConnect, freePort, readFileSafe, sleep } from '../fixtures/peer-utils.ts';
import { BASE_DOMAIN, localOf, loginSpec, PASSWORD, roomLocalOf, type BenchServer, type ServerOptions } from './xmpp-servers.ts';

/** Where Debian's ejabberd lives (the ERL_LIBS folder holding ejabberd-*), or why it cannot run here. */
export function findEjabberd(): { libs: string } | { missing: string } {
  const listed = spawnSync('dpkg', ['-L', 'ejabberd'], { encoding: 'utf8' });
  const app = listed.status === 0 ? listed.stdout.split('\n').find((l) => /\/ejabberd-[^/]+\/ebin\/ejabberd\.app$/.test(l)) : undefined;
  if (!app) return { missing: "Debian's ejabberd is not installed (apt-get install -y ejabberd)" };
  if (spawnSync('erl', ['-noshell', '-eval', 'halt().'], { stdio: 'ignore' }).status !== 0) return { missing: 'ejabberd is installed but erl (erlang-base) does not run' };
  return { libs: path.dirname(path.dirname(path.dirname(app))) };
}

const b64 = (b: Buffer) => b.toString('base64');
const erlBin = (s: string) => `<<"${s.replace(/[\\"]/g, (c) => `\\${c}`)}">>`;

/** The Erlang run after ejabberd started: accounts and rosters into Mnesia, then "bench-ready". */
function seedCode(o: ServerOptions): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(PASSWORD.normalize('NFKC'), salt, 4096, 20, 'sha1');
  const clientKey = createHmac('sha1', salted).update('Client Key').digest();
  const storedKey = createHash('sha1').update(clientKey).digest();
  const serverKey = createHmac('sha1', salted).update('Server Key').digest();
  return `
try
  Host = ${erlBin(BASE_DOMAIN)},
  Scram = {scram, ${erlBin(b64(storedKey))}, ${erlBin(b64(serverKey))}, ${erlBin(b64(salt))}, sha, 4096},
  Seed = fun(Fmt, N, Team) ->
    Name = fun(I) -> iolist_to_binary(io_lib:format(Fmt, [I])) end,
    lists:foreach(fun(I) ->
      U = Name(I),
      ok = mnesia:dirty_write(passwd, {passwd, {U, Host}, Scram}),
      T = I div Team,
      [ok = mnesia:dirty_write(roster, {roster, {U, Host, {Name(J), Host, <<>>}}, {U, Host}, {Name(J), Host, <<>>}, Name(J), both, none, [<<"team">>], <<>>, []})
       || Team > 1, J <- lists:seq(T * Team, min(N, (T + 1) * Team) - 1), J =/= I]
    end, lists:seq(0, N - 1))
  end,
  Seed("u~5..0B", ${o.count}, ${o.everyone ? 1 : Math.max(1, o.team)}),
  Seed("r~4..0B", ${o.room}, ${Math.max(1, o.room)}),${o.everyone ? `
  %% Scenario (f): one shared roster group of all the host's users, shown to its members.
  {atomic, _} = mod_shared_roster:create_group(Host, <<"everyone">>, [{label, <<"Everyone">>}, {displayed_groups, [<<"everyone">>]}]),
  {atomic, _} = mod_shared_roster:add_user_to_group(Host, {<<"@all@">>, Host}, <<"everyone">>),` : ''}
  io:format("bench-ready~n")
catch C:E:S ->
  io:format("bench-failed ~p:~p ~p~n", [C, E, S]),
  halt(1)
end.`;
}

function config(o: ServerOptions & { dir: string; port: number; pem: string; logLevel: 'info' | 'warn' }): string {
  const mam = o.mam ? 'true' : 'false';
  return `# Generated by test/bench/xmpp-ejabberd.ts
hosts: ["${BASE_DOMAIN}"]
loglevel: ${o.logLevel === 'warn' ? 'warning' : 'info'}
certfiles: ["${o.pem}"]
listen:
  - port: ${o.port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 10485760
    backlog: 1024
    shaper: none
${o.tls ? '    starttls_required: true\n' : ''}auth_method: internal
auth_password_format: scram
# Room for every user's roster items in ejabberd's caches (1,000 by default: it warns "Shrinking
# cache" and goes to Mnesia); the other servers keep online users' rosters in memory too.
cache_size: 1000000
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  muc_create:
    allow: local
# The modules Prosody's benchmark config loads, in ejabberd's names (mod_last answers uptime).
modules:
  mod_roster: {versioning: true}
  mod_disco: {}
  mod_ping: {}
  mod_carboncopy: {}
  mod_offline: {}
  mod_stream_mgmt: {}
  mod_privacy: {}
  mod_blocking: {}
  mod_time: {}
  mod_version: {}
  mod_last: {}
${o.mam ? '  mod_mam: {default: always}\n' : ''}${o.everyone ? '  mod_shared_roster: {}\n' : ''}  mod_muc:
    host: "conference.@HOST@"
    access_create: muc_create
    history_size: 20
    max_users: 1000
    max_users_presence: 1000
    default_room_options: {mam: ${mam}, persistent: false, anonymous: false, max_users: 1000}
`;
}

/**
 * One ejabberd. With `dist` a named cluster node (xmpp-ejabberd-cluster.ts: -sname, cookie, the
 * private epmd, distribution on loopback); `seed: false` leaves Mnesia empty (a node that joins a
 * seeded one gets its tables then).
 */
export async function startEjabberdServer(o: ServerOptions & { libs: string; cert: { cert: string; key: string }; logLevel: 'info' | 'warn'; dist?: EjabberdDist; seed?: boolean }): Promise<BenchServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-'));
  const port = await freePort();
  const pem = path.join(dir, 'bench.pem');
  writeFileSync(pem, readFileSync(o.cert.cert, 'utf8') + readFileSync(o.cert.key, 'utf8'));
  const configFile = path.join(dir, 'ejabberd.yml');
  writeFileSync(configFile, config({ ...o, dir, port, pem }));
  const logFile = path.join(dir, 'ejabberd.log');
  mkdirSync(path.join(dir, 'db'));
  const pin = o.cpu === undefined ? '' : `taskset -c ${Number(o.cpu)} `;
  const guard = [
    'exec 3<&0',
    'ulimit -n "$(ulimit -Hn)" 2>/dev/null',
    `${pin}"$@" </dev/null & d=$!`,
    'echo "pid $d" >&2',
    '{ read -r _ <&3; kill -TERM $d 2>/dev/null; sleep 8; kill -KILL $d 2>/dev/null; } &',
    'wait $d; rc=$?',
    `rm -rf '${dir}'`,
    'exit $rc',
  ].join('\n');
  const argv = ['erl', '-noinput', '+K', 'true', '+P', '1000000', '-env', 'ERL_CRASH_DUMP_BYTES', '0', '-mnesia', 'dir', `"${path.join(dir, 'db')}"`, '-s', 'ejabberd', '-eval', o.seed === false ? 'io:format("bench-ready~n").' : seedCode(o)];
  if (o.dist) argv.push('-sname', o.dist.node, '-setcookie', o.dist.cookie, '-start_epmd', 'false', '-kernel', 'inet_dist_use_interface', '{127,0,0,1}');
  const child: ChildProcess = spawn('bash', ['-c', guard, 'guard', ...argv], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ERL_LIBS: o.libs, EJABBERD_CONFIG_PATH: configFile, EJABBERD_LOG_PATH: logFile, ...(o.dist ? { ERL_EPMD_PORT: String(o.dist.epmdPort) } : {}) },
  });
  let out = '';
  let pid: number | undefined;
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => {
    const s = d.toString();
    const m = /^pid (\d+)$/m.exec(s);
    if (m && pid === undefined) pid = Number(m[1]);
    out = (out + s.replace(/^pid \d+\n/m, '')).slice(-20_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const tail = () => `${out.trim()}\n${readFileSafe(logFile).split('\n').slice(-25).join('\n')}`;
  const deadline = Date.now() + 180_000;
  while (!out.includes('bench-ready') || !(await canConnect(port))) {
    if (exited || out.includes('bench-failed') || Date.now() > deadline) {
      child.stdin!.end();
      await exit;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`ejabberd did not start:\n${tail()}`);
    }
    await sleep(50);
  }
  if (pid === undefined) throw new Error('ejabberd: no pid from the guard');
  return {
    name: 'ejabberd',
    port,
    pid,
    mucService: `conference.${BASE_DOMAIN}`,
    spec: (i, s) => loginSpec(port, BASE_DOMAIN, localOf(i), PASSWORD, s),
    roomSpec: (j, s) => loginSpec(port, BASE_DOMAIN, roomLocalOf(j), PASSWORD, s),
    problems() {
      // (The self-signed certificate is expected: clients here do not verify it; Mnesia for MAM is our choice.)
      const bad = readFileSafe(logFile)
        .split('\n')
        .filter((l) => /\[(warning|error|critical)\]/.test(l) && !/Invalid certificate in .*self-signed|Mnesia backend for mod_mam is not recommended/.test(l));
      const samples: string[] = [];
      for (const l of bad) if (samples.length < 8 && !samples.some((s) => s.slice(33, 110) === l.slice(33, 110))) samples.push(l.slice(0, 400));
      return { warnings: bad.filter((l) => l.includes('[warning]')).length, errors: bad.length - bad.filter((l) => l.includes('[warning]')).length, samples };
    },
    async stop() {
      if (exited) return;
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
