// README "Deploying behind nginx": deploy/nginx-herald.conf, exactly as the README shows it, run by a
// real nginx (Debian's nginx-light) on unprivileged loopback ports with a test certificate, in front
// of a gateway with http.trustProxy on and xmpp.requireTls on. Through it: the API over https, the
// events socket and XMPP over wss (counted as encrypted: PLAIN sign-in works), HSTS; plain http to
// nginx is sent to https and never reaches the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parse, type Element } from 'ltx';
import WebSocket from 'ws';
import { makeTestCertificate, type TestCertificate } from '../fixtures/certificate.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { plain } from '../fixtures/xmpp-raw.ts';

const root = path.resolve(import.meta.dirname, '../..');
const SNIPPET = path.join(root, 'deploy', 'nginx-herald.conf');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const skip = NGINX ? false : 'nginx is not installed (Debian: apt-get install nginx-light)';
const PW = 'proxied password 1';

let dir: string;
let gw: TestGateway;
let cert: TestCertificate;
let nginx: ChildProcess | undefined;
let nginxLog = '';
let httpsPort: number;
let httpPort: number;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Replaces `from` (which must occur exactly `times` times) in the snippet. */
function swap(text: string, from: string, to: string, times = 1): string {
  const n = text.split(from).length - 1;
  assert.equal(n, times, `the snippet has ${JSON.stringify(from)} ${times} time(s)`);
  return text.replaceAll(from, to);
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'herald-nginx-'));
  cert = makeTestCertificate(dir, ['mail.example.com'], 'proxy');
  gw = await startTestGateway({ 'http.trustProxy': true, 'xmpp.requireTls': true, 'http.publicUrl': 'https://mail.example.com' });
  await gw.user('alice@example.com', PW);
  await gw.user('bob@example.com', PW);
  [httpsPort, httpPort] = [await freePort(), await freePort()];
  // Only what an admin's machine has differently: ports, certificate files, the gateway's port.
  let site = readFileSync(SNIPPET, 'utf8');
  site = swap(site, 'listen 443 ssl;', `listen 127.0.0.1:${httpsPort} ssl;`);
  site = swap(site, 'listen 80;', `listen 127.0.0.1:${httpPort};`);
  site = swap(site, '/etc/letsencrypt/live/mail.example.com/fullchain.pem', cert.certFile);
  site = swap(site, '/etc/letsencrypt/live/mail.example.com/privkey.pem', cert.keyFile);
  site = swap(site, 'proxy_pass http://127.0.0.1:3000;', `proxy_pass http://127.0.0.1:${new URL(gw.url).port};`);
  mkdirSync(path.join(dir, 'logs'));
  writeFileSync(path.join(dir, 'site.conf'), site);
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `daemon off;\nmaster_process off;\npid ${path.join(dir, 'nginx.pid')};\nerror_log stderr warn;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n  include ${path.join(dir, 'site.conf')};\n}\n`,
  );
  nginx = spawn(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout!.on('data', (c: Buffer) => (nginxLog += c));
  nginx.stderr!.on('data', (c: Buffer) => (nginxLog += c));
  const exited = new Promise<never>((_r, reject) => nginx!.once('exit', (code) => reject(new Error(`nginx exited ${code}:\n${nginxLog}`))));
  // Ready when its port takes a connection (nginx says nothing when it is).
  const accepts = async () => {
    for (;;) {
      const ok = await new Promise<boolean>((r) => {
        const s = connect(httpsPort, '127.0.0.1', () => r(s.end() && true)).on('error', () => r(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  await Promise.race([accepts(), exited]);
});

after(async () => {
  if (nginx && nginx.exitCode === null) {
    nginx.kill('SIGTERM');
    await new Promise((r) => nginx!.once('exit', r));
  }
  await gw?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function get(o: { path: string; method?: string; body?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, servername: 'mail.example.com', path: o.path, method: o.method ?? 'GET', headers: { host: 'mail.example.com', ...o.headers }, ca: cert.pem, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

test('the README shows deploy/nginx-herald.conf exactly', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  assert.ok(readme.includes('```nginx\n' + readFileSync(SNIPPET, 'utf8') + '```'), 'README "Deploying behind nginx" holds the file verbatim');
});

test('through nginx: the API over https with HSTS, the sign-in, the events socket over wss', { skip }, async () => {
  const health = await get({ path: '/api/v1/health' });
  assert.equal(health.status, 200, nginxLog);
  assert.equal(health.headers['strict-transport-security'], 'max-age=31536000');
  const session = await get({ path: '/api/v1/session', method: 'POST', body: JSON.stringify({ user: 'alice@example.com', password: PW }), headers: { 'content-type': 'application/json' } });
  assert.equal(session.status, 200, session.body);
  const { deviceToken } = JSON.parse(session.body) as { deviceToken: string };
  const config = JSON.parse((await get({ path: '/api/v1/config', headers: { authorization: `Bearer ${deviceToken}` } })).body) as { xmpp: { websocketUrl: string } };
  assert.equal(config.xmpp.websocketUrl, 'wss://mail.example.com/xmpp-websocket', 'clients are sent to the public https URL');
  const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}/api/v1/events`, { ca: cert.pem, headers: { host: 'mail.example.com', authorization: `Bearer ${deviceToken}` } });
  const first = await new Promise<{ type: string }>((resolve, reject) => {
    ws.once('message', (d) => resolve(JSON.parse(String(d))));
    ws.once('error', reject);
  });
  assert.equal(typeof first.type, 'string');
  ws.terminate();
});

test('through nginx: /xmpp-websocket counts as encrypted (requireTls on): PLAIN sign-in and bind work; the same plain to the gateway does not', { skip }, async () => {
  const open = async (url: string, opts: WebSocket.ClientOptions = {}) => {
    const ws = new WebSocket(url, ['xmpp'], opts);
    const got: Element[] = [];
    let wake = () => {};
    ws.on('message', (d) => {
      got.push(parse(String(d)));
      wake();
    });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const next = (name: string) =>
      new Promise<Element>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no <${name}>; got ${got.map(String).join(' ')}`)), 5000);
        const check = () => {
          const i = got.findIndex((e) => e.name === name || e.name === 'stream:error');
          if (i === -1) return;
          clearTimeout(t);
          resolve(got.splice(i, 1)[0]!);
        };
        wake = check;
        check();
      });
    return { ws, next };
  };
  const OPEN = `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>`;
  const proxied = await open(`wss://127.0.0.1:${httpsPort}/xmpp-websocket`, { ca: cert.pem, headers: { host: 'mail.example.com' } });
  proxied.ws.send(OPEN);
  const features = await proxied.next('stream:features');
  assert.ok(features.getChild('mechanisms')?.getChildren('mechanism').some((m) => m.getText() === 'PLAIN'), String(features));
  proxied.ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain('alice', PW)}</auth>`);
  assert.equal((await proxied.next('success')).name, 'success');
  proxied.ws.send(OPEN);
  await proxied.next('stream:features');
  proxied.ws.send(`<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>proxied</resource></bind></iq>`);
  assert.equal((await proxied.next('iq')).getChild('bind')?.getChildText('jid'), 'alice@example.com/proxied');
  proxied.ws.terminate();

  // The control: plain ws:// straight to the gateway (no proxy saying https) is refused.
  const direct = await open(`${gw.url.replace('http', 'ws')}/xmpp-websocket`);
  direct.ws.send(OPEN);
  const refused = await direct.next('stream:features');
  assert.equal(refused.name, 'stream:error');
  assert.ok(refused.getChild('policy-violation'));
  direct.ws.terminate();
});

test('plain http to nginx is sent to https and never reaches the API', { skip }, async () => {
  const res = await new Promise<{ status: number; location: string | undefined; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: httpPort, path: '/api/v1/session', method: 'POST', headers: { host: 'mail.example.com', 'content-type': 'application/json' }, agent: false }, (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (c: string) => (body += c));
      r.on('end', () => resolve({ status: r.statusCode!, location: r.headers.location, body }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ user: 'alice@example.com', password: PW }));
  });
  assert.equal(res.status, 301);
  assert.equal(res.location, 'https://mail.example.com/api/v1/session');
  assert.doesNotMatch(res.body, /deviceToken/);
});
