// Herald's gateway as a benchmarked XMPP server: its own process (a config file, the XMPP port read
// from its log), users written straight into its store, and — through the V8 inspector (--inspect
// on loopback; nothing else attaches) — a forced full GC and event-loop stall samples.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { hashPassword } from '../../gateway/src/directory/password-hash.ts';
import { encodeScram, scramKeys } from '../../gateway/src/directory/scram.ts';
import { createCredentials } from '../../gateway/src/directory/credentials.ts';
import { createTokenService } from '../../gateway/src/directory/tokens.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import { HERALD_ROOM_DOMAIN, localOf, loginSpec, PASSWORD, pinnedCommand, roomLocalOf, teamDomain, teamOf, type BenchServer } from './xmpp-servers.ts';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Herald's users, written straight into its store: the same scrypt hash and SCRAM keys for all
 * (computed once: the hash is what `user add` would store), and a device token each (users
 * u00000… only). Room occupants r0000… are one more domain, room.bench.example.
 */
export async function prepareHerald(dataDir: string, count: number, team: number, room: number): Promise<string[]> {
  const [hash, sha1, sha256] = await Promise.all([hashPassword(PASSWORD), scramKeys('sha1', PASSWORD), scramKeys('sha256', PASSWORD)]);
  const scram = { sha1: encodeScram(sha1), sha256: encodeScram(sha256) };
  const store = createStore(dataDir);
  const tokens = createTokenService({ store, enrollTtlMs: 3600_000, credentials: createCredentials({ store }) });
  const out: string[] = [];
  const account = (local: string, domain: string) => {
    const address = `${local}@${domain}`;
    const a = store.accounts.byAddress(address) ?? store.accounts.add({ address, local, domain, displayName: local, passwordHash: hash });
    store.accounts.setPasswordHash(address, hash, scram);
    return a;
  };
  store.db.transaction(() => {
    for (let t = 0; t * team < count; t++) if (!store.domains.get(teamDomain(t))) store.domains.add(teamDomain(t));
    for (let i = 0; i < count; i++) out.push(tokens.issueDevice(account(localOf(i), teamDomain(teamOf(i, team))), 'bench'));
    if (room > 0 && !store.domains.get(HERALD_ROOM_DOMAIN)) store.domains.add(HERALD_ROOM_DOMAIN);
    for (let j = 0; j < room; j++) account(roomLocalOf(j), HERALD_ROOM_DOMAIN);
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
        // Out of reach: every wrong password in (e) costs a full check (the worst case).
        rateLimit: { perAddress: 1_000_000, perAccount: 1_000_000, perPair: 1_000_000 },
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
  // HERALD_BENCH_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops (node --cpu-prof).
  const prof = process.env.HERALD_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.HERALD_BENCH_CPU_PROF)}`] : [];
  // HERALD_BENCH_BIN=<path>: another build's bin/herald-gateway.mjs (before/after comparisons in one run of the machine).
  const bin = process.env.HERALD_BENCH_BIN ? path.resolve(process.env.HERALD_BENCH_BIN) : path.join(root, 'bin', 'herald-gateway.mjs');
  const [cmd, ...args] = pinnedCommand([process.execPath, '--inspect=127.0.0.1:0', ...prof, bin, 'serve', '--config', file], o.cpu);
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
    mucService: `conference.${HERALD_ROOM_DOMAIN}`,
    spec: (i, s) => loginSpec(port, domainOf(i), localOf(i), s.token ? o.tokens[i]! : PASSWORD, s),
    roomSpec: (j, s) => loginSpec(port, HERALD_ROOM_DOMAIN, roomLocalOf(j), PASSWORD, s),
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
      // A 5 ms timer in the gateway: each firing's delay past 5 ms is a stall sample. On Linux it
      // also reads the main thread's /proc/self/schedstat (time run, time waited on a run queue),
      // so a stall is split into the gateway's own part (running, or blocked in a system call or
      // on a lock) and the time it was ready but another process had the CPU — on a machine that
      // other work shares, most of a long stall can be the latter. GC pauses are observed too.
      // HERALD_BENCH_LAG_LOG=<file>: every window's stalls over 10 ms and GC pauses over 3 ms,
      // one JSON line per window (times in the gateway's performance.now() ms; a stall is [end, lag,
      // waited for a CPU, ran on a CPU] — the rest of it, the thread was blocked), GC [start, ms, kind].
      const expression = `(() => {
        const g = globalThis;
        if (!g.__benchLag) {
          const fs = require('fs');
          let fd = -1;
          try { fd = fs.openSync('/proc/self/schedstat', 'r'); } catch {}
          const buf = Buffer.alloc(128);
          // [ran, waited] ms: the main thread's time on a CPU and time ready to run but waiting for one.
          const sched = () => { if (fd < 0) return [0, 0]; const n = fs.readSync(fd, buf, 0, 128, 0); const f = buf.toString('latin1', 0, n).split(' '); return [Number(f[0]) / 1e6, Number(f[1]) / 1e6]; };
          const s0 = sched();
          const L = (g.__benchLag = { last: performance.now(), ran: s0[0], waited: s0[1], samples: [], own: 0, gcMax: 0, majorGcs: 0, stalls: [], gcs: [], from: performance.now(), fs, schedstat: fd >= 0 });
          setInterval(() => {
            const now = performance.now();
            const [ran, waited] = sched();
            const lag = now - L.last - 5;
            const own = Math.max(0, lag - (waited - L.waited));
            L.samples.push(lag);
            if (own > L.own) L.own = own;
            if (lag > 10) L.stalls.push([Math.round(now), Math.round(lag * 10) / 10, Math.round((waited - L.waited) * 10) / 10, Math.round((ran - L.ran) * 10) / 10]);
            L.last = now;
            L.ran = ran;
            L.waited = waited;
          }, 5).unref();
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) {
              if (e.duration > L.gcMax) L.gcMax = e.duration;
              if (e.detail && e.detail.kind === 4) L.majorGcs++;
              if (e.duration > 3) L.gcs.push([Math.round(e.startTime), Math.round(e.duration * 10) / 10, e.detail && e.detail.kind]);
            }
          }).observe({ entryTypes: ['gc'] });
        }
        const L = g.__benchLag;
        const log = process.env.HERALD_BENCH_LAG_LOG;
        if (log) L.fs.appendFileSync(log, JSON.stringify({ from: Math.round(L.from), to: Math.round(performance.now()), stalls: L.stalls, gcs: L.gcs }) + String.fromCharCode(10));
        const s = L.samples.sort((a, b) => a - b);
        const out = { p99: s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] : 0, max: s.length ? s[s.length - 1] : 0, own: L.schedstat ? L.own : undefined, gcMax: L.gcMax, majorGcs: L.majorGcs };
        Object.assign(L, { samples: [], own: 0, gcMax: 0, majorGcs: 0, stalls: [], gcs: [], from: performance.now() });
        return JSON.stringify(out);
      })()`;
      // includeCommandLineAPI: require() inside the expression (the gateway is an ES module).
      const [r] = await inspector(inspectorUrl, [{ method: 'Runtime.evaluate', params: { expression, returnByValue: true, includeCommandLineAPI: true } }]);
      const value = (r as { result: { value?: string } }).result.value;
      if (!value) throw new Error(`Herald: the lag sampler failed: ${JSON.stringify(r).slice(0, 600)}`);
      const v = JSON.parse(value) as { p99: number; max: number; own?: number; gcMax: number; majorGcs: number };
      const r1 = (x: number) => Math.round(x * 10) / 10;
      return { p99: r1(v.p99), max: r1(v.max), ...(v.own !== undefined ? { ownMax: r1(v.own) } : {}), gcMax: r1(v.gcMax), majorGcs: v.majorGcs };
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

