// npm run bench:sem — the SEM spool, from a file dropped into the spool folder to the chat
// message at a receiving XMPP client (the gateway as its own process, the client and the file
// writer in this one):
//   (a) throughput: N complete files renamed into the spool folder as fast as possible (a rename
//       is what a careful script does, and it keeps the writer from being the bottleneck); files/s
//       from the first rename to the last message received, with latency under that load;
//   (b) latency at 100 files/s: one file every 10 ms by the LCK protocol (LCK, SEM, LCK removed),
//       drop = the LCK's removal → message at the client, p50/p99;
//   (c) throughput to an offline recipient (offline storage): N files until the folder is empty.
// Targets (issue 4): ≥ 2,000 files/s, p99 ≤ 200 ms at 100 files/s. Prints a table and a JSON line.
//   options: --quick (1,000 files, 3 s at 100/s)  --files N (default 10,000)  --seconds S (default 20)
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, sleep } from '../fixtures/peer-utils.ts';
import { prepareUsers, startGatewayChild } from './gateway-child.ts';
import { summarize, table } from './stats.ts';
import { childText, Conn } from './xmpp-client.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, files: { type: 'string' }, seconds: { type: 'string' } } });
const FILES = Number(values.files ?? (values.quick ? 1000 : 10_000));
const SECONDS = Number(values.seconds ?? (values.quick ? 3 : 20));
const DOMAIN = 'bench.example';

const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-sem-bench-'));
const spool = path.join(dataDir, 'spool', 'im');
const staging = path.join(dataDir, 'staging');
mkdirSync(staging, { recursive: true });
const [user] = prepareUsers(dataDir, DOMAIN, 1, 'sem');
const xmppPort = await freePort();
const gw = await startGatewayChild(dataDir, { xmpp: { host: '127.0.0.1', port: xmppPort, requireTls: false, offlineQuota: 10_000_000 } });

const content = (tag: string) => `${user!.address}\nmonitoring@${DOMAIN}\n\n${tag} — disk /var on db1 is 95% full\n`;
/** Receive times (performance.now) by tag. */
const receivedAt = new Map<string, number>();
let client: Conn | undefined;
async function connect() {
  const c = await Conn.connect(xmppPort);
  await c.login({ port: xmppPort, domain: DOMAIN, user: user!.local, secret: user!.token, mechanism: 'PLAIN', starttls: false, resource: 'bench', roster: false, presence: true });
  c.onStanza = (s) => {
    if (!s.startsWith('<message')) return;
    const body = childText(s, 'body');
    if (body) receivedAt.set(body.slice(0, body.indexOf(' ')), performance.now());
  };
  return c;
}
async function until(pred: () => boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}
const folderEmpty = () => !readdirSync(spool).some((n) => n.endsWith('.SEM')) && readdirSync(path.join(spool, 'work')).length === 0;

/** Stages n complete files, then renames them into the spool folder in quick succession. */
async function renameIn(prefix: string, n: number): Promise<{ start: number; droppedAt: Map<string, number> }> {
  for (let i = 0; i < n; i++) writeFileSync(path.join(staging, `IM-${prefix}${i}.SEM`), content(`${prefix}${i}`));
  await sleep(100); // older than the spool's settle time: taken as soon as seen
  const droppedAt = new Map<string, number>();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    renameSync(path.join(staging, `IM-${prefix}${i}.SEM`), path.join(spool, `IM-${prefix}${i}.SEM`));
    droppedAt.set(`${prefix}${i}`, performance.now());
    if (i % 200 === 199) await new Promise((r) => setImmediate(r)); // let the client read
  }
  return { start, droppedAt };
}

const rows: Record<string, string | number>[] = [];
const json: Record<string, unknown> = { date: new Date().toISOString(), files: FILES, seconds: SECONDS };
try {
  client = await connect();

  // (a) throughput, recipient online.
  const a = await renameIn('1', FILES);
  await until(() => [...a.droppedAt.keys()].every((k) => receivedAt.has(k)), 300_000, 'all files delivered');
  const lastA = Math.max(...[...a.droppedAt.keys()].map((k) => receivedAt.get(k)!));
  const rateA = Math.round(FILES / ((lastA - a.start) / 1000));
  const latA = summarize([...a.droppedAt].map(([k, t]) => receivedAt.get(k)! - t));
  rows.push({ scenario: `burst of ${FILES}, online`, 'files/s': rateA, 'p50 ms': latA.p50, 'p99 ms': latA.p99, 'max ms': latA.max, target: '≥ 2,000 files/s' });
  json.burstOnline = { filesPerSecond: rateA, latencyMs: latA };

  // (b) latency at 100 files/s by the LCK protocol.
  const count = SECONDS * 100;
  const dropped = new Map<string, number>();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * 10 - performance.now();
    if (wait > 0) await sleep(wait);
    const base = path.join(spool, `IM-2${i}`);
    closeSync(openSync(`${base}.LCK`, 'wx'));
    writeFileSync(`${base}.SEM`, content(`2${i}`));
    unlinkSync(`${base}.LCK`);
    dropped.set(`2${i}`, performance.now());
  }
  await until(() => [...dropped.keys()].every((k) => receivedAt.has(k)), 60_000, 'the paced files');
  const latB = summarize([...dropped].map(([k, t]) => receivedAt.get(k)! - t));
  const offered = Math.round(count / ((performance.now() - t0) / 1000));
  rows.push({ scenario: `${offered} files/s for ${SECONDS} s (LCK protocol)`, 'files/s': offered, 'p50 ms': latB.p50, 'p99 ms': latB.p99, 'max ms': latB.max, target: 'p99 ≤ 200 ms' });
  json.paced = { offeredPerSecond: offered, latencyMs: latB };

  // (c) throughput to an offline recipient.
  client.close();
  await sleep(300);
  const c = await renameIn('3', FILES);
  await until(folderEmpty, 300_000, 'the folder emptied');
  const rateC = Math.round(FILES / ((performance.now() - c.start) / 1000));
  rows.push({ scenario: `burst of ${FILES}, offline storage`, 'files/s': rateC, 'p50 ms': '-', 'p99 ms': '-', 'max ms': '-', target: '≥ 2,000 files/s' });
  json.burstOffline = { filesPerSecond: rateC };
} finally {
  client?.close();
  await gw.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

console.log(`\nHerald SEM spool benchmark (${new Date().toISOString()}; targets: ≥ 2,000 files/s, p99 ≤ 200 ms at 100 files/s)\n`);
console.log(table(rows));
console.log(`\nJSON ${JSON.stringify(json)}`);
