// The Sessions page's "client software": the gateway asks each XMPP client once (XEP-0092
// jabber:iq:version, after its initial presence) and shows the answer; a WebSocket client that
// does not answer shows its upgrade's User-Agent; a client that answers with an error or not at
// all keeps working and shows "unknown". Real clients: slixmpp (with and without its xep_0092
// plugin) and raw XMPP over TCP and WebSocket; the page in Chromium, the admin API beside it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { LiveSession } from '../../gateway/src/protocol/admin-api.ts';
import { chromiumMissing, launchChromium, openPage, type OpenedPage } from '../fixtures/chromium.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { startSlixmpp, type Slixmpp } from '../fixtures/slixmpp.ts';
import { signInForm } from './admin-console-helpers.ts';
import { tcpLogin, wsLogin, type XmppClient } from './revocation-helpers.ts';

const skip = chromiumMissing();
const ADMIN = 'ann@example.com';
const PW = 'admin password 123';
const VERSION_Q = (e: { name: string; attrs: Record<string, string | undefined>; getChild(n: string, ns?: string): unknown }) =>
  e.name === 'iq' && e.attrs.type === 'get' && !!e.getChild('query', 'jabber:iq:version');

let gw: TestGateway;
let browser: Browser;
let tab: OpenedPage;
const slix: Slixmpp[] = [];
const raw: XmppClient[] = [];

before(async () => {
  if (skip) return;
  gw = await startTestGateway({ 'xmpp.requireTls': false });
  for (const u of [ADMIN, 'sam@example.com', 'eve@example.com', 'tom@example.com', 'web@example.com', 'wes@example.com']) await gw.user(u, PW);
  gw.services.store.accounts.setAdmin(ADMIN, true);
  browser = await launchChromium();
  tab = await openPage(browser);
  assert.equal(await signInForm(tab.page, gw.url, ADMIN, PW), 303);
});

after(async () => {
  for (const c of slix) await c.close();
  for (const c of raw) c.kill();
  await tab?.close();
  await browser?.close();
  await gw?.destroy();
});

const sessions = async (): Promise<LiveSession[]> => {
  const r = await tab.page.request.get(`${gw.url}/api/v1/admin/sessions`);
  assert.equal(r.status(), 200);
  return ((await r.json()) as { sessions: LiveSession[] }).sessions;
};
const clientOf = async (address: string) => (await sessions()).find((s) => s.address === address)?.client;
const pageClient = async (address: string) => {
  await tab.page.goto(`${gw.url}/admin/sessions`);
  return tab.page.locator('tr[data-session]', { hasText: address }).locator('[data-client]').textContent();
};

/** slixmpp connected (initial presence sent), after the gateway's version query reached it and its answer went back. */
async function slixmppAnswered(address: string, software?: { name: string; version: string }): Promise<Slixmpp> {
  const c = await startSlixmpp({ label: address });
  slix.push(c);
  await c.call('connect', { jid: address, password: PW, host: '127.0.0.1', port: gw.xmppPort!, starttls: false, allow_plain: true, sm: false, resource: 'slix', trace: true, ...(software ? { software } : {}) });
  await c.next((e) => e.event === 'stanza' && /jabber:iq:version/.test(e.xml) && /type="get"/.test(e.xml));
  // slixmpp answers as the query arrives; a ping it sends afterwards reaches the gateway after that answer.
  await c.call('iq_ping', {});
  return c;
}

test('slixmpp answering XEP-0092: the Sessions page and the admin API show its name and version', { skip }, async () => {
  await slixmppAnswered('sam@example.com', { name: 'Herald Test Client', version: '4.2.1' });
  assert.equal(await clientOf('sam@example.com'), 'Herald Test Client 4.2.1');
  assert.equal(await pageClient('sam@example.com'), 'Herald Test Client 4.2.1');
});

test('slixmpp answering with an error: the session works and shows "unknown"', { skip }, async () => {
  const c = await slixmppAnswered('eve@example.com');
  assert.equal(await clientOf('eve@example.com'), null);
  assert.equal(await pageClient('eve@example.com'), 'unknown');
  assert.ok((await c.call('iq_ping', {})).rtt_ms >= 0, 'the session still works');
});

test('a TCP client that never answers: asked once, the session works, "unknown"', { skip }, async () => {
  const c = await tcpLogin(gw.xmppPort!, 'tom@example.com', PW, 'mute');
  raw.push(c);
  c.send(`<presence/>`);
  await c.next(VERSION_Q);
  await c.ping();
  assert.equal(await clientOf('tom@example.com'), null);
  assert.equal(await pageClient('tom@example.com'), 'unknown');
  // Unavailable and available again: the gateway does not ask a second time (a second query would
  // have been sent while the presence was handled, so before the answer to this ping).
  c.send(`<presence type='unavailable'/>`);
  c.send(`<presence/>`);
  await c.ping();
  assert.equal(c.raw.received.filter(VERSION_Q).length, 1, 'one version query per session');
});

test('WebSocket: the User-Agent when the client does not answer; its XEP-0092 answer (bounded) when it does', { skip }, async () => {
  const UA = 'HeraldWebTest/9.9 (X11; Linux x86_64)';
  const mute = await wsLogin(gw, 'web@example.com', PW, 'browser', { userAgent: UA });
  raw.push(mute);
  mute.send(`<presence/>`);
  await mute.next(VERSION_Q);
  await mute.ping();
  assert.equal(await clientOf('web@example.com'), UA);
  assert.equal(await pageClient('web@example.com'), UA);

  const talks = await wsLogin(gw, 'wes@example.com', PW, 'browser', { userAgent: UA });
  raw.push(talks);
  talks.send(`<presence/>`);
  const q = await talks.next(VERSION_Q);
  const long = 'W'.repeat(200);
  talks.send(`<iq type='result' id='${q.attrs.id}' to='${q.attrs.from}'><query xmlns='jabber:iq:version'><name>Conversations.im\u0007 ${long}</name><version>2.1</version></query></iq>`);
  await talks.ping();
  const shown = (await clientOf('wes@example.com'))!;
  assert.match(shown, /^Conversations\.im W+ 2\.1$/, 'control characters dropped');
  assert.ok(shown.length <= 80 + 4, `bounded: ${shown.length}`);
});
