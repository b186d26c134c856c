// The two XMPP servers the benchmark compares, behind one interface: Herald's gateway as its own
// process (config file, XMPP port read from its log) and Prosody through test/fixtures/prosody.ts.
// Both get the same users (u0000…, one password), rosters of the same size (a "team": Herald's
// roster is the user's mail domain, so each team is a domain t000.bench.example; Prosody gets
// roster files with the same members, subscribed both ways), a self-signed EC P-256 certificate
// for bench.example and *.bench.example, and, with two cores, CPU 0 (taskset).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hashPassword } from '../../gateway/src/directory/password-hash.ts';
import { encodeScram, scramKeys } from '../../gateway/src/directory/scram.ts';
import { createTokenService } from '../../gateway/src/directory/tokens.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import WebSocket from 'ws';
import { startProsody, type Prosody } from '../fixtures/prosody.ts';
import type { LoginSpec, Mechanism } from './xmpp-client.ts';

const root = path.resolve(import.meta.dirname, '../..');
export const BASE_DOMAIN = 'bench.example';
export const PASSWORD = 'bench-password-1';

export const localOf = (i: number) => `u${String(i).padStart(5, '0')}`;
export const teamOf = (i: number, team: number) => Math.floor(i / team);
const teamDomain = (t: number) => `t${String(t).padStart(4, '0')}.${BASE_DOMAIN}`;

export interface BenchServer {
  name: 'Herald' | 'Prosody';
  port: number;
  pid: number;
  /** What a login as user i sends: domain, user name, secret for the mechanism. */
  spec(i: number, o: { mechanism: Mechanism; token?: boolean; starttls: boolean; resource: string; roster: boolean; presence: boolean }): LoginSpec;
  /** Herald only (through the V8 inspector): a full garbage collection, then process.memoryUsage(). */
  collectGarbage?(): Promise<NodeJS.MemoryUsage>;
  /**
   * Herald only (through the V8 inspector): how late a 5 ms timer in the server fires, since the
   * last call — the server's event-loop stalls, in ms.
   */
  loopLag?(): Promise<{ p99: number; max: number }>;
  /** Warnings and errors the server logged so far (counts and a few samples). */
  problems(): { warnings: number; errors: number; samples: string[] };
  stop(): Promise<void>;
}

export function rssKiB(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return Number(m?.[1] ?? NaN);
}

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // fields 14 and 15; USER_HZ is 100 on Linux
}

/** CPU seconds the whole machine was busy (all cores; /proc/stat, idle and iowait excluded). */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user … steal (guest is inside user)
  return (total - f[3]! - f[4]!) / 100;
}

/** The certificate both servers present (EC P-256, like the Prosody fixture's). */
export function makeCertificate(dir: string): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, 'bench.crt');
  const key = path.join(dir, 'bench.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30',
    '-keyout', key, '-out', cert, '-subj', `/CN=${BASE_DOMAIN}`, '-addext', `subjectAltName=DNS:${BASE_DOMAIN},DNS:*.${BASE_DOMAIN}`,
  ], { stdio: 'ignore' });
  return { cert, key };
}

/**
 * Herald's users, written straight into its store: the same scrypt hash and SCRAM keys for all
 * (computed once: the hash is what `user add` would store), and a device token each.
 */
export async function prepareHerald(dataDir: string, count: number, team: number): Promise<string[]> {
  const [hash, sha1, sha256] = await Promise.all([hashPassword(PASSWORD), scramKeys('sha1', PASSWORD), scramKeys('sha256', PASSWORD)]);
  const scram = { sha1: encodeScram(sha1), sha256: encodeScram(sha256) };
  const store = createStore(dataDir);
  const tokens = createTokenService({ store, enrollTtlMs: 3600_000 });
  const out: string[] = [];
  store.db.transaction(() => {
    for (let t = 0; t * team < count; t++) if (!store.domains.get(teamDomain(t))) store.domains.add(teamDomain(t));
    for (let i = 0; i < count; i++) {
      const local = localOf(i);
      const address = `${local}@${teamDomain(teamOf(i, team))}`;
      const account = store.accounts.byAddress(address) ?? store.accounts.add({ address, local, domain: teamDomain(teamOf(i, team)), displayName: local, passwordHash: hash });
      store.accounts.setPasswordHash(address, hash, scram);
      out.push(tokens.issueDevice(account, 'bench'));
    }
  })();
  store.close();
  return out;
}

/** Sends Chrome DevTools Protocol calls to a Node inspector, one after another; returns their results. */
async function inspector(url: string, calls: { method: string; params?: Record<string, unknown> }[]): Promise<unknown[]> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const out: unknown[] = [];
  try {
    for (const [i, c] of calls.entries()) {
      out.push(
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${c.method}`)), 30_000);
          const onMessage = (data: WebSocket.RawData) => {
            const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
            if (m.id !== i + 1) return;
            clearTimeout(timer);
            ws.off('message', onMessage);
            if (m.error) reject(new Error(`inspector: ${c.method}: ${m.error.message}`));
            else resolve(m.result);
          };
          ws.on('message', onMessage);
          ws.send(JSON.stringify({ id: i + 1, method: c.method, params: c.params ?? {} }));
        }),
      );
    }
  } finally {
    ws.close();
  }
  return out;
}

/** Runs `argv` through bash with the open-file limit raised to the hard limit, pinned to `cpu` if given. */
export function pinnedCommand(argv: string[], cpu: number | undefined): string[] {
  const pin = cpu === undefined ? '' : `taskset -c ${cpu} `;
  return ['bash', '-c', `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${pin}"$0" "$@"`, ...argv];
}

export async function startHerald(o: {
  dataDir: string;
  tokens: string[];
  team: number;
  tls: boolean;
  cert: { cert: string; key: string };
  cpu: number | undefined;
  /** More xmpp settings (e.g. archiveDays: 0). */
  xmppExtra: Record<string, unknown>;
}): Promise<BenchServer> {
  const file = path.join(o.dataDir, 'bench-xmpp-config.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        dataDir: o.dataDir,
        http: { host: '127.0.0.1', port: 0 },
        log: { level: 'info' },
        mail: { source: 'maildir' },
        rateLimit: { perAddress: 1_000_000, perAccount: 1_000_000 },
        xmpp: {
          host: '127.0.0.1',
          port: 0,
          requireTls: o.tls,
          tlsCert: o.cert.cert,
          tlsKey: o.cert.key,
          maxConnectionsPerAddress: 1_000_000,
          idleSeconds: 3600,
          ...o.xmppExtra,
        },
      },
      null,
      2,
    ),
  );
  // --inspect: the benchmark can force a full GC to tell live memory from garbage (nothing else attaches).
  const [cmd, ...args] = pinnedCommand([process.execPath, '--inspect=127.0.0.1:0', path.join(root, 'bin', 'herald-gateway.mjs'), 'serve', '--config', file], o.cpu);
  const child: ChildProcess = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: '4' } });
  let warnings = 0;
  let errors = 0;
  const samples: string[] = [];
  let head = '';
  let partial = '';
  let stderr = '';
  let inspectorUrl = '';
  child.stderr!.on('data', (c: Buffer) => {
    for (const line of c.toString().split('\n')) {
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(line);
      if (m) inspectorUrl = m[1]!;
      // (The inspector's own lines are not the gateway's.)
      else if (line.trim() && !/^(For help, see: |Debugger (attached|ending))/.test(line) && stderr.length < 20_000) stderr += `${line}\n`;
    }
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Herald did not start: ${head}${stderr}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      const text = partial + c.toString();
      const lines = text.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (head.length < 20_000) head += `${line}\n`;
        const m = /XMPP server listening on port (\d+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
        // pino levels: 40 warn, 50 error, 60 fatal.
        const level = /"level":(\d+)/.exec(line)?.[1];
        if (level === '40') warnings++;
        else if (level === '50' || level === '60') errors++;
        if ((level === '40' || level === '50' || level === '60') && samples.length < 8 && !samples.some((s) => s.slice(0, 120) === line.slice(0, 120))) samples.push(line.slice(0, 600));
      }
    });
    child.once('exit', (code) => reject(new Error(`Herald exited with ${code}: ${head}${stderr}`)));
  });
  const domainOf = (i: number) => teamDomain(teamOf(i, o.team));
  return {
    name: 'Herald',
    port,
    pid: child.pid!,
    spec: (i, s) => ({
      port,
      domain: domainOf(i),
      user: localOf(i),
      secret: s.token ? o.tokens[i]! : PASSWORD,
      mechanism: s.mechanism,
      starttls: s.starttls,
      resource: s.resource,
      roster: s.roster,
      presence: s.presence,
    }),
    async collectGarbage() {
      if (!inspectorUrl) throw new Error('Herald: no inspector URL on stderr');
      const [, usage] = await inspector(inspectorUrl, [
        { method: 'HeapProfiler.collectGarbage' },
        { method: 'Runtime.evaluate', params: { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true } },
      ]);
      return JSON.parse((usage as { result: { value: string } }).result.value) as NodeJS.MemoryUsage;
    },
    async loopLag() {
      if (!inspectorUrl) throw new Error('Herald: no inspector URL on stderr');
      const expression = `(() => {
        const g = globalThis;
        if (!g.__benchLag) {
          g.__benchLag = { last: performance.now(), samples: [] };
          setInterval(() => { const now = performance.now(); g.__benchLag.samples.push(now - g.__benchLag.last - 5); g.__benchLag.last = now; }, 5).unref();
        }
        const s = g.__benchLag.samples.sort((a, b) => a - b);
        g.__benchLag.samples = [];
        return JSON.stringify({ p99: s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] : 0, max: s.length ? s[s.length - 1] : 0 });
      })()`;
      const [r] = await inspector(inspectorUrl, [{ method: 'Runtime.evaluate', params: { expression, returnByValue: true } }]);
      const v = JSON.parse((r as { result: { value: string } }).result.value) as { p99: number; max: number };
      return { p99: Math.round(v.p99 * 10) / 10, max: Math.round(v.max * 10) / 10 };
    },
    problems: () => ({ warnings, errors, samples: [...samples, ...(stderr ? [`stderr: ${stderr.slice(0, 600)}`] : [])] }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** util.datamanager's file-name encoding (every byte outside [A-Za-z0-9] as %xx). */
const dmEncode = (s: string) => [...Buffer.from(s)].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');

export async function startProsodyServer(o: {
  count: number;
  team: number;
  tls: boolean;
  cpu: number | undefined;
  logLevel: 'info' | 'warn';
  /** Modules of the fixture's list to switch off (e.g. mam). */
  disable: string[];
}): Promise<BenchServer & { prosody: Prosody }> {
  const users = Array.from({ length: o.count }, (_, i) => ({ address: `${localOf(i)}@${BASE_DOMAIN}`, password: PASSWORD }));
  const prosody = await startProsody({
    domain: BASE_DOMAIN,
    users,
    tls: o.tls,
    iterations: 4096,
    logLevel: o.logLevel,
    cpu: o.cpu,
    ...(o.disable.length ? { extraConfig: `modules_disabled = { "s2s", ${o.disable.map((m) => `"${m}"`).join(', ')} }\n` } : {}),
  });
  // Rosters: the team, subscribed both ways (what Herald's domain roster is), written before any login.
  if (o.team > 1) {
    const dir = path.join(prosody.dir, 'data', dmEncode(BASE_DOMAIN), 'roster');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < o.count; i++) {
      const t = teamOf(i, o.team);
      const items: string[] = [];
      for (let j = t * o.team; j < Math.min(o.count, (t + 1) * o.team); j++) {
        if (j !== i) items.push(`\t["${localOf(j)}@${BASE_DOMAIN}"] = { ["subscription"] = "both"; ["name"] = "${localOf(j)}"; ["groups"] = { ["team"] = true; }; };`);
      }
      writeFileSync(path.join(dir, `${dmEncode(localOf(i))}.dat`), `return {\n\t[false] = { ["version"] = 1; ["pending"] = {}; };\n${items.join('\n')}\n};\n`);
    }
  }
  const pid = prosody.pid();
  if (pid === undefined) throw new Error('Prosody has no pid');
  return {
    name: 'Prosody',
    prosody,
    port: prosody.port,
    pid,
    spec: (i, s) => ({
      port: prosody.port,
      domain: BASE_DOMAIN,
      user: localOf(i),
      secret: PASSWORD,
      mechanism: s.mechanism,
      starttls: s.starttls,
      resource: s.resource,
      roster: s.roster,
      presence: s.presence,
    }),
    problems() {
      const lines = prosody.log().split('\n');
      // (The benchmark's own modules_disabled line repeats the fixture's: Prosody warns about it.)
      const bad = lines.filter((l) => /\t(warn|error)\t/.test(l) && !l.includes("Duplicate option 'modules_disabled'"));
      const samples: string[] = [];
      for (const l of bad) if (samples.length < 8 && !samples.some((s) => s.slice(20, 90) === l.slice(20, 90))) samples.push(l.slice(0, 400));
      return { warnings: bad.filter((l) => /\twarn\t/.test(l)).length, errors: bad.filter((l) => /\terror\t/.test(l)).length, samples };
    },
    stop: () => prosody.destroy(),
  };
}
