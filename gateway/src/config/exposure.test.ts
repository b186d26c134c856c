import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, publicUrlOf } from './exposure.ts';
import { ConfigError } from './load.ts';

test('loopback: 127.0.0.0/8, ::1 (and its mapped form), localhost; everything else is exposed', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'app.localhost']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', '::ffff:10.0.0.1', 'mail.example.com', '128.0.0.1', 'localhost.example.com', '']) assert.ok(!isLoopbackHost(h), h);
});

test('an exposed bind needs http.publicUrl, and an https one', () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
    assert.throws(() => publicUrlOf({ host, port: 3000 }, 3000), (e: unknown) => e instanceof ConfigError && /http\.publicUrl/.test(e.message) && e.message.includes(host));
    assert.throws(() => publicUrlOf({ host, port: 3000, publicUrl: 'http://mail.example.com' }, 3000), (e: unknown) => e instanceof ConfigError && /http\.publicUrl must be an https:\/\/ URL/.test(e.message));
  }
  assert.deepEqual(publicUrlOf({ host: '0.0.0.0', port: 3000, publicUrl: 'https://mail.example.com/' }, 3000), { url: 'https://mail.example.com' });
});

test('a loopback bind derives its URL from the bound port, with a warning that it is local-only', () => {
  const p = publicUrlOf({ host: '127.0.0.1', port: 0 }, 40123);
  assert.equal(p.url, 'http://127.0.0.1:40123');
  assert.match(p.warning!, /http\.publicUrl is not set: using http:\/\/127\.0\.0\.1:40123, which works on this machine only; packages and the download page/);
  assert.equal(publicUrlOf({ host: '::1', port: 3000 }, 3000).url, 'http://[::1]:3000');
  assert.deepEqual(publicUrlOf({ host: '127.0.0.1', port: 3000, publicUrl: 'http://localhost:3000' }, 3000), { url: 'http://localhost:3000' });
});
