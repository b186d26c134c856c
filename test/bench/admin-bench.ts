// npm run bench:admin — the admin console's two costs that grow with the installation (issue 13):
//   (a) the Users page's search with --users N accounts (10,000): GET /api/v1/admin/users?q=…
//       over HTTP with a signed-in console session, and the rendered page /admin/users?q=…,
//       p50/p99 over several prefixes; plus SQLite's plan, to show the search uses the indexes;
//   (b) the dashboard's live updates with --sessions N XMPP sessions (1,000) bound over TCP and
//       --viewers V dashboards connected: the gateway process's CPU time over --seconds S with the
//       viewers, minus the same span without them, as a percentage of one core (target ≤ 1 %).
// The gateway runs in this process (the clients are idle sockets once bound, so they cost
// nothing during either span). Prints a table and a JSON line. --quick: 2,000 users, 200 sessions.
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startTestGateway } from '../fixtures/gateway.ts';
import { tcpLogin } from '../integration/revocation-helpers.ts';
import { summarize, table } from './stats.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, users: { type: 'string' }, sessions: { type: 'string' }, viewers: { type: 'string' }, seconds: { type: 'string' } } });
const USERS = Number(values.users ?? (values.quick ? 2000 : 10_000));
const SESSIONS = Number(values.sessions ?? (values.quick ? 200 : 1000));
const VIEWERS = Number(values.viewers ?? 5);
const SECONDS = Number(values.seconds ?? (values.quick ? 5 : 20));

const gw = await startTestGateway({ 'admin.liveSeconds': 5, 'xmpp.requireTls': false, 'xmpp.maxConnectionsPerAddress': SESSIONS + 10 });
const { store } = gw.services;
try {
  // Accounts straight into the store (hashing 10,000 passwords would measure scrypt, not search).
  gw.services.directory.addDomain('bench.example');
  const insert = store.db.transaction(() => {
    for (let i = 0; i < USERS; i++) {
      const local = `user${String(i).padStart(5, '0')}.${['smith', 'jones', 'meyer', 'garcia'][i % 4]}`;
      store.accounts.add({ address: `${local}@bench.example`, local, domain: 'bench.example', displayName: `${['Anna', 'Ben', 'Chris', 'Dana'][i % 4]} ${i}`, passwordHash: 'x' });
    }
  });
  insert();
  await gw.user('admin@bench.example', 'admin password 123');
  store.accounts.setAdmin('admin@bench.example', true);

  // A console session as a browser gets it.
  let r = await fetch(`${gw.url}/admin/login`);
  const pre = /name="_csrf" value="([^"]+)"/.exec(await r.text())![1]!;
  const preCookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  r = await fetch(`${gw.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: preCookie, 'content-type': 'application/x-www-form-urlencoded', origin: gw.url },
    body: new URLSearchParams({ _csrf: pre, address: 'admin@bench.example', password: 'admin password 123' }),
  });
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('herald_admin='))!;

  // (a) search
  const queries = ['user0', 'user05', 'user099', 'dana', 'Ben 7', 'user09999', 'nobody', ''];
  const api: number[] = [];
  const pageMs: number[] = [];
  const perQuery = new Map<string, number[]>();
  for (let round = -1; round < 10; round++) {
    for (const q of queries) {
      let t = performance.now();
      const a = await fetch(`${gw.url}/api/v1/admin/users?q=${encodeURIComponent(q)}&page=2&pageSize=25`, { headers: { cookie } });
      await a.json();
      if (round < 0) continue; // one warm-up round (JIT, SQLite page cache)
      api.push(performance.now() - t);
      perQuery.set(q, [...(perQuery.get(q) ?? []), performance.now() - t]);
      t = performance.now();
      const p = await fetch(`${gw.url}/admin/users?q=${encodeURIComponent(q)}`, { headers: { cookie } });
      await p.text();
      pageMs.push(performance.now() - t);
    }
  }
  const plan = store.db
    .prepare("EXPLAIN QUERY PLAN SELECT id FROM accounts WHERE (address LIKE 'user05%' ESCAPE '\\' OR display_name LIKE 'user05%' ESCAPE '\\') ORDER BY address COLLATE NOCASE LIMIT 25")
    .all()
    .map((x) => (x as { detail: string }).detail);

  // (b) live dashboard cost
  const clients = [];
  for (let i = 0; i < SESSIONS; i++) {
    const address = `user${String(i).padStart(5, '0')}.${['smith', 'jones', 'meyer', 'garcia'][i % 4]}@bench.example`;
    const token = gw.services.tokens.issueDevice(store.accounts.byAddress(address)!, 'bench');
    clients.push(await tcpLogin(gw.xmppPort!, address, token, 'bench'));
  }
  const span = async () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((res) => setTimeout(res, SECONDS * 1000));
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) / 1000 / (performance.now() - t0)) * 100;
  };
  // Let the logins' aftermath (presence, rosters, GC) settle, then alternate spans without and
  // with viewers (the machine's own noise moves both alike); the cost is the median difference.
  await new Promise((res) => setTimeout(res, 30_000));
  let messages = 0;
  const idles: number[] = [];
  const watches: number[] = [];
  for (let round = 0; round < 3; round++) {
    idles.push(await span());
    const viewers: WebSocket[] = [];
    for (let i = 0; i < VIEWERS; i++) {
      const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/admin/live`, { headers: { cookie, origin: gw.url } });
      ws.on('message', () => messages++);
      await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));
      viewers.push(ws);
    }
    watches.push(await span());
    for (const ws of viewers) ws.close();
  }
  // The same work measured directly: a snapshot through GET /api/v1/admin/status (HTTP included:
  // an upper bound of the live tick, which skips HTTP), CPU per call.
  const cpu0 = process.cpuUsage();
  const CALLS = 200;
  for (let i = 0; i < CALLS; i++) await (await fetch(`${gw.url}/api/v1/admin/status`, { headers: { cookie } })).text();
  const cpu = process.cpuUsage(cpu0);
  const perSnapshotMs = (cpu.user + cpu.system) / 1000 / CALLS;
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
  const idle = med(idles);
  const watched = med(watches);
  for (const c of clients) c.kill();

  const s = (x: number[]) => summarize(x);
  const rows = [
    { what: `GET /api/v1/admin/users?q=… (${USERS} users)`, ...s(api) },
    { what: `GET /admin/users?q=… page (${USERS} users)`, ...s(pageMs) },
  ];
  console.log(table(rows.map((x) => ({ what: x.what, n: x.n, 'p50 ms': x.p50, 'p99 ms': x.p99, 'max ms': x.max }))));
  console.log(`search p50 per query (ms): ${[...perQuery].map(([q, v]) => `${JSON.stringify(q)} ${s(v).p50}`).join(', ')}`);
  console.log(`search plan: ${plan.join(' | ')}`);
  console.log(
    `live dashboard: ${SESSIONS} XMPP sessions, ${VIEWERS} viewers, snapshot every 5 s: process CPU (median of 3 alternated ${SECONDS} s spans) ${watched.toFixed(2)} % of a core with viewers [${watches.map((x) => x.toFixed(2)).join(', ')}] vs ${idle.toFixed(2)} % without [${idles.map((x) => x.toFixed(2)).join(', ')}] → ${(watched - idle).toFixed(2)} % (${messages} snapshots received)`,
  );
  console.log(`one snapshot via GET /api/v1/admin/status: ${perSnapshotMs.toFixed(2)} ms CPU (client and server in this process) → every 5 s: ${((perSnapshotMs / 5000) * 100).toFixed(3)} % of a core`);
  console.log(JSON.stringify({ perSnapshotMs, users: USERS, searchApi: s(api), searchPage: s(pageMs), plan, sessions: SESSIONS, viewers: VIEWERS, cpuIdlePct: idle, cpuWatchedPct: watched, liveCostPct: watched - idle }));
} finally {
  await gw.destroy();
}
