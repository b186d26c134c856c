// Runs the gateway as its own process for benchmarks (so its RSS and CPU are its own), with
// N users and a device token each prepared directly in its data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCredentials } from '../../gateway/src/directory/credentials.ts';
import { createTokenService } from '../../gateway/src/directory/tokens.ts';
import { createStore } from '../../gateway/src/store/index.ts';

const root = path.resolve(import.meta.dirname, '../..');

export interface BenchUser {
  address: string;
  local: string;
  token: string;
}

export function prepareUsers(dataDir: string, domain: string, count: number, prefix = 'u'): BenchUser[] {
  const store = createStore(dataDir);
  const tokens = createTokenService({ store, enrollTtlMs: 3600_000, credentials: createCredentials({ store }) });
  if (!store.domains.get(domain)) store.domains.add(domain);
  const users: BenchUser[] = [];
  store.db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const local = `${prefix}${String(i).padStart(4, '0')}`;
      const address = `${local}@${domain}`;
      const account = store.accounts.byAddress(address) ?? store.accounts.add({ address, local, domain, displayName: local, passwordHash: null });
      users.push({ address, local, token: tokens.issueDevice(account, 'bench') });
    }
  })();
  store.close();
  return users;
}

export interface GatewayChild {
  url: string;
  /** The XMPP c2s port, when the XMPP server runs (read from its start-up log line). */
  xmppPort: number | undefined;
  pid: number;
  /** Resolves with the exit code (or signal name) when the process ends — a crash shows here. */
  exited: Promise<number | string | null>;
  rssKiB(): number;
  stop(): Promise<void>;
}

export async function startGatewayChild(dataDir: string, config: Record<string, unknown>): Promise<GatewayChild> {
  const file = path.join(dataDir, 'bench-config.json');
  writeFileSync(file, JSON.stringify({ dataDir, http: { host: '127.0.0.1', port: 0 }, log: { level: 'info' }, ...config }, null, 2));
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'bin', 'herald-gateway.mjs'), 'serve', '--config', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // Its start-up lines are read for its ports: it logs at info even under a silent test run.
    env: { ...process.env, UV_THREADPOOL_SIZE: '4', HERALD_LOG_LEVEL: process.env.HERALD_CHILD_LOG_LEVEL ?? 'info' },
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      if (out.length < 100_000) out += c;
      const m = out.match(/"url":"(http:\/\/[^"]+)"/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)));
  });
  // HERALD_CHILD_LOG=1 shows the child's log (what a fuzz failure needs); otherwise it is drained.
  if (process.env.HERALD_CHILD_LOG) child.stdout!.pipe(process.stderr);
  else child.stdout!.resume();
  const exited = new Promise<number | string | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? child.signalCode);
    else child.once('exit', (code, signal) => resolve(code ?? signal));
  });
  const xmppPort = Number(/XMPP server listening on port (\d+)/.exec(out)?.[1]) || undefined;
  return {
    url,
    xmppPort,
    pid: child.pid!,
    exited,
    rssKiB() {
      const m = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      return Number(m?.[1] ?? NaN);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
