// admin.port: the console and /api/v1/admin on a listener of their own, with the same guards
// (loopback only unless admin.allowRemote; the forwarded address counts behind http.trustProxy),
// and gone from the HTTP port (404). Without admin.port the console stays at /admin on the HTTP
// port. Signed in through Chromium on the own listener; the Settings page shows admin.host/port;
// `herald-gateway status` finds the console's listener.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { chromiumMissing, launchChromium, openPage } from '../fixtures/chromium.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { signInForm } from './admin-console-helpers.ts';
import { cli } from './revocation-helpers.ts';

const skip = chromiumMissing();
const ADMIN = 'ann@example.com';
const PW = 'admin password 123';
let own: TestGateway;
let plain: TestGateway;
let browser: Browser;

before(async () => {
  [own, plain] = await Promise.all([startTestGateway({ 'admin.port': 0, 'http.trustProxy': true }), startTestGateway({})]);
  for (const gw of [own, plain]) {
    await gw.user(ADMIN, PW);
    gw.services.store.accounts.setAdmin(ADMIN, true);
  }
  if (!skip) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await own?.destroy();
  await plain?.destroy();
});

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: 'manual' });

test('with admin.port the HTTP port answers 404 for the console and its API; the own listener serves them', async () => {
  assert.notEqual(own.adminUrl, own.url);
  for (const p of ['/admin', '/admin/login', '/admin/users', '/api/v1/admin/status', '/api/v1/admin/users']) {
    assert.equal((await get(`${own.url}${p}`)).status, 404, `HTTP port ${p}`);
  }
  assert.equal((await fetch(`${own.url}/admin/login`, { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 404);
  assert.equal((await get(`${own.adminUrl}/admin/login`)).status, 200);
  assert.equal((await get(`${own.adminUrl}/api/v1/admin/users`)).status, 401, 'the admin API guard: signed out');
  // Only the console lives there: the user API does not.
  assert.equal((await get(`${own.adminUrl}/api/v1/health`)).status, 404);
  assert.equal((await get(`${own.url}/api/v1/health`)).status, 200);
});

/** The status an upgrade to /admin/live gets (no cookie). */
const liveUpgrade = (base: string) =>
  new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/admin/live`, { headers: { origin: base } });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => reject(new Error('opened without a session')));
    ws.once('error', () => undefined);
  });

test('the live socket: 404 on the HTTP port, the console guard (401 signed out) on the own listener', async () => {
  assert.equal(await liveUpgrade(own.url), 404);
  assert.equal(await liveUpgrade(own.adminUrl), 401);
  assert.equal(await liveUpgrade(plain.url), 401, 'without admin.port it stays on the HTTP port');
});

test('the same guard on the own listener: a client elsewhere (as the trusted proxy says) gets 403', async () => {
  const remote = { 'x-forwarded-for': '203.0.113.7' };
  assert.equal((await get(`${own.adminUrl}/admin/login`, remote)).status, 403);
  assert.equal((await get(`${own.adminUrl}/api/v1/admin/users`, remote)).status, 403);
});

test('without admin.port the console stays at /admin on the HTTP port', async () => {
  assert.equal(plain.adminUrl, plain.url);
  assert.equal((await get(`${plain.url}/admin/login`)).status, 200);
  assert.equal((await get(`${plain.url}/api/v1/admin/users`)).status, 401);
});

test('an admin signs in on the own listener; the Settings page shows admin.host and admin.port', { skip }, async () => {
  const tab = await openPage(browser);
  try {
    assert.equal(await signInForm(tab.page, own.adminUrl, ADMIN, PW), 303);
    // The dashboard's live socket is served by the own listener too.
    const [live] = await Promise.all([tab.page.waitForEvent('websocket'), tab.page.goto(`${own.adminUrl}/admin`)]);
    assert.match(live.url(), /\/admin\/live$/);
    await tab.page.waitForSelector('[data-live-state][data-on="true"]');
    await tab.page.goto(`${own.adminUrl}/admin/settings`);
    assert.equal(await tab.page.locator('tr[data-key="admin.host"] td.value').textContent(), '127.0.0.1');
    assert.equal(await tab.page.locator('tr[data-key="admin.port"] td.value').textContent(), '0');
    const r = await tab.page.request.get(`${own.adminUrl}/api/v1/admin/sessions`);
    assert.equal(r.status(), 200);
  } finally {
    await tab.close();
  }
  const other = await openPage(browser);
  try {
    assert.equal(await signInForm(other.page, plain.url, ADMIN, PW), 303);
    await other.page.goto(`${plain.url}/admin/settings`);
    assert.equal(await other.page.locator('tr[data-key="admin.port"] td.value').textContent(), '—', 'unset: no own listener');
  } finally {
    await other.close();
  }
});

test('herald-gateway status reaches the running serve through the console\'s own listener', async () => {
  const r = await cli(own, ['status']);
  assert.equal(r.code, 0, r.stderr);
});
