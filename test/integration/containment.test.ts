// No client input crashes the process (issue 11): a failure while handling one connection ends
// that connection only. Each case here took the whole gateway down before; afterwards the
// gateway answers everyone else and nothing reached the last-resort handler (fixture: faults 0).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false });
});
after(() => gw.destroy());

/** Sends raw bytes to the HTTP port; resolves with everything the server wrote before it closed. */
function rawHttp(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(new URL(gw.url).port), '127.0.0.1', () => s.write(request));
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => (got += d));
    s.once('error', reject);
    s.once('close', () => resolve(got));
  });
}

const upgrade = (target: string) =>
  `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n`;

test('a WebSocket upgrade with a URL that does not parse is refused with 400; the gateway serves on', async () => {
  const events = await gw.events(await gw.user('watcher@example.com'));
  for (const target of ['//[', '//[::1', 'http://[x]/xmpp-websocket']) {
    const answer = await rawHttp(upgrade(target));
    assert.match(answer, /^HTTP\/1\.1 400 /, `${target}: ${answer.slice(0, 80)}`);
  }
  const health = await gw.api('GET', '/api/v1/health');
  assert.equal(health.status, 200);
  assert.equal(health.json.faults, 0);
  events.ws.send(JSON.stringify({ type: 'ping' }));
  await events.next((e) => e.type === 'pong');
});
