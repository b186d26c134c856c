// xmpp.mode = external: the gateway does not start its embedded XMPP server, and /api/v1/config
// points desktops at the ejabberd endpoints of xmpp.external (README "Running IM on an ejabberd
// cluster"); IM follows the domain's switch as before. The default (embedded) is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway } from '../fixtures/gateway.ts';

test('xmpp.mode external: no embedded XMPP server; /api/v1/config gives the configured ejabberd endpoints and the domain\'s IM switch', async () => {
  const gw = await startTestGateway({ 'xmpp.mode': 'external', 'xmpp.external.publicHost': 'chat.example.com', 'xmpp.external.c2sPort': 5333, 'xmpp.external.websocketPort': 5443 });
  try {
    assert.equal(gw.xmppPort, undefined, 'the embedded server did not start');
    assert.equal(gw.xmpp, undefined);
    const token = await gw.user('alice@example.com');
    const on = await gw.api('GET', '/api/v1/config', { token });
    assert.equal(on.status, 200);
    assert.deepEqual(on.json.xmpp, { enabled: true, domain: 'example.com', tcp: { host: 'chat.example.com', port: 5333 }, websocketUrl: 'wss://chat.example.com:5443/ws' });
    gw.services.directory.setDomainIm('example.com', false);
    assert.equal((await gw.api('GET', '/api/v1/config', { token })).json.xmpp.enabled, false, 'IM off for the domain');
  } finally {
    await gw.destroy();
  }
});

test('xmpp.mode external: an explicit websocketUrl wins; without publicHost the gateway\'s public host is used', async () => {
  const gw = await startTestGateway({ 'xmpp.mode': 'external', 'xmpp.external.websocketUrl': 'wss://chat.example.com/xmpp' });
  try {
    const token = await gw.user('bob@example.com');
    const { json } = await gw.api('GET', '/api/v1/config', { token });
    assert.equal(json.xmpp.websocketUrl, 'wss://chat.example.com/xmpp');
    assert.deepEqual(json.xmpp.tcp, { host: new URL(gw.publicUrl).hostname, port: 5222 });
  } finally {
    await gw.destroy();
  }
});

test('the default stays embedded: the XMPP server runs and /api/v1/config points at it', async () => {
  const gw = await startTestGateway();
  try {
    assert.equal(gw.settings.xmpp.mode, 'embedded');
    assert.notEqual(gw.xmppPort, undefined);
    const token = await gw.user('carol@example.com');
    const { json } = await gw.api('GET', '/api/v1/config', { token });
    assert.equal(json.xmpp.tcp.port, gw.xmppPort);
    assert.match(json.xmpp.websocketUrl, /\/xmpp-websocket$/);
  } finally {
    await gw.destroy();
  }
});
