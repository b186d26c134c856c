// Hostile HTTP on every route of the gateway (gateway/src/http/app.ts and routes/*): each case
// starts from a route's valid request and changes its method, path, headers, Content-Length or
// body. Every answer must be below 500 — an error as `{error:{code,message}}` when it is JSON —
// and after every batch the process must be alive and serving another user (FuzzTarget.alive).
import { deepJson, mutateJson, randomJson, type Rng } from './prng.ts';
import { isApiError, rawRequest } from './raw-http.ts';
import { count, newTally, type FuzzTarget, type Tally } from './target.ts';

interface Route {
  method: string;
  path: string;
  /** Whether the route wants the device token (the valid one is used unless the case changes it). */
  auth?: boolean;
  body?: unknown;
  form?: string;
}

export function routesOf(t: FuzzTarget, upload: { id: string; name: string }): Route[] {
  const up = `/upload/${upload.id}/${encodeURIComponent(upload.name)}`;
  return [
    { method: 'GET', path: '/' },
    { method: 'GET', path: '/api/v1/health' },
    { method: 'POST', path: '/api/v1/enroll', body: { token: t.expiredEnroll, device: 'fuzz' } },
    { method: 'POST', path: '/api/v1/session', body: { user: 'nobody@example.com', password: 'wrong password', device: 'fuzz' } },
    { method: 'DELETE', path: '/api/v1/session', auth: true },
    { method: 'GET', path: '/api/v1/config', auth: true },
    { method: 'GET', path: '/api/v1/folders', auth: true },
    { method: 'POST', path: '/api/v1/folders/ack', auth: true, body: { path: 'INBOX', uid: 1 } },
    { method: 'GET', path: '/api/v1/alert-rules', auth: true },
    { method: 'PUT', path: '/api/v1/alert-rules', auth: true, body: { rules: [{ name: 'boss', conditions: { sender: { match: 'contains', value: 'boss' } }, action: { template: '$SUBJECT$' } }] } },
    { method: 'GET', path: '/api/v1/events', auth: true },
    { method: 'GET', path: '/download' },
    { method: 'POST', path: '/download', form: `csrf=x&user=nobody%40example.com&password=wrong&platform=linux-x64` },
    { method: 'GET', path: '/download/style.css' },
    { method: 'GET', path: '/download/icon.svg' },
    { method: 'GET', path: '/download/files/Herald-Setup.exe' },
    { method: 'PUT', path: up, body: 'x'.repeat(16) },
    { method: 'GET', path: up },
    { method: 'HEAD', path: up },
    { method: 'OPTIONS', path: up },
    { method: 'GET', path: '/xmpp-websocket' },
  ];
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'get', 'G\u0000T', 'CONNECT', 'X'.repeat(300)];
const PATH_TAILS = ['/', '//', '?', '?x=%', '%', '%ZZ', '%00', '/..%2f..%2fetc%2fpasswd', '/../../../etc/passwd', '%C0%AE%C0%AE/', ';x', '#f', '?access_token=hdt_x', '/\u00e9', 'x'.repeat(9000), '?a[b]=1&a[c]=2&a=3'];
const TYPES = ['application/json', 'application/json; charset=utf-16', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json\u0000', '*/*', 'application/octet-stream', 'image/png'];

interface Built {
  request: Buffer;
  /** HEAD answers carry no body to check (RFC 9110 §9.3.2). */
  head: boolean;
  /** The body may be shorter than announced (a bogus Content-Length, broken chunks): the server may wait for more. */
  incomplete: boolean;
  note: string;
}

/** One hostile request from a route's valid one. `token` is a live device token (or undefined when the pool is spent). */
export function buildCase(rng: Rng, route: Route, token: string | undefined): Built {
  const notes: string[] = [];
  // Each part changes with this chance: most cases differ from a valid request in one or two ways,
  // so they reach the route's own code rather than only the HTTP parser's refusals.
  const mut = () => rng.chance(0.22);
  let method = route.method;
  if (mut()) notes.push(`method ${(method = rng.pick(METHODS)).slice(0, 20)}`);
  let target = route.path;
  if (mut()) {
    target += rng.pick(PATH_TAILS);
    notes.push(`path ${target.slice(0, 60)}`);
  }
  const headers: [string, string][] = [['Host', '127.0.0.1'], ['Connection', 'close']];
  // Authorization: the valid token, or one of the ways it goes wrong.
  const authKinds = ['valid', 'none', 'garbage', 'prefix-only', 'basic', 'double', 'huge', 'query'] as const;
  const auth = route.auth && !mut() ? 'valid' : rng.pick(authKinds);
  if (auth !== 'valid' || !route.auth) notes.push(`auth ${auth}`);
  const bearer = token ? `Bearer ${token}` : 'Bearer hdt_spent';
  if (auth === 'valid') headers.push(['Authorization', bearer]);
  else if (auth === 'garbage') headers.push(['Authorization', `Bearer ${rng.text().replace(/[\r\n\u0000]/g, '')}`]);
  else if (auth === 'prefix-only') headers.push(['Authorization', rng.pick(['Bearer', 'Bearer ', 'bearer  hdt_', 'Bearer hdt_'])]);
  else if (auth === 'basic') headers.push(['Authorization', `Basic ${Buffer.from('fz0000@example.com:x').toString('base64')}`]);
  else if (auth === 'double') headers.push(['Authorization', bearer], ['Authorization', 'Bearer hdt_other']);
  else if (auth === 'huge') headers.push(['Authorization', `Bearer ${'A'.repeat(rng.pick([4000, 20_000, 70_000]))}`]);
  else if (auth === 'query') target += `${target.includes('?') ? '&' : '?'}access_token=${token ?? 'x'}`;

  let body: Buffer = Buffer.alloc(0);
  let type: string | undefined;
  if (route.body !== undefined) {
    type = typeof route.body === 'string' ? 'text/plain' : 'application/json';
    body = Buffer.from(typeof route.body === 'string' ? route.body : JSON.stringify(route.body));
  } else if (route.form !== undefined) {
    type = 'application/x-www-form-urlencoded';
    body = Buffer.from(route.form);
  }
  if (mut()) {
    const kind = rng.int(7);
    const valid = typeof route.body === 'object' ? route.body : { x: 1 };
    body = [
      () => Buffer.from(JSON.stringify(mutateJson(rng, valid)) ?? ''),
      () => Buffer.from(JSON.stringify(randomJson(rng)) ?? 'undefined'),
      () => rng.bytes(rng.int(600)),
      () => body.subarray(0, rng.int(body.length + 1)),
      () => Buffer.from(deepJson(rng.pick([100, 5000, 100_000]))),
      () => Buffer.alloc(rng.pick([65_537, 300_000]), 0x20),
      () => Buffer.from(`{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"rules":${JSON.stringify(randomJson(rng))}}`),
    ][kind]!();
    notes.push(`body#${kind} ${body.length}B`);
  }
  if (mut()) notes.push(`type ${(type = rng.pick(TYPES)) || '(empty)'}`);
  if (type !== undefined) headers.push(['Content-Type', type]);

  // Content-Length: honest, or a lie; or chunked, well or badly.
  const framing = mut() ? rng.int(6) : -1;
  if (framing === 0) headers.push(['Content-Length', String(body.length + 1 + rng.int(100_000))]);
  else if (framing === 1) headers.push(['Content-Length', String(Math.max(0, body.length - 1 - rng.int(10)))]);
  else if (framing === 2) headers.push(['Content-Length', rng.pick(['-1', 'abc', '1e3', ' 5', '99999999999999999999'])]);
  else if (framing === 3) headers.push(['Content-Length', String(body.length)], ['Content-Length', String(body.length + 3)]);
  else if (framing === 4) headers.push(['Transfer-Encoding', 'chunked']);
  else if (framing === 5) headers.push(['Transfer-Encoding', 'chunked'], ['Content-Length', String(body.length)]);
  else if (body.length || method !== 'GET') headers.push(['Content-Length', String(body.length)]);
  if (framing >= 0) notes.push(`framing#${framing}`);
  if (framing >= 4) body = rng.chance(0.5) ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : Buffer.concat([Buffer.from('zz\r\n'), body]);

  if (mut()) {
    const extra: [string, string][] = [
      ['Expect', '100-continue'],
      ['If-None-Match', rng.pick(['*', '"x"', 'W/""', ','])],
      ['Range', rng.pick(['bytes=0-0', 'bytes=-0', 'bytes=5-1', 'bytes=0-1,2-3', 'bytes=99999999999999999999-'])],
      ['Upgrade', 'websocket'],
      ['X-Forwarded-For', rng.text().replace(/[\r\n\u0000]/g, '')],
      ['X-Forwarded-Proto', 'https'],
      ['Origin', rng.pick(['null', 'https://evil.example', ''])],
      ['User-Agent', rng.text().replace(/[\r\n\u0000]/g, '')],
      ['X-Odd', '\u00e9\u00ff'],
      ['Bad Header', 'x'],
      ['Cookie', 'a='.repeat(3000)],
    ];
    const n = 1 + rng.int(rng.chance(0.1) ? 150 : 3);
    for (let i = 0; i < n; i++) headers.push(rng.pick(extra));
    notes.push(`+${n} headers`);
  }
  const head = `${method} ${target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return { request: Buffer.concat([Buffer.from(head, 'latin1'), body]), head: method === 'HEAD', incomplete: framing === 0 || framing === 2 || framing >= 4, note: `${method.slice(0, 20)} ${route.path} [${notes.join('; ')}]` };
}

export interface HttpFuzzOptions {
  rng: Rng;
  cases: number;
  /** Stop early at this time (ms since epoch), for duration-bounded runs. */
  until?: number;
  upload: { id: string; name: string };
  batch?: number;
}

/** Runs the cases; returns the tally and the failures (each naming its case number and request). */
export async function fuzzHttp(t: FuzzTarget, o: HttpFuzzOptions): Promise<{ tally: Tally; failures: string[] }> {
  const tally = newTally('http');
  const failures: string[] = [];
  const routes = routesOf(t, o.upload);
  // Not the tokens other surfaces log in with (users[0].token, spare[0], spare[1], the last spare).
  const pool = t.users[0].spare.slice(2, -1);
  const port = Number(new URL(t.url).port);
  for (let i = 0; i < o.cases && !(o.until && Date.now() > o.until); i++) {
    const route = routes[i % routes.length]!;
    const c = buildCase(o.rng, route, pool[0]);
    const a = await rawRequest(port, c.request, c.incomplete ? { endAfterMs: 100 } : {});
    tally.cases++;
    if (a === 'timeout' || a === undefined) count(tally, a ?? 'closed');
    else {
      count(tally, String(a.status));
      // A sign-out spent the token: the next case takes a fresh one.
      if (a.status === 204 && route.path === '/api/v1/session') pool.shift();
      if (a.status >= 500) {
        tally.serverErrors++;
        failures.push(`#${i} ${c.note} → ${a.status} ${a.body.slice(0, 200)}`);
      } else if (a.status >= 400 && !c.head && /json/.test(a.headers['content-type'] ?? '') && !isApiError(a)) {
        failures.push(`#${i} ${c.note} → ${a.status} without {error:{code,message}}: ${a.body.slice(0, 200)}`);
      }
    }
    if (a === 'timeout') failures.push(`#${i} ${c.note} → no answer and no close within 5 s`);
    if ((i + 1) % (o.batch ?? 40) === 0 || i === o.cases - 1) {
      try {
        await t.alive(`http case #${i} (${c.note})`);
      } catch (e) {
        tally.crashes++;
        failures.push((e as Error).message);
        break;
      }
    }
  }
  return { tally, failures };
}
