// JSON bodies sent with Transfer-Encoding: chunked (RFC 9112 §7.1) have no Content-Length to be
// refused by up front. Found by test/integration/fuzz-http.test.ts (npm run fuzz, seed 20261207):
// one over the limit (API and /download form alike) was answered with Koa's plain-text 500 (the request was destroyed when the
// reader stopped early), and a broken chunk was logged as an internal failure with a stack.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest } from '../fuzz/raw-http.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ 'http.bodyLimitBytes': 1024 });
});
after(() => gw.destroy());

const post = (chunks: Buffer, route = '/api/v1/session', type = 'application/json') =>
  rawRequest(Number(new URL(gw.url).port), Buffer.concat([Buffer.from(`POST ${route} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\n\r\n`), chunks]));
const chunked = (body: Buffer) => Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);

test('a chunked JSON body over http.bodyLimitBytes is a 413 {error}, and the gateway goes on', async () => {
  const body = Buffer.alloc(5000, 0x20);
  const a = await post(chunked(body));
  assert.ok(typeof a === 'object', `an answer: ${String(a)}`);
  assert.equal(a.status, 413);
  assert.equal(JSON.parse(a.body).error.code, 'too_large');
  assert.equal((await gw.api('GET', '/api/v1/health')).status, 200);
});

test('a chunked body within the limit is read', async () => {
  const body = Buffer.from(JSON.stringify({ user: 'nobody@example.com', password: 'wrong password' }));
  const a = await post(chunked(body));
  assert.ok(typeof a === 'object');
  assert.equal(a.status, 401, a.body);
});

test('a chunked download form over its 8 KiB limit is the 413 form page, not a 500', async () => {
  const a = await post(chunked(Buffer.alloc(10_000, 0x61)), '/download', 'application/x-www-form-urlencoded');
  assert.ok(typeof a === 'object', `an answer: ${String(a)}`);
  assert.equal(a.status, 413);
  assert.match(a.body, /The form is too large/);
});
