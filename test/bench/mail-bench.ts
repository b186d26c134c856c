// npm run bench:mail — delivery → WebSocket `mail` event latency with 1, 100 and 1,000 connected
// users, in maildir mode and in imap mode against a real Dovecot; the reference, measured in the
// same run, is raw imapflow IDLE latency on that Dovecot (its ~0.5 s notification floor). Also
// the 304 polling path (req/s) and gateway RSS per connected user. Prints a table and one JSON line.
// imap-push: the same against a Dovecot running README's push snippet (mail.imap.changes = push),
// beside raw IDLE on that same Dovecot, and the IMAP sessions Dovecot holds for the gateway while
// every user is watched (IM accounts, calendar invitations = all) and no client is online.
//   options: --quick (1 and 10 users, fewer messages), --modes maildir,imap,imap-push, --users 1,100,1000
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ImapFlow } from 'imapflow';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import { loadOrCreatePushToken } from '../../gateway/src/mail/push/push-token.ts';
import { startDovecot, type Dovecot } from '../fixtures/dovecot.ts';
import { dovecotPushSnippet } from '../fixtures/dovecot-push.ts';
import { freePort } from '../fixtures/peer-utils.ts';
import { prepareUsers, startGatewayChild, type BenchUser } from './gateway-child.ts';
import { summarize, table } from './stats.ts';
import { connectClients } from './ws-clients.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, modes: { type: 'string' }, users: { type: 'string' } },
});
const levels = (values.users ?? (values.quick ? '1,10' : '1,100,1000')).split(',').map(Number);
const modes = (values.modes ?? 'maildir,imap,imap-push').split(',');
const maxUsers = Math.max(...levels);
const DOMAIN = 'bench.example';
const rows: Record<string, string | number>[] = [];
const json: Record<string, unknown> = { date: new Date().toISOString(), levels };

const message = (i: number) => composeMessage({ from: 'Load <load@example.net>', to: 'x@bench.example', subject: `bench message ${i}`, body: 'x'.repeat(500) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Delivers `count` messages spread over the first `n` users (never two in flight for the same
 * user, so nothing is coalesced) and returns delivery→event latencies in ms.
 */
async function measure(n: number, count: number, paceMs: number, deliver: (u: BenchUser, i: number) => Promise<number>, clients: Awaited<ReturnType<typeof connectClients>>, users: BenchUser[]) {
  const latencies: number[] = [];
  /** Deliveries whose `mail` event did not come within 15 s: counted, not fatal. */
  let lost = 0;
  const busy = new Set<string>();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    let u = users[i % n]!;
    if (busy.has(u.address)) {
      await Promise.race(inflight);
      u = users.slice(0, n).find((x) => !busy.has(x.address)) ?? u;
      while (busy.has(u.address)) await sleep(5);
    }
    busy.add(u.address);
    // Handled at once: it may time out while the delivery is still queued.
    const got = clients.nextMail(u.address, 15_000).catch(() => NaN);
    const p = (async () => {
      const t0 = await deliver(u, i);
      const t1 = await got;
      if (Number.isNaN(t1)) lost++;
      else latencies.push(t1 - t0);
      busy.delete(u.address);
    })();
    inflight.push(p);
    void p.finally(() => inflight.splice(inflight.indexOf(p), 1));
    await sleep(paceMs);
  }
  await Promise.all(inflight);
  return { ...summarize(latencies), lost };
}

/**
 * For each level of connected users: connect up to n clients, read the gateway's RSS, deliver
 * and time messages. Adds a table row and a JSON entry per level.
 */
async function runLevels(o: {
  mode: string;
  gw: Awaited<ReturnType<typeof startGatewayChild>>;
  users: BenchUser[];
  settleMs: number;
  count: (n: number) => number;
  paceMs: (n: number) => number;
  deliver: (u: BenchUser, i: number) => Promise<number>;
  extra?: (lat: ReturnType<typeof summarize>) => Record<string, unknown>;
}) {
  const out: Record<number, unknown> = {};
  let prevRss = o.gw.rssKiB();
  const clients = await connectClients(o.gw.url, []);
  let connected = 0;
  let sent = 0;
  for (const n of levels) {
    const before = connected;
    await clients.add(o.users.slice(connected, n));
    connected = n;
    await sleep(o.settleMs);
    const rss = o.gw.rssKiB();
    const count = o.count(n);
    const lat = await measure(n, count, o.paceMs(n), (u, i) => o.deliver(u, sent + i), clients, o.users);
    sent += count;
    // Marginal cost: RSS growth from the previous level divided by the users added since.
    const perUser = n - before >= 50 ? Math.round(((rss - prevRss) / (n - before)) * 10) / 10 : NaN;
    prevRss = rss;
    rows.push({ mode: o.mode, users: n, messages: lat.lost ? `${lat.n} (+${lat.lost} lost)` : lat.n, 'p50 ms': lat.p50, 'p99 ms': lat.p99, 'max ms': lat.max, 'RSS MiB': Math.round(rss / 102.4) / 10, 'KiB/user added': Number.isNaN(perUser) ? '-' : perUser });
    out[n] = { ...lat, rssKiB: rss, rssPerUserKiB: perUser, ...o.extra?.(lat) };
  }
  clients.close();
  return out;
}

async function pollingThroughput(url: string, users: BenchUser[]) {
  const sample = users.slice(0, Math.min(100, users.length));
  const requests = await Promise.all(
    sample.map(async (u) => {
      const res = await fetch(`${url}/api/v1/folders`, { headers: { authorization: `Bearer ${u.token}` } });
      await res.arrayBuffer();
      return { method: 'GET' as const, path: '/api/v1/folders', headers: { authorization: `Bearer ${u.token}`, 'if-none-match': res.headers.get('etag') ?? '' } };
    }),
  );
  const r = await autocannon({ url, connections: 50, duration: values.quick ? 2 : 5, requests });
  const non304 = r.statusCodeStats ? Object.entries(r.statusCodeStats).filter(([code]) => code !== '304').reduce((a, [, v]) => a + (v as { count: number }).count, 0) : 0;
  return { reqPerSec: Math.round(r.requests.average), p99ms: r.latency.p99, non304 };
}

async function runMaildir() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-maildir-'));
  try {
    const users = prepareUsers(dataDir, DOMAIN, maxUsers);
    for (const u of users) await deliverToMaildir(path.join(dataDir, 'mail', DOMAIN, u.local), message(0), { seen: true });
    // Mail only: the XMPP server is off, so its port and memory stay out of these numbers.
    const gw = await startGatewayChild(dataDir, { mail: { source: 'maildir' }, xmpp: { enabled: false } });
    await sleep(500);
    json.maildir = await runLevels({
      mode: 'maildir',
      gw,
      users,
      settleMs: 1000,
      count: (n) => (values.quick ? 30 : n === 1 ? 100 : 300),
      paceMs: (n) => (n === 1 ? 10 : 5),
      async deliver(u, i) {
        const t0 = performance.now();
        await deliverToMaildir(path.join(dataDir, 'mail', DOMAIN, u.local), message(i + 1));
        return t0;
      },
    });
    const poll = await pollingThroughput(gw.url, users);
    json.polling304 = poll;
    rows.push({ mode: 'poll 304', users: Math.min(100, users.length), messages: '-', 'p50 ms': '-', 'p99 ms': poll.p99ms, 'max ms': '-', 'RSS MiB': '-', 'KiB/user added': `${poll.reqPerSec} req/s` });
    await gw.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Reference: a raw imapflow client in IDLE on INBOX — Dovecot's own notification floor. */
async function idleFloor(dovecot: Dovecot, address: string, password: string, label: string) {
  const ref = new ImapFlow({ host: dovecot.host, port: dovecot.imapPort, secure: false, auth: { user: address, pass: password }, logger: false });
  await ref.connect();
  await ref.mailboxOpen('INBOX');
  void ref.idle(); // stays in IDLE; EXISTS arrives as an event
  await sleep(200);
  const floor: number[] = [];
  for (let i = 0; i < (values.quick ? 5 : 20); i++) {
    const got = new Promise<number>((r) => ref.once('exists', () => r(performance.now())));
    await dovecot.deliver(address, message(i));
    const t0 = performance.now();
    floor.push((await got) - t0);
    await sleep(100);
  }
  await ref.logout();
  const stats = summarize(floor);
  rows.push({ mode: label, users: 1, messages: stats.n, 'p50 ms': stats.p50, 'p99 ms': stats.p99, 'max ms': stats.max, 'RSS MiB': '-', 'KiB/user added': '-' });
  return stats;
}

/** IMAP sessions Dovecot holds now (`doveadm who`, one line per user with the number of sessions). */
async function imapSessions(dovecot: Dovecot): Promise<number> {
  let n = 0;
  for (const line of (await dovecot.doveadm(['who'])).split('\n')) {
    const m = /^\S+\s+(\d+)\s+imap\b/.exec(line);
    if (m) n += Number(m[1]);
  }
  return n;
}

async function runImapPush() {
  const users0 = Array.from({ length: maxUsers }, (_, i) => ({ address: `u${String(i).padStart(4, '0')}@${DOMAIN}`, password: 'pw' }));
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-push-'));
  const token = loadOrCreatePushToken(dataDir);
  const dovecot = await startDovecot({
    users: [...users0, { address: `ref@${DOMAIN}`, password: 'refpw' }],
    manyUsers: true,
    extraConfig: dovecotPushSnippet({ gatewayUrl: `http://127.0.0.1:${port}`, token }),
  });
  try {
    const floorStats = await idleFloor(dovecot, `ref@${DOMAIN}`, 'refpw', 'imap-push ref: raw IDLE');
    json.imapPushIdleFloor = floorStats;
    const users = prepareUsers(dataDir, DOMAIN, maxUsers);
    let lmtpTurn: Promise<unknown> = Promise.resolve();
    /** How long the LMTP delivery itself took (push included): the part of the latency Herald does not control. */
    const lmtpMs: number[] = [];
    // XMPP on with the default im.calendar.invitations = all: every account is watched whether or
    // not a client of theirs runs (what made `idle` hold a connection per account).
    const gw = await startGatewayChild(dataDir, {
      http: { host: '127.0.0.1', port },
      xmpp: { enabled: true, port: 0, host: '127.0.0.1' },
      mail: {
        source: 'imap',
        imap: { changes: 'push', host: dovecot.host, port: dovecot.imapPort, login: { mode: 'master', masterUser: dovecot.masterUser, masterPassword: dovecot.masterPassword } },
      },
    });
    // Every account's watch reads its folders once at start; then none may stay connected.
    const t0 = Date.now();
    let held = await imapSessions(dovecot);
    for (let quiet = 0; quiet < 3 && Date.now() - t0 < 60_000; ) {
      await sleep(500);
      const now = await imapSessions(dovecot);
      quiet = now === held && now === 0 ? quiet + 1 : 0;
      held = now;
    }
    json.imapPushHeldNoClient = { users: maxUsers, sessions: held, settledMs: Date.now() - t0 };
    rows.push({ mode: 'imap-push: IMAP sessions held, no client online', users: maxUsers, messages: '-', 'p50 ms': '-', 'p99 ms': '-', 'max ms': '-', 'RSS MiB': Math.round(gw.rssKiB() / 102.4) / 10, 'KiB/user added': `${held} sessions` });
    json.imapPush = await runLevels({
      mode: 'imap-push (Dovecot)',
      gw,
      users,
      settleMs: 1000,
      count: (n) => (values.quick ? 30 : n === 1 ? 50 : 100),
      paceMs: (n) => (n === 1 ? 50 : 30),
      // The push is sent inside the LMTP transaction, before Dovecot acknowledges it: the clock
      // starts when the delivery starts (LMTP's own time included), deliveries one at a time so
      // that no time waiting in the LMTP client's queue is counted.
      deliver(u, i) {
        const turn = lmtpTurn.then(async () => {
          const start = performance.now();
          await dovecot.deliver(u.address, message(i));
          lmtpMs.push(performance.now() - start);
          return start;
        });
        lmtpTurn = turn.catch(() => undefined);
        return turn;
      },
    });
    const lmtp = summarize(lmtpMs);
    json.imapPushLmtp = lmtp;
    rows.push({ mode: 'imap-push ref: the LMTP delivery itself', users: maxUsers, messages: lmtp.n, 'p50 ms': lmtp.p50, 'p99 ms': lmtp.p99, 'max ms': lmtp.max, 'RSS MiB': '-', 'KiB/user added': '-' });
    // With the clients gone: what is held now (the linger is 250 ms).
    await sleep(1000);
    json.imapPushHeldAfter = await imapSessions(dovecot);
    await gw.stop();
  } catch (e) {
    // What Dovecot said (a push it could not deliver is logged there as "herald push ... failed").
    console.error(dovecot.log().split('\n').filter((l) => /rror|herald push|Warning/.test(l)).slice(-20).join('\n'));
    throw e;
  } finally {
    await dovecot.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runImap() {
  const users0 = Array.from({ length: maxUsers }, (_, i) => ({ address: `u${String(i).padStart(4, '0')}@${DOMAIN}`, password: 'pw' }));
  const dovecot = await startDovecot({ users: [...users0, { address: `ref@${DOMAIN}`, password: 'refpw' }], manyUsers: true });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-imap-'));
  try {
    const floorStats = await idleFloor(dovecot, `ref@${DOMAIN}`, 'refpw', 'imap ref: raw IDLE');
    json.imapIdleFloor = floorStats;

    const users = prepareUsers(dataDir, DOMAIN, maxUsers);
    const gw = await startGatewayChild(dataDir, {
      xmpp: { enabled: false },
      mail: { source: 'imap', imap: { host: dovecot.host, port: dovecot.imapPort, login: { mode: 'master', masterUser: dovecot.masterUser, masterPassword: dovecot.masterPassword } } },
    });
    await sleep(500);
    json.imap = await runLevels({
      mode: 'imap (Dovecot)',
      gw,
      users,
      settleMs: 2000,
      count: (n) => (values.quick ? 10 : n === 1 ? 20 : 100),
      paceMs: (n) => (n === 1 ? 100 : 20),
      async deliver(u, i) {
        await dovecot.deliver(u.address, message(i));
        return performance.now();
      },
      extra: (lat) => ({ overFloorP99: Math.round((lat.p99 - floorStats.p99) * 10) / 10 }),
    });
    await gw.stop();
  } finally {
    await dovecot.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (modes.includes('maildir')) await runMaildir();
if (modes.includes('imap')) await runImap();
if (modes.includes('imap-push')) await runImapPush();
console.log(
  `\nHerald mail benchmark (${new Date().toISOString()}, targets: maildir p99 ≤ 50 ms @1,000 users; imap p99 ≤ floor + 150 ms; imap-push p99 ≤ 50 ms @1,000 users and 0 IMAP sessions held with no client online; ≤ 50 KiB RSS/user)\n`,
);
console.log(table(rows));
console.log(`\nJSON ${JSON.stringify(json)}`);
process.exit(0);
