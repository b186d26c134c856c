// The desktop sends mail passwords and device tokens to the gateway URL: plain http:// only to this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeGatewayUrl } from './api-client.ts';
import { GatewayProtocolError } from './gateway-errors.ts';
import { isLoopbackHostname } from './plain-url.ts';

test('https anywhere and http to this machine are accepted', () => {
  for (const [input, url] of [
    ['https://mail.example.com/', 'https://mail.example.com'],
    ['https://192.0.2.7:8443/herald', 'https://192.0.2.7:8443/herald'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'],
    ['http://localhost:3000/', 'http://localhost:3000'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['http://127.9.9.9', 'http://127.9.9.9'],
  ]) assert.equal(normalizeGatewayUrl(input!), url);
});

test('http:// to any other host is refused, with a message that says why and what to use', () => {
  for (const input of ['http://mail.example.com', 'http://192.168.1.10:3000', 'http://[2001:db8::1]:3000', 'http://localhost.example.com', 'http://128.0.0.1', 'http://0.0.0.0:3000']) {
    assert.throws(
      () => normalizeGatewayUrl(input),
      (e: unknown) => e instanceof GatewayProtocolError && /^refusing http:\/\/.+: passwords and tokens would cross the network unencrypted; use https:\/\/.+ \(plain http is accepted only for this machine/.test(e.message),
      input,
    );
  }
  assert.throws(() => normalizeGatewayUrl('http://mail.example.com:8080/x'), /use https:\/\/mail\.example\.com:8080 /);
});

test('loopback host names', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '[::1]', '::1', 'localhost', 'LocalHost', 'a.localhost']) assert.ok(isLoopbackHostname(h), h);
  for (const h of ['128.0.0.1', '127.0.0.1.example.com', '[::2]', 'mail.example.com', '0.0.0.0', '']) assert.ok(!isLoopbackHostname(h), h);
});
