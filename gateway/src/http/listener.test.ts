// The HTTP port's transport rules, on a real socket: an exposed listener (allowPlain false) gives
// plain HTTP no API (GET redirected to https, anything else refused, upgrades too) unless a trusted
// proxy says it terminated TLS; HTTPS gets HSTS. Bound to 127.0.0.1 here: whether a bind is exposed
// is config/exposure.ts's decision, tested on its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { silentLogger } from '../config/logger.ts';
import { loadCertificate, type Certificate } from '../config/tls.ts';
import { HALF_OPEN_MS, HSTS, startHttpListener, transportOf, type HttpListener } from './listener.ts';

let dir: string;
let cert: Certificate;
const open: HttpListener[] = [];
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'herald-listener-'));
  cert = loadCertificate({ dataDir: dir, domains: ['example.com'], log: silentLogger });
});
after(async () => {
  for (const l of open) await l.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A listener whose API answers with how the request came, and whose upgrades become echo WebSockets. */
async function listen(o: { allowPlain: boolean; trustProxy: boolean }) {
  const wss = new WebSocketServer({ noServer: true });
  const l = await startHttpListener({
    host: '127.0.0.1',
    port: 0,
    certificate: cert,
    ...o,
    httpsOrigin: 'https://mail.example.com',
    onRequest: (req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`api via ${transportOf(req, o.trustProxy)}`),
    onUpgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (d) => ws.send(`echo ${String(d)}`))),
  });
  open.push(l);
  return l;
}

function get(o: { tls: boolean; port: number; method?: string; headers?: Record<string, string>; path?: string }): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (o.tls ? httpsRequest : httpRequest)({ host: '127.0.0.1', port: o.port, method: o.method ?? 'GET', path: o.path ?? '/api/v1/health', headers: o.headers, ca: cert.cert, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function echo(url: string, headers?: Record<string, string>): Promise<string> {
  const ws = new WebSocket(url, { ca: cert.cert, headers });
  try {
    return await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('hi'));
      ws.once('message', (d) => resolve(String(d)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  } finally {
    ws.terminate();
  }
}

test('a loopback listener speaks HTTPS and plain HTTP on one port; HSTS only on HTTPS; WebSockets over both', async () => {
  const l = await listen({ allowPlain: true, trustProxy: false });
  const tls = await get({ tls: true, port: l.port });
  assert.equal(tls.body, 'api via tls');
  assert.equal(tls.headers['strict-transport-security'], HSTS);
  const plain = await get({ tls: false, port: l.port });
  assert.equal(plain.body, 'api via plain');
  assert.equal(plain.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP (RFC 6797 §7.2)');
  const local = await get({ tls: true, port: l.port, headers: { host: `localhost:${l.port}` } });
  assert.equal(local.headers['strict-transport-security'], undefined, 'not for localhost: a browser would pin every local port');
  assert.equal(await echo(`wss://127.0.0.1:${l.port}/x`), 'echo hi');
  assert.equal(await echo(`ws://127.0.0.1:${l.port}/x`), 'echo hi');
});

test('an exposed listener: plain GET is redirected to https, other plain requests and upgrades refused; HTTPS works', async () => {
  const l = await listen({ allowPlain: false, trustProxy: false });
  const redirect = await get({ tls: false, port: l.port, path: '/download?x=1' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.location, 'https://mail.example.com/download?x=1', 'to publicUrl, never to a Host header');
  assert.doesNotMatch(redirect.body, /api via/);
  const post = await get({ tls: false, port: l.port, method: 'POST', path: '/api/v1/session' });
  assert.equal(post.status, 403);
  assert.equal(JSON.parse(post.body).error.code, 'forbidden');
  assert.match(JSON.parse(post.body).error.message, /HTTPS only: use https:\/\/mail\.example\.com/);
  // A proxy's header means nothing while http.trustProxy is off.
  assert.equal((await get({ tls: false, port: l.port, headers: { 'x-forwarded-proto': 'https' } })).status, 308);
  await assert.rejects(echo(`ws://127.0.0.1:${l.port}/x`), /refused: 403/);
  const tls = await get({ tls: true, port: l.port });
  assert.equal(tls.body, 'api via tls');
  assert.equal(tls.headers['strict-transport-security'], HSTS);
  assert.equal(await echo(`wss://127.0.0.1:${l.port}/x`), 'echo hi');
});

test('an exposed listener behind a trusted proxy: plain requests the proxy marks https reach the API, others do not', async () => {
  const l = await listen({ allowPlain: false, trustProxy: true });
  assert.equal((await get({ tls: false, port: l.port, headers: { 'x-forwarded-proto': 'https' } })).body, 'api via proxied-https');
  assert.equal(await echo(`ws://127.0.0.1:${l.port}/x`, { 'x-forwarded-proto': 'https' }), 'echo hi');
  assert.equal((await get({ tls: false, port: l.port, headers: { 'x-forwarded-proto': 'http' } })).status, 308);
  assert.equal((await get({ tls: false, port: l.port })).status, 308);
});

test('a connection that sends garbage, or a broken TLS hello, ends alone', async () => {
  const l = await listen({ allowPlain: true, trustProxy: false });
  const { connect } = await import('node:net');
  for (const bytes of [Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]), Buffer.from('\x00\x01garbage\r\n\r\n')]) {
    const s = connect(l.port, '127.0.0.1');
    s.on('error', () => {});
    s.end(bytes);
    s.resume(); // read the answer (an alert, a 400) to see the end
    await new Promise((r) => s.once('close', r));
  }
  assert.equal((await get({ tls: true, port: l.port })).status, 200);
});

test('a peer that never closes its side after we ended ours (a refused upgrade) is let go after HALF_OPEN_MS', async () => {
  const l = await listen({ allowPlain: false, trustProxy: false }); // plain upgrades are refused here
  const { connect } = await import('node:net');
  const s = connect({ port: l.port, host: '127.0.0.1', allowHalfOpen: true });
  s.on('error', () => {});
  let got = '';
  s.on('data', (c: Buffer) => (got += c));
  const ended = new Promise<void>((r) => s.once('end', () => r())); // our FIN: the listener's side is done
  s.write('GET /api/v1/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  await ended;
  assert.match(got, /^HTTP\/1\.1 403/);
  assert.equal(l.connections(), 1, 'half-open: still counted');
  // The peer sees nothing more (it already had our FIN): the listener's count says when it let go.
  const t0 = Date.now();
  while (l.connections() > 0 && Date.now() - t0 < HALF_OPEN_MS + 10_000) await new Promise((r) => setTimeout(r, 50));
  assert.equal(l.connections(), 0, `still held after ${Date.now() - t0} ms`);
  assert.ok(Date.now() - t0 >= HALF_OPEN_MS - 100, 'not before HALF_OPEN_MS: the peer may still be reading');
  s.destroy();
});
