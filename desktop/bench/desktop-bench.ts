// npm run bench:desktop — the desktop core (no Electron) against a gateway in its own process:
//  - alert latency: Maildir delivery → `mail` frame at a plain WebSocket client of the same user
//    (the reference) → Notifier call in the core; the core's own share is notifier − reference;
//  - idle CPU and memory of the core connected to a user with 50 folders (target: CPU ≈ 0, no
//    busy polling).
// Chat parts (500 contacts, 10,000-message history) come with the chat implementation.
//   options: --quick (fewer messages, shorter idle window), --messages N, --idle-seconds N, --folders N
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { composeMessage, deliverToMaildir, ensureMaildirFolder } from '../../gateway/src/mail/maildir/deliver.ts';
import { prepareUsers, startGatewayChild } from '../../test/bench/gateway-child.ts';
import { summarize, table } from '../../test/bench/stats.ts';
import { createHeraldCore } from '../src/core/herald-core.ts';
import { DEVICE_TOKEN_KEY, SESSION_FILE } from '../src/core/session/session.ts';
import { createDirStorage } from '../src/core/storage/dir-storage.ts';
import type { NotificationView } from '../src/shared/state.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, messages: { type: 'string' }, 'idle-seconds': { type: 'string' }, folders: { type: 'string' } } });
const MESSAGES = Number(values.messages ?? (values.quick ? 20 : 200));
const IDLE_S = Number(values['idle-seconds'] ?? (values.quick ? 5 : 30));
const FOLDERS = Number(values.folders ?? 50);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const root = mkdtempSync(path.join(tmpdir(), 'herald-desktop-bench-'));
const gwData = path.join(root, 'gateway');
const [user] = prepareUsers(gwData, 'bench.example', 1);
const mailRoot = path.join(gwData, 'mail', 'bench.example', user!.local);
await ensureMaildirFolder(mailRoot);
for (let i = 1; i < FOLDERS; i++) {
  const folder = `Folder ${String(i).padStart(2, '0')}`;
  await deliverToMaildir(mailRoot, composeMessage({ from: 'x@example.net', to: user!.address, subject: `seed ${i}`, body: 'x' }), { folder });
}
const gw = await startGatewayChild(gwData, { xmpp: { enabled: false }, client: { digestThreshold: 1000, webmailUrl: 'https://mail.example/?_mbox={folder}' } });
// Never leave the gateway process behind, whatever fails below.
const cleanup = () => {
  try {
    process.kill(gw.pid);
  } catch {
    // already gone
  }
};
process.once('exit', cleanup);
process.once('uncaughtException', (e) => {
  console.error(e);
  cleanup();
  process.exit(1);
});

// A restored session: the device token in the SecretStore, the rest in session.json.
const userData = path.join(root, 'user');
const storage = createDirStorage(userData);
await storage.write(SESSION_FILE, JSON.stringify({ v: 1, gatewayUrl: gw.url, user: { address: user!.address, displayName: user!.local }, pinnedKeys: [], usedProvisions: [] }));
const secrets = new Map([[DEVICE_TOKEN_KEY, user!.token]]);
const notified: { at: number; n: NotificationView }[] = [];
const core = createHeraldCore({
  storage,
  secrets: { get: async (k) => secrets.get(k), set: async (k, v) => void secrets.set(k, v), delete: async (k) => void secrets.delete(k) },
  notifier: { show: (n) => notified.push({ at: performance.now(), n }) },
  sound: { play: () => {} },
  tray: { render: () => {} },
  browser: { open: async () => {} },
  places: {},
  styles: { bundledDir: path.resolve(import.meta.dirname, '../../styles') },
});
await core.start();
for (let i = 0; i < 200 && !(core.state().connection.state === 'connected' && core.state().folders.length === FOLDERS); i++) await sleep(50);
if (core.state().folders.length !== FOLDERS) throw new Error(`core not ready: ${JSON.stringify(core.state().connection)}, ${core.state().folders.length} folders`);

// The reference client: a bare WebSocket of the same user, in this process.
const ref = new WebSocket(`${gw.url.replace('http', 'ws')}/api/v1/events`, { headers: { authorization: `Bearer ${user!.token}` } });
const refAt = new Map<string, number>();
ref.on('message', (d) => {
  const e = JSON.parse(String(d));
  if (e.type === 'mail') refAt.set(e.alert.subject, performance.now());
});
await new Promise((r) => ref.once('open', r));
await sleep(300);

const endToEnd: number[] = [];
const coreShare: number[] = [];
const wsLatency: number[] = [];
for (let i = 0; i < MESSAGES; i++) {
  const subject = `bench ${i}`;
  const before = notified.length;
  const t0 = performance.now();
  await deliverToMaildir(mailRoot, composeMessage({ from: 'Load <load@example.net>', to: user!.address, subject, body: 'x' }));
  const hitOf = () => notified.slice(before).find((x) => x.n.body.startsWith(subject));
  for (let w = 0; w < 2000 && !(hitOf() && refAt.has(subject)); w++) await sleep(1);
  const hit = hitOf();
  const r = refAt.get(subject);
  if (!hit || r === undefined) throw new Error(`message ${i}: no alert (${JSON.stringify(notified.slice(before))})`);
  endToEnd.push(hit.at - t0);
  wsLatency.push(r - t0);
  // Both sockets are read by this one event loop, in either order: the difference can be negative.
  coreShare.push(hit.at - r);
  await sleep(20);
}

// Idle: connected, 50 folders, nothing happening (after the alerts above have settled).
await sleep(3000);
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
await sleep(IDLE_S * 1000);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - wall0;
const idleCpuPct = ((cpu.user + cpu.system) / 1000 / wall) * 100;
const mem = process.memoryUsage();

ref.close();
await core.stop();
await gw.stop();
rmSync(root, { recursive: true, force: true });

const e2e = summarize(endToEnd);
const share = summarize(coreShare);
const ws = summarize(wsLatency);
console.log(
  table([
    { measure: 'delivery → WebSocket frame (reference client), ms', n: ws.n, p50: ws.p50, p99: ws.p99, max: ws.max },
    { measure: 'delivery → Notifier call, ms', n: e2e.n, p50: e2e.p50, p99: e2e.p99, max: e2e.max },
    { measure: 'WebSocket frame → Notifier call (core; ± event-loop order), ms', n: share.n, p50: share.p50, p99: share.p99, max: share.max },
  ]),
);
console.log(
  table([
    { idle: `${FOLDERS} folders, ${IDLE_S} s`, 'cpu %': idleCpuPct.toFixed(3), 'rss MiB': (mem.rss / 2 ** 20).toFixed(1), 'heap used MiB': (mem.heapUsed / 2 ** 20).toFixed(1) },
  ]),
);
console.log(`JSON ${JSON.stringify({ date: new Date().toISOString(), folders: FOLDERS, messages: MESSAGES, alertMs: { endToEnd: e2e, core: share, ws }, idle: { seconds: IDLE_S, cpuPercent: Number(idleCpuPct.toFixed(4)), rssMiB: mem.rss / 2 ** 20, heapUsedMiB: mem.heapUsed / 2 ** 20 } })}`);
