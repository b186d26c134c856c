// A device's last address, as `token list` and the admin console show it: recorded when its token
// is used over HTTP, the events socket and XMPP — the client's address behind a trusted proxy
// (http.trustProxy: X-Forwarded-For), the socket's otherwise (a forged header is not believed).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { createCli } from '../fixtures/cli.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { connectRaw, plain, streamOpen } from '../fixtures/xmpp-raw.ts';
import { wsLogin } from './revocation-helpers.ts';

const USER = 'tia@example.com';
let proxied: TestGateway;
let direct: TestGateway;
before(async () => {
  [proxied, direct] = await Promise.all([startTestGateway({ 'http.trustProxy': true, 'xmpp.requireTls': false }), startTestGateway({ 'xmpp.requireTls': false })]);
  for (const gw of [proxied, direct]) await gw.user(USER);
});
after(async () => {
  await proxied?.destroy();
  await direct?.destroy();
});

const device = (gw: TestGateway, label: string) => {
  const account = gw.services.directory.get(USER)!;
  const token = gw.services.tokens.issueDevice(account, label);
  return { token, address: () => gw.services.tokens.listDevices(USER).find((d) => d.label === label)!.lastAddress };
};

test('HTTP: the proxy-reported client address behind http.trustProxy; the socket address without it', async () => {
  const viaProxy = device(proxied, 'Proxied laptop');
  const r = await proxied.api('GET', '/api/v1/folders', { token: viaProxy.token, headers: { 'x-forwarded-for': '203.0.113.5, 10.0.0.1' } });
  assert.notEqual(r.status, 401);
  assert.equal(viaProxy.address(), '203.0.113.5');

  const forged = device(direct, 'Direct laptop');
  const d = await direct.api('GET', '/api/v1/folders', { token: forged.token, headers: { 'x-forwarded-for': '203.0.113.5' } });
  assert.notEqual(d.status, 401);
  assert.equal(forged.address(), '127.0.0.1', 'X-Forwarded-For is not believed while http.trustProxy is off');

  // A bad token records nothing and is refused.
  assert.equal((await proxied.api('GET', '/api/v1/folders', { token: 'hdt_nope', headers: { 'x-forwarded-for': '198.51.100.1' } })).status, 401);
});

test('the events socket records the (proxied) address of its upgrade', async () => {
  const phone = device(proxied, 'Phone');
  const ws = new WebSocket(`${proxied.url.replace('http', 'ws')}/api/v1/events`, { headers: { authorization: `Bearer ${phone.token}`, 'x-forwarded-for': '198.51.100.23' } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  assert.equal(phone.address(), '198.51.100.23');
  ws.close();
});

test('XMPP over WebSocket with the device token: the proxied client address', async () => {
  const web = device(proxied, 'Web');
  const c = await wsLogin(proxied, USER, web.token, 'web', { headers: { 'x-forwarded-for': '192.0.2.44' } });
  await c.ping();
  assert.equal(web.address(), '192.0.2.44');
  c.kill();
});

test('XMPP with the device token as password records the connection\'s address; `token list` shows it', async () => {
  const desk = device(direct, 'Desk');
  // 127.0.0.2 is loopback too (Linux routes 127/8): an address other than the HTTP tests' own.
  const c = await connectRaw(direct.xmppPort!, { localAddress: '127.0.0.2' });
  c.send(streamOpen('example.com'));
  await c.next((e) => e.name === 'stream:features');
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain(USER, desk.token)}</auth>`);
  assert.equal((await c.next((e) => e.name === 'success' || e.name === 'failure')).name, 'success');
  assert.equal(desk.address(), '127.0.0.2');
  c.close();

  const { cli } = createCli(direct.dataDir);
  const r = await cli(['token', 'list', USER]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^device \d+\s+Desk\s+\?\s+created \S+Z\s+last used \S+Z from 127\.0\.0\.2\s+live$/m);
  assert.match(r.stdout, /^device \d+\s+Direct laptop\s+.*last used \S+Z from 127\.0\.0\.1\s+live$/m);
});
