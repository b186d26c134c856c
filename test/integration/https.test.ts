// TLS on the HTTP port, through the real gateway: HTTPS answers with the configured certificate
// (by default the XMPP one), with HSTS; a loopback gateway also answers plain HTTP on the same
// port; an exposed bind without an https http.publicUrl does not start (startGateway and `serve`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { request as httpsRequest } from 'node:https';
import { X509Certificate } from 'node:crypto';
import WebSocket from 'ws';
import { makeTestCertificate } from '../fixtures/certificate.ts';
import { startTestGateway } from '../fixtures/gateway.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'herald-https-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The certificate a TLS server on host:port presents (not verified: its fingerprint is what is checked). */
function servedFingerprint(port: number, host = '127.0.0.1', servername = 'localhost'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, servername, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}

function httpsGet(url: string, ca: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('http.tlsCert/http.tlsKey: HTTPS answers with that certificate, with HSTS; plain HTTP works on the same loopback port', async () => {
  const cert = makeTestCertificate(tmp, ['localhost'], 'http');
  const gw = await startTestGateway({ 'http.tlsCert': cert.certFile, 'http.tlsKey': cert.keyFile });
  try {
    const port = Number(new URL(gw.url).port);
    assert.equal(await servedFingerprint(port), cert.fingerprint256);
    const health = await httpsGet(`${gw.httpsUrl}/api/v1/health`, cert.pem);
    assert.equal(health.status, 200);
    assert.equal(health.headers['strict-transport-security'], 'max-age=31536000');
    const plain = await fetch(`${gw.url}/api/v1/health`);
    assert.equal(plain.status, 200, 'plain HTTP on a loopback bind (local tools and tests)');
    assert.equal(plain.headers.get('strict-transport-security'), null);

    // The events socket over wss:// (and the API's sign-in over https).
    const token = await gw.user('alice@example.com');
    const ws = new WebSocket(`${gw.httpsUrl.replace('https', 'wss')}/api/v1/events`, { ca: cert.pem, headers: { authorization: `Bearer ${token}` } });
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(String(d))));
      ws.once('error', reject);
    });
    assert.equal(typeof first.type, 'string');
    ws.terminate();
  } finally {
    await gw.destroy();
  }
});

test('by default HTTPS serves the XMPP certificate: the self-signed one made once in <data>/tls/', async () => {
  const gw = await startTestGateway({ 'xmpp.directTlsPort': 0 });
  try {
    assert.equal(gw.certificate.certFile, path.join(gw.dataDir, 'tls', 'xmpp-selfsigned.crt'));
    const made = new X509Certificate(readFileSync(gw.certificate.certFile)).fingerprint256;
    assert.equal(await servedFingerprint(Number(new URL(gw.url).port)), made, 'the HTTP port');
    assert.equal(await servedFingerprint(gw.xmppDirectTlsPort!), made, 'XMPP direct TLS (XEP-0368)');
    // It names the loopback address too, so https://127.0.0.1 verifies with the certificate pinned.
    assert.equal((await httpsGet(`${gw.httpsUrl}/api/v1/health`, gw.certificate.cert)).status, 200);
  } finally {
    await gw.destroy();
  }
});

test('an exposed bind without an https http.publicUrl does not start, naming the setting', async () => {
  await assert.rejects(startTestGateway({ 'http.host': '0.0.0.0' }), /set http\.publicUrl/);
  await assert.rejects(startTestGateway({ 'http.host': '0.0.0.0', 'http.publicUrl': 'http://mail.example.com' }), /http\.publicUrl must be an https:\/\/ URL/);
  // The real CLI: exit 1 with the message, before anything listens.
  const data = mkdtempSync(path.join(tmp, 'serve-'));
  const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../../bin/herald-gateway.mjs'), 'serve', '--data', data, '--http-port', '0', '--xmpp-port', '0'], {
    env: { ...process.env, HERALD__HTTP__HOST: '0.0.0.0', HERALD_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (out += c));
  const code = await new Promise((r) => child.once('exit', r));
  assert.equal(code, 1, out);
  assert.match(out, /http\.host is 0\.0\.0\.0, which other machines can reach: set http\.publicUrl/);
});

// A gateway on a non-loopback address of this machine, when it has one (else the decision is covered
// by gateway/src/config/exposure.test.ts and gateway/src/http/listener.test.ts on 127.0.0.1).
const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
test('bound to a non-loopback address: HTTPS only (plain GET redirected to publicUrl, plain POST refused)', { skip: external ? false : 'this machine has no non-loopback IPv4 address to bind' }, async () => {
  const gw = await startTestGateway({ 'http.host': external!, 'http.publicUrl': 'https://mail.example.com', 'xmpp.enabled': false });
  try {
    const port = Number(new URL(gw.httpsUrl).port);
    assert.equal(gw.url, gw.httpsUrl, 'the gateway says HTTPS is the way in');
    const plain = await fetch(`http://${external}:${port}/api/v1/health`, { redirect: 'manual' });
    assert.equal(plain.status, 308);
    assert.equal(plain.headers.get('location'), 'https://mail.example.com/api/v1/health');
    const post = await fetch(`http://${external}:${port}/api/v1/session`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(post.status, 403);
    assert.equal(await servedFingerprint(port, external!), new X509Certificate(gw.certificate.cert).fingerprint256);
    const ok = await new Promise<{ status: number; hsts: unknown }>((resolve, reject) => {
      const req = httpsRequest({ host: external, port, path: '/api/v1/health', rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, hsts: res.headers['strict-transport-security'] });
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(ok, { status: 200, hsts: 'max-age=31536000' });
  } finally {
    await gw.destroy();
  }
});
