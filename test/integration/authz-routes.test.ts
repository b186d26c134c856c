// The route authorization matrix: EVERY HTTP route and WebSocket path the gateway serves × every
// kind of caller, against one real gateway (admin console, update feed, Dovecot mail push, alert
// rules, download page, uploads all on) with a real Dovecot behind it. The routes are read from
// the gateway's own Koa routers at test time (Gateway.httpRoutes()): a route without a row here
// fails the test, so a new route cannot ship unlisted. Each cell asserts the exact status, and no
// refusal carries anything of the users', the admin's or a token (the caller's own address aside).
// The way-in matrix (XMPP SASL, enrollment tokens, expiry, a live upload slot) is authz-matrix.test.ts.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { loadOrCreatePushToken } from '../../gateway/src/mail/push/push-token.ts';
import { startDovecot, testMessage, type Dovecot } from '../fixtures/dovecot.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';

const CALLERS = ['none', 'revoked', 'another', 'valid', 'nonAdmin', 'admin', 'adminCsrf', 'local', 'push', 'wrongPush', 'remote'] as const;
type Caller = (typeof CALLERS)[number];
/** A status, or 101 for an accepted WebSocket upgrade. */
type Expect = Record<Caller, number>;

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const ADMIN = 'root@example.com';
const DEMOTED = 'demoted@example.com';
/** The admin API's state-changing cells act on her: no caller's credentials change. */
const CAROL = 'carol@example.com';
const PW = 'correct horse battery';
const BOB_RULE = 'bob-only-rule';
/** A client elsewhere, as a reverse proxy reports it (http.trustProxy is on in this gateway). */
const REMOTE_IP = '203.0.113.9';

let dovecot: Dovecot;
let dataDir: string;
let gw: TestGateway;
let alice: string;
let bob: string;
let revoked: string;
let localToken: string;
let pushToken: string;
let admin: { cookie: string; csrf: string };
/** One console session per row for the demoted admin: each refusal ends the session it saw. */
const demoted: { cookie: string; csrf: string }[] = [];

async function consoleSession(address: string): Promise<{ cookie: string; csrf: string }> {
  const page = await fetch(`${gw.url}/admin/login`);
  const pre = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const r = await fetch(`${gw.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, origin: gw.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: pre, address, password: PW }),
  });
  await r.text();
  assert.equal(r.status, 303, `console sign-in of ${address}`);
  const session = r.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('herald_admin='))!;
  const home = await fetch(`${gw.url}/admin`, { headers: { cookie: session } });
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await home.text())?.[1];
  assert.ok(csrf, 'the console page carries its CSRF token');
  return { cookie: session, csrf };
}

before(async () => {
  dovecot = await startDovecot({ users: [ALICE, BOB].map((address) => ({ address, password: PW })) });
  dataDir = mkdtempSync(path.join(tmpdir(), 'herald-authz-'));
  mkdirSync(path.join(dataDir, 'builds'), { recursive: true });
  writeFileSync(path.join(dataDir, 'builds', 'Herald-1.2.0-win-x64.exe'), 'MZ installer');
  pushToken = loadOrCreatePushToken(dataDir);
  gw = await startTestGateway(
    {
      'http.trustProxy': true,
      'mail.source': 'imap',
      'mail.imap.changes': 'push',
      'mail.imap.port': dovecot.imapPort,
      'mail.imap.login.masterUser': dovecot.masterUser,
      'mail.imap.login.masterPassword': dovecot.masterPassword,
    },
    { dataDir },
  );
  await dovecot.deliver(BOB, testMessage({ to: BOB, subject: 'private' }), 'Bob-Private');
  alice = await gw.user(ALICE, PW);
  bob = await gw.user(BOB, PW);
  revoked = await gw.user(ALICE, PW);
  await gw.user(ADMIN, PW);
  await gw.user(DEMOTED, PW);
  await gw.user(CAROL, PW);
  gw.services.store.accounts.setAdmin(ADMIN, true);
  gw.services.store.accounts.setAdmin(DEMOTED, true);
  assert.equal((await gw.api('DELETE', '/api/v1/session', { token: revoked })).status, 204);
  assert.equal((await gw.api('PUT', '/api/v1/alert-rules', { token: bob, body: { rules: [{ name: BOB_RULE }] } })).status, 200);
  localToken = (JSON.parse(readFileSync(path.join(dataDir, 'run', 'admin-api.json'), 'utf8')) as { token: string }).token;
  admin = await consoleSession(ADMIN);
  // One after another (parallel sign-ins of one account are limited: login-guard.ts), and only for
  // the console's rows: elsewhere the cookie is not read, so one session serves them all.
  const shared = await consoleSession(DEMOTED);
  for (const row of rows) demoted.push(row.url.startsWith('/admin') || row.url.startsWith(A) ? await consoleSession(DEMOTED) : shared);
  // Signed in while an admin, then no longer one: the console must notice on the next request.
  gw.services.store.accounts.setAdmin(DEMOTED, false);
});
after(async () => {
  await gw?.destroy();
  await dovecot?.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Row {
  /** The router's own name for it: "METHOD /pattern" (or "WS /path"). */
  route: string;
  /** A concrete URL of the route. */
  url: string;
  /** A JSON body (or a form, for the console's classic form posts). */
  body?: unknown;
  form?: Record<string, string>;
  /** Spends what it is sent with (a sign-out): each cell gets its own credentials. */
  spends?: boolean;
  /** The Origin sent with a WebSocket upgrade (default: the gateway's own). */
  origin?: string;
  expect: Expect;
}

/** A row's options; `expect` overrides the kind's defaults. */
type Opts = Omit<Partial<Row>, 'expect'> & { expect?: Partial<Expect> };
const all = (status: number, over: Partial<Expect> = {}): Expect => ({ ...(Object.fromEntries(CALLERS.map((c) => [c, status])) as Expect), ...over });
const method = (r: Row) => r.route.split(' ')[0]!;

/** Public: the same answer for every caller, from anywhere. */
const open = (route: string, url: string, status: number, o: Opts = {}): Row => ({ route, url, ...o, expect: all(status, o.expect) });
/** A user's device token (Bearer); a console cookie, the local or push token are not one. */
const device = (route: string, url: string, ok: number, o: Opts = {}): Row => ({ route, url, ...o, expect: all(401, { another: ok, valid: ok, remote: ok, ...o.expect }) });
/** The admin API: loopback only, console session of an admin, CSRF token on state-changing methods. */
const adminApi = (route: string, url: string, ok: number, o: Opts = {}): Row => {
  const safe = route.startsWith('GET ');
  return { route, url, body: safe ? undefined : {}, ...o, expect: all(401, { nonAdmin: 403, admin: safe ? ok : 403, adminCsrf: ok, remote: 403, ...o.expect }) };
};
/** A console page: signed out → the sign-in page; signed in but no admin → 403. */
const page = (route: string, url: string): Row => ({ route, url, expect: all(303, { nonAdmin: 403, admin: 200, adminCsrf: 200, remote: 403 }) });
/** The console's public files and sign-in page: anyone on this machine, no one elsewhere. */
const consoleOpen = (route: string, url: string, status: number, o: Opts = {}): Row => ({ route, url, ...o, expect: all(status, { remote: 403, ...o.expect }) });

const A = '/api/v1/admin';
const u = encodeURIComponent;
const rows: Row[] = [
  // The user API.
  open('GET /', '/', 200),
  open('GET /api/v1/health', '/api/v1/health', 200),
  open('POST /api/v1/enroll', '/api/v1/enroll', 400, { body: {} }),
  open('POST /api/v1/session', '/api/v1/session', 400, { body: {} }),
  device('DELETE /api/v1/session', '/api/v1/session', 204, { spends: true }),
  device('GET /api/v1/config', '/api/v1/config', 200),
  device('GET /api/v1/folders', '/api/v1/folders', 200),
  device('POST /api/v1/folders/ack', '/api/v1/folders/ack', 200, { body: { path: 'INBOX' } }),
  device('GET /api/v1/alert-rules', '/api/v1/alert-rules', 200),
  device('PUT /api/v1/alert-rules', '/api/v1/alert-rules', 200, { body: (c: Caller) => ({ rules: [{ name: c === 'another' ? BOB_RULE : 'alice-rule' }] }) }),
  device('POST /api/v1/alert-rules/preview', '/api/v1/alert-rules/preview', 200, { body: { rule: { name: 'p' }, mail: { subject: 'hello' } } }),
  // Dovecot's push: its token only; the loopback check is on the socket's peer, never on
  // X-Forwarded-For (mail-push-routes.ts), so the "remote" caller (loopback peer) is refused by token.
  open('POST /api/v1/mail/push/dovecot', '/api/v1/mail/push/dovecot', 401, { body: { user: BOB, events: [{ event: 'MessageNew', mailbox: 'INBOX' }] }, expect: { push: 204 } }),
  device('GET /updates/:channel/:file', '/updates/stable/latest.yml', 200),
  // XEP-0363: the slot id is the credential (authz-matrix.test.ts has a live slot); a made-up one is no slot.
  open('PUT /upload/:id/:name', '/upload/AAAAAAAAAAAAAAAAAAAAAAAA/x.txt', 404, { body: 'x' }),
  open('GET /upload/:id/:name', '/upload/AAAAAAAAAAAAAAAAAAAAAAAA/x.txt', 404),
  open('OPTIONS /upload/:id/:name', '/upload/AAAAAAAAAAAAAAAAAAAAAAAA/x.txt', 204),
  // The download page: public, the sign-in is its form (authz-matrix.test.ts signs in through it).
  open('GET /download', '/download', 200),
  open('GET /download/style.css', '/download/style.css', 200),
  open('GET /download/icon.svg', '/download/icon.svg', 200),
  open('POST /download', '/download', 403, { form: {} }), // no CSRF cookie and field: refused before any sign-in
  open('GET /download/files/:name', '/download/files/Herald-1.2.0-win-x64.exe', 200),
  // The console.
  consoleOpen('GET /admin/login', '/admin/login', 200, { expect: { admin: 302, adminCsrf: 302 } }),
  consoleOpen('POST /admin/login', '/admin/login', 403, { form: {} }),
  consoleOpen('POST /admin/logout', '/admin/logout', 303, { form: {}, spends: true, expect: { nonAdmin: 303, admin: 403 } }),
  adminApi('POST /admin/users/package', '/admin/users/package', 404, { body: undefined, form: { user: ALICE, build: 'none.zip' }, expect: { none: 401, admin: 403 } }),
  ...['', 'users', 'domains', 'sessions', 'rooms', 'log', 'scripts', 'packages', 'settings', 'audit', 'totp'].map((p) => page(`GET /admin${p ? `/${p}` : ''}`, `/admin${p ? `/${p}` : ''}`)),
  ...['static/admin.js', 'static/admin.css', 'static/dashboard.js', 'static/domains.js', 'static/packages.js', 'static/alerts.js', 'vendor/uPlot.iife.min.js', 'vendor/uPlot.min.css'].map((f) => consoleOpen(`GET /admin/${f}`, `/admin/${f}`, 200)),
  // The admin API (the local token reads /status only).
  adminApi(`GET ${A}/status`, `${A}/status`, 200, { expect: { local: 200 } }),
  adminApi(`GET ${A}/users`, `${A}/users`, 200),
  adminApi(`POST ${A}/users`, `${A}/users`, 400),
  adminApi(`DELETE ${A}/users/:address`, `${A}/users/${u('nobody@example.com')}`, 404, { body: undefined }),
  adminApi(`POST ${A}/users/:address/password`, `${A}/users/${u(CAROL)}/password`, 400),
  adminApi(`POST ${A}/users/:address/admin`, `${A}/users/${u(CAROL)}/admin`, 400),
  adminApi(`GET ${A}/users/:address/devices`, `${A}/users/${u(CAROL)}/devices`, 200),
  // An empty body means all of the user's devices, and a new enrollment: both answer (carol is nobody's caller).
  adminApi(`POST ${A}/users/:address/revoke`, `${A}/users/${u(CAROL)}/revoke`, 200),
  adminApi(`POST ${A}/users/:address/enroll`, `${A}/users/${u(CAROL)}/enroll`, 200),
  adminApi(`GET ${A}/domains`, `${A}/domains`, 200),
  adminApi(`POST ${A}/domains`, `${A}/domains`, 400),
  adminApi(`POST ${A}/domains/:name/im`, `${A}/domains/example.com/im`, 400),
  adminApi(`POST ${A}/domains/:name/client`, `${A}/domains/example.com/client`, 400),
  adminApi(`POST ${A}/domains/:name/link`, `${A}/domains/example.com/link`, 400),
  adminApi(`POST ${A}/domains/:name/unlink`, `${A}/domains/example.com/unlink`, 400),
  adminApi(`GET ${A}/sessions`, `${A}/sessions`, 200),
  adminApi(`POST ${A}/sessions/end`, `${A}/sessions/end`, 400),
  adminApi(`GET ${A}/audit`, `${A}/audit`, 200),
  adminApi(`POST ${A}/me/totp`, `${A}/me/totp`, 400),
  adminApi(`GET ${A}/rooms`, `${A}/rooms`, 200),
  adminApi(`POST ${A}/rooms/close`, `${A}/rooms/close`, 400),
  adminApi(`GET ${A}/alert-rules`, `${A}/alert-rules`, 200),
  adminApi(`POST ${A}/alert-rules`, `${A}/alert-rules`, 400),
  adminApi(`DELETE ${A}/alert-rules`, `${A}/alert-rules`, 200, { body: undefined }),
  adminApi(`POST ${A}/alert-rules/preview`, `${A}/alert-rules/preview`, 400),
  adminApi(`PUT ${A}/alert-rules/:name`, `${A}/alert-rules/${u('No such rule')}`, 400),
  adminApi(`DELETE ${A}/alert-rules/:name`, `${A}/alert-rules/${u('No such rule')}`, 404, { body: undefined }),
  adminApi(`POST ${A}/alert-rules/:name/enabled`, `${A}/alert-rules/${u('No such rule')}/enabled`, 400),
  adminApi(`GET ${A}/spool`, `${A}/spool`, 200),
  adminApi(`POST ${A}/spool/retry`, `${A}/spool/retry`, 400),
  adminApi(`POST ${A}/spool/delete`, `${A}/spool/delete`, 400),
  adminApi(`GET ${A}/log`, `${A}/log`, 200),
  adminApi(`GET ${A}/log/days`, `${A}/log/days`, 200),
  adminApi(`GET ${A}/log.csv`, `${A}/log.csv`, 200),
  adminApi(`POST ${A}/packages/bulk`, `${A}/packages/bulk`, 400),
  // A job id that is the word "status": the local token's path check must be the whole path.
  adminApi(`GET ${A}/packages/bulk/:id`, `${A}/packages/bulk/status`, 404),
  adminApi(`GET ${A}/packages/bulk/:id/zip`, `${A}/packages/bulk/nojob/zip`, 404),
  // WebSockets: the events socket takes a device token; the console's live socket its session and own Origin.
  device('WS /api/v1/events', '/api/v1/events', 101),
  { route: 'WS /admin/live', url: '/admin/live', expect: all(401, { admin: 101, adminCsrf: 101, remote: 403 }) },
  { route: 'WS /admin/live', url: '/admin/live', origin: 'https://evil.example', expect: all(403) },
  open('WS /xmpp-websocket', '/xmpp-websocket', 101), // SASL comes after: authz-matrix.test.ts
];

/** The headers (and cookie, CSRF token) a caller sends. */
function credentials(c: Caller, i: number): { headers: Record<string, string>; csrf?: string } {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const console = (s: { cookie: string; csrf: string }, withCsrf: boolean) => ({ headers: { cookie: s.cookie, origin: gw.url, ...(withCsrf ? { 'x-csrf-token': s.csrf } : {}) }, csrf: withCsrf ? s.csrf : undefined });
  switch (c) {
    case 'none':
      return { headers: {} };
    case 'revoked':
      return { headers: bearer(revoked) };
    case 'another':
      return { headers: bearer(bob) };
    case 'valid':
      return { headers: bearer(alice) };
    case 'nonAdmin':
      return console(demoted[i]!, true);
    case 'admin':
      return console(admin, false);
    case 'adminCsrf':
      return console(admin, true);
    case 'local':
      return { headers: bearer(localToken) };
    case 'push':
      return { headers: bearer(pushToken) };
    case 'wrongPush':
      return { headers: bearer(pushToken.replace(/.$/, (x) => (x === 'A' ? 'B' : 'A'))) };
    case 'remote': {
      // Every credential at once, from elsewhere: only the loopback check may refuse it.
      const s = console(admin, true);
      return { headers: { ...s.headers, ...bearer(alice), 'x-forwarded-for': REMOTE_IP }, csrf: s.csrf };
    }
  }
}

async function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}${url}`, url === '/xmpp-websocket' ? ['xmpp'] : [], { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, text: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    ws.once('error', reject);
  });
}

async function call(row: Row, i: number, c: Caller, creds = credentials(c, i)): Promise<{ status: number; text: string }> {
  const headers = { ...creds.headers };
  if (row.route.startsWith('WS ')) {
    // A browser always sends its Origin on a WebSocket; the console's socket requires its own.
    return upgrade(row.url, { ...headers, origin: row.origin ?? gw.url });
  }
  let body: string | undefined;
  if (row.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = String(new URLSearchParams({ ...row.form, ...(creds.csrf ? { _csrf: creds.csrf } : {}) }));
  } else if (row.body !== undefined) {
    const b = typeof row.body === 'function' ? (row.body as (c: Caller) => unknown)(c) : row.body;
    headers['content-type'] = typeof b === 'string' ? 'text/plain' : 'application/json';
    body = typeof b === 'string' ? b : JSON.stringify(b);
  }
  const res = await fetch(`${gw.url}${row.url}`, { method: method(row), headers, body, redirect: 'manual' });
  return { status: res.status, text: await res.text() };
}

/** Fresh credentials for a cell that spends its own (a sign-out). */
async function spendable(c: Caller, i: number): Promise<ReturnType<typeof credentials>> {
  const creds = credentials(c, i);
  if (c === 'valid' || c === 'remote') creds.headers.authorization = `Bearer ${await gw.user(ALICE, PW)}`;
  if (c === 'another') creds.headers.authorization = `Bearer ${await gw.user(BOB, PW)}`;
  if (c === 'admin' || c === 'adminCsrf' || c === 'remote') {
    const s = await consoleSession(ADMIN);
    Object.assign(creds.headers, { cookie: s.cookie }, creds.headers['x-csrf-token'] ? { 'x-csrf-token': s.csrf } : {});
    if (creds.csrf) creds.csrf = s.csrf;
  }
  return creds;
}

function checkNoLeak(row: Row, c: Caller, o: { status: number; text: string }) {
  const secrets: Record<string, string> = { alice, bob, revoked, localToken, pushToken, adminCsrf: admin.csrf, adminCookie: admin.cookie.split('=')[1]!, BOB_RULE, 'Bob-Private': 'Bob-Private', ALICE, BOB, ADMIN };
  for (const [name, s] of Object.entries(secrets)) assert.ok(!o.text.includes(s), `${row.route} × ${c} → ${o.status} leaks ${name}: ${o.text.slice(0, 300)}`);
}

/** A user's answer is that user's own: alice's token never sees bob's rule or folder, bob's sees his. */
function checkOwnData(row: Row, c: Caller, o: { status: number; text: string }) {
  if (c !== 'valid' && c !== 'another' && c !== 'remote') return;
  const mine = c === 'another' ? BOB : ALICE;
  const theirs = c === 'another' ? ALICE : BOB;
  if (o.text.includes(theirs)) assert.fail(`${row.route} × ${c} shows ${theirs}: ${o.text.slice(0, 300)}`);
  if (row.route.endsWith('/folders')) assert.equal(o.text.includes('Bob-Private'), mine === BOB, `${row.route} × ${c}: Bob-Private only in bob's folders`);
  if (row.route.includes(' /api/v1/alert-rules') && !row.route.endsWith('/preview')) assert.equal(o.text.includes(BOB_RULE), mine === BOB, `${row.route} × ${c}: bob's rule only in bob's rules`);
}

test('route authorization matrix: every route the gateway serves × every kind of caller', async () => {
  // Completeness: the routers' own list, each route with a row (and no row for a route that is gone).
  const served = gw.httpRoutes();
  const keys = new Set([...served.routes.flatMap((r) => r.methods.map((m) => `${m} ${r.path}`)), ...served.upgrades.map((p) => `WS ${p}`)]);
  const listed = new Set(rows.map((r) => r.route));
  assert.deepEqual([...keys].filter((k) => !listed.has(k)), [], 'routes the gateway serves with no row in the authorization matrix');
  assert.deepEqual([...listed].filter((k) => !keys.has(k)), [], 'rows for routes the gateway does not serve');

  const wrong: string[] = [];
  let cells = 0;
  // Each caller's column runs in parallel; columns one after another (a spent or demoted
  // session of one caller cannot race another's cell of the same row).
  for (const c of CALLERS) {
    await Promise.all(
      rows.map(async (row, i) => {
        const o = await call(row, i, c, row.spends ? await spendable(c, i) : undefined);
        cells++;
        const want = row.expect[c];
        if (o.status !== want) return void wrong.push(`${row.route} (${row.url}${row.origin ? `, Origin ${row.origin}` : ''}) × ${c}: ${o.status}, want ${want} ${o.text.slice(0, 120)}`);
        if (o.status >= 300) checkNoLeak(row, c, o);
        else checkOwnData(row, c, o);
      }),
    );
  }
  assert.deepEqual(wrong, [], 'cells with another answer than the matrix says');
  console.log(`route authorization matrix: ${rows.length} rows (${keys.size} routes) × ${CALLERS.length} callers = ${cells} cells`);
});

/**
 * Other spellings of a route's path that a lenient matcher may take for it (letter case, a
 * trailing or doubled slash, a percent-encoded letter). The router, its guard and the
 * loopback check must agree on each: a spelling either is the route, with its refusals, or
 * is no route at all.
 */
const spellings = (url: string) => [
  url.toUpperCase(),
  url.replace(/\/([a-z])/g, (_m, c: string) => `/${c.toUpperCase()}`),
  url.replace(/^\/api\/v1\/admin/, '/api/v1/Admin'),
  `${url}/`,
  `/${url}`,
  url.replace(/\/([^/]+)$/, '//$1'),
  `${url}%2F`,
  `${url};`,
  `${url}.json`,
  url.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
];

test('no other spelling of a protected path gets past its guard (case, slashes, encoding)', async () => {
  const wrong: string[] = [];
  let cells = 0;
  const check = async (row: Row, url: string, c: Caller) => {
    const o = await call({ ...row, url }, 0, c);
    cells++;
    if (o.status < 300) wrong.push(`${row.route} as ${url} × ${c}: ${o.status} ${o.text.slice(0, 120)}`);
    else checkNoLeak(row, c, o);
  };
  // Callers with no credentials, and (where the route is for this machine only) everything from elsewhere.
  await Promise.all(
    rows
      .filter((r) => !r.route.startsWith('WS ') && !r.spends)
      .flatMap((row) => [
        ...spellings(row.url).flatMap((url) => [...(row.expect.none >= 300 ? [check(row, url, 'none')] : []), ...(row.expect.remote === 403 ? [check(row, url, 'remote')] : [])]),
        // HEAD is answered wherever GET is (the router's own rule): through the same guard.
        ...(method(row) === 'GET' && row.expect.none >= 300 ? [check({ ...row, route: row.route.replace(/^GET/, 'HEAD') }, row.url, 'none')] : []),
      ]),
  );
  assert.deepEqual(wrong, [], 'spellings answered as if authorized');
  console.log(`route spellings: ${cells} cells refused`);
});
