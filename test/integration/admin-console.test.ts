// The admin console in a real Chromium (Debian's, through playwright-core) against a real gateway:
// sign-in with TOTP (the code computed here from the key the enrollment page shows), adding a
// user, IM switched off for a domain ending a live XMPP session (a real client over TCP), a device
// signed out, a non-admin and a signed-out browser getting nothing, forged cross-site requests
// refused, every change in the audit log file and page (the CLI's too), the dashboard updating live,
// and `herald-gateway status`. Screenshots: test/artifacts/admin-<page>-<light|dark>-<en|de>.png.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { totpCode } from '../../gateway/src/admin/totp.ts';
import { chromiumMissing, launchChromium, openPage, screenshot, type OpenedPage } from '../fixtures/chromium.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { makeGenericBuild } from '../fixtures/generic-build.ts';
import { auditEntries, signInForm } from './admin-console-helpers.ts';
import { cli, signIn, tcpLogin } from './revocation-helpers.ts';

const skip = chromiumMissing();
const ADMIN = 'ann@example.com';
const ADMIN_PW = 'admin password 123';
const USER = 'bob@example.com';
const USER_PW = 'bob password 1234';

let gw: TestGateway;
let browser: Browser;
let adminTab: OpenedPage;
let totpSecret = '';

/** A code for a time step the gateway has not accepted yet (each step works once: RFC 6238 §5.2). */
let lastCodeStep = 0;
async function freshCode(): Promise<string> {
  let step = Math.floor(Date.now() / 30_000);
  while (step <= lastCodeStep) {
    // The next step begins within 30 s; waiting for the clock is the event here.
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 50));
    step = Math.floor(Date.now() / 30_000);
  }
  lastCodeStep = step;
  return totpCode(totpSecret, step * 30_000 + 1000);
}

before(async () => {
  if (skip) return;
  gw = await startTestGateway({ 'admin.liveSeconds': 1, 'xmpp.requireTls': false });
  mkdirSync(gw.provisioning.buildsDir, { recursive: true });
  makeGenericBuild(gw.provisioning.buildsDir, { os: 'win', format: 'zip' });
  await gw.user(ADMIN, ADMIN_PW);
  await gw.user(USER, USER_PW);
  gw.services.directory.addDomain('example.org');
  gw.services.store.accounts.setAdmin(ADMIN, true);
  browser = await launchChromium();
  adminTab = await openPage(browser);
});

after(async () => {
  await adminTab?.close();
  await browser?.close();
  await gw?.destroy();
});

test('a signed-out browser gets the sign-in page, and the admin API answers 401 without data', { skip }, async () => {
  const { page, close } = await openPage(browser);
  await page.goto(`${gw.url}/admin/users`);
  assert.equal(new URL(page.url()).pathname, '/admin/login');
  assert.equal(await page.locator('h1').textContent(), 'Sign in to the admin console');
  const api = await page.evaluate(async () => {
    const r = await fetch('/api/v1/admin/users');
    return { status: r.status, text: await r.text() };
  });
  assert.equal(api.status, 401);
  assert.doesNotMatch(api.text, /bob@example\.com/);
  await screenshot(page, 'admin-signin-light-en');
  await close();
});

test('a non-admin account gets a 403 page with no data, and no session', { skip }, async () => {
  const { page, context, close } = await openPage(browser);
  assert.equal(await signInForm(page, gw.url, USER, USER_PW), 403);
  const text = (await page.textContent('body')) ?? '';
  assert.match(text, /Not an administrator/);
  assert.doesNotMatch(text, /ann@example\.com|example\.org/);
  assert.equal((await context.cookies()).some((c) => c.name === 'herald_admin'), false);
  const r = await page.goto(`${gw.url}/admin/users`);
  assert.equal(new URL(page.url()).pathname, '/admin/login', `got ${r?.status()}`);
  await close();
});

test('an admin signs in with the password, enrolls TOTP (confirmed by a first code), then needs a code to sign in', { skip }, async () => {
  const { page } = adminTab;
  assert.equal(await signInForm(page, gw.url, ADMIN, ADMIN_PW), 303);
  assert.equal(new URL(page.url()).pathname, '/admin');
  await page.goto(`${gw.url}/admin/totp`);
  totpSecret = ((await page.textContent('[data-totp-secret]')) ?? '').replace(/\s+/g, '');
  assert.match(totpSecret, /^[A-Z2-7]{32}$/);
  assert.equal(await page.locator('img.qr').evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0), true, 'the QR code shows');
  await screenshot(page, 'admin-totp-light-en');
  // A wrong first code does not turn it on.
  const near = [-1, 0, 1].map((k) => totpCode(totpSecret, Date.now() + k * 30_000));
  await page.fill('#totp-code', ['111111', '222222', '333333', '444444'].find((c) => !near.includes(c))!);
  await page.click('form[data-api] button[type="submit"]');
  await page.waitForSelector('[data-status].error');
  assert.equal(gw.services.admin.totp.enrolled(gw.services.directory.get(ADMIN)!.id), false);
  await page.fill('#totp-code', await freshCode());
  await Promise.all([page.waitForEvent('load'), page.click('form[data-api] button[type="submit"]')]);
  assert.match((await page.textContent('main')) ?? '', /asks for a code/);
  assert.doesNotMatch(await page.content(), new RegExp(totpSecret), 'the key is never shown again');

  // Sign out; the password alone no longer lets in, a wrong code neither, the right one does.
  await Promise.all([page.waitForURL(/\/admin\/login$/), page.click('header form button[type="submit"]')]);
  assert.equal(await signInForm(page, gw.url, ADMIN, ADMIN_PW), 401);
  assert.match((await page.textContent('[role="alert"]')) ?? '', /authenticator/);
  assert.equal(await signInForm(page, gw.url, ADMIN, ADMIN_PW, '000000' === near[1] ? '999999' : '000000'), 401);
  assert.equal(await signInForm(page, gw.url, ADMIN, ADMIN_PW, await freshCode()), 303);
  assert.equal(new URL(page.url()).pathname, '/admin');
  const cookie = (await adminTab.context.cookies()).find((c) => c.name === 'herald_admin')!;
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
});

test('the admin adds a user on the Users page; search finds it', { skip }, async () => {
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/users`);
  await page.fill('#add-address', 'carol@example.com');
  await page.fill('#add-name', 'Carol <Clark>');
  await page.fill('#add-password', 'carol password 12');
  await Promise.all([page.waitForEvent('load'), page.click('#add-h ~ form button[type="submit"]')]);
  assert.equal(gw.services.directory.get('carol@example.com')?.displayName, 'Carol <Clark>');
  await page.fill('#q', 'car');
  await Promise.all([page.waitForEvent('load'), page.click('form.search button')]);
  assert.equal(await page.locator('tbody tr').count(), 1);
  assert.equal(await page.locator('tbody tr td').nth(1).textContent(), 'Carol <Clark>', 'shown as text, not markup');
});

test('IM off for a domain asks first with the count of live sessions, then ends the live XMPP session', { skip }, async () => {
  const { page } = adminTab;
  const xmpp = await tcpLogin(gw.xmppPort!, USER, USER_PW, 'laptop');
  await page.goto(`${gw.url}/admin/domains`);
  const row = page.locator('tr[data-domain="example.com"]');
  await row.locator('button', { hasText: 'Switch IM off' }).click();
  const dialog = page.locator('dialog[data-confirm-dialog]');
  await dialog.waitFor({ state: 'visible' });
  // Two live sessions of example.com would end? Only bob's XMPP session is live.
  assert.match((await dialog.locator('[data-confirm-text]').textContent()) ?? '', /Switch IM off for example\.com\? 1 live session/);
  await screenshot(page, 'admin-domains-confirm-light-en');
  // Cancel: nothing happens (the session answers a ping afterwards).
  await dialog.locator('button[value="cancel"]').click();
  await xmpp.ping();
  assert.equal(gw.services.store.domains.get('example.com')?.imEnabled, true);
  await row.locator('button', { hasText: 'Switch IM off' }).click();
  await dialog.waitFor({ state: 'visible' });
  await Promise.all([page.waitForEvent('load'), dialog.locator('button[value="ok"]').click()]);
  const ended = await xmpp.ended;
  assert.equal(ended.condition, 'policy-violation');
  assert.match(ended.text, /switched off for example\.com/);
  assert.equal(await page.locator('tr[data-domain="example.com"] [data-im]').textContent(), 'off');
  // And on again, for the pages after this.
  await Promise.all([page.waitForEvent('load'), page.locator('tr[data-domain="example.com"] button', { hasText: 'Switch IM on' }).click()]);
});

test('the admin signs out one device of a user: its token stops working', { skip }, async () => {
  const { page } = adminTab;
  const laptop = await signIn(gw, USER, USER_PW, 'Bob laptop');
  const phone = await signIn(gw, USER, USER_PW, 'Bob phone');
  // The phone polls once: its row shows where from (a forged X-Forwarded-For is not believed: http.trustProxy is off).
  assert.notEqual((await gw.api('GET', '/api/v1/folders', { token: phone.token, headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 401);
  await page.goto(`${gw.url}/admin/users?user=${encodeURIComponent(USER)}`);
  assert.equal(await page.locator(`tr[data-device="${phone.deviceId}"] [data-address]`).textContent(), '127.0.0.1');
  assert.equal(await page.locator(`tr[data-device="${laptop.deviceId}"] [data-address]`).textContent(), '—', 'never used: no address');
  await Promise.all([page.waitForEvent('load'), page.locator(`tr[data-device="${laptop.deviceId}"] button`).click()]);
  assert.throws(() => gw.services.tokens.verifyDevice(laptop.token), /revoked|unknown/);
  assert.equal(gw.services.tokens.verifyDevice(phone.token).deviceId, phone.deviceId, 'the other device stays');
  assert.match((await page.locator(`tr[data-device="${laptop.deviceId}"]`).textContent()) ?? '', /signed out/);
  // An enrollment link with its QR code.
  await page.locator('form[data-then="show"] button').click();
  await page.waitForSelector('[data-result] img.qr');
  assert.match((await page.textContent('[data-result] code')) ?? '', /^herald:\/\/provision\?jws=/);
  // That user's package from the build folder: a stamped copy, saved by the browser.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-package]').click()]);
  const file = await download.path();
  assert.ok(readFileSync(file).includes(Buffer.from('provision.json')), 'the zip carries the user\'s provision.json');
  assert.ok(auditEntries(gw.dataDir).some((e) => e.action === 'package.download' && e.target === USER));
});

test('forged requests are refused: no CSRF token, a wrong one, and a cross-origin form', { skip }, async () => {
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/users`);
  // (No named functions inside evaluate: tsx would wrap them in a helper the page does not have.)
  const body = JSON.stringify({ address: 'mallory@example.com', password: 'mallory password 1' });
  const none = await page.evaluate(async (b) => (await fetch('/api/v1/admin/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: b })).status, body);
  const wrong = await page.evaluate(async (b) => (await fetch('/api/v1/admin/users', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': 'not-the-token' }, body: b })).status, body);
  assert.deepEqual({ none, wrong }, { none: 403, wrong: 403 });
  // The same request with the page's token goes through (so the refusals above were the token's doing).
  const token = (await page.getAttribute('meta[name="csrf-token"]', 'content'))!;
  const right = await page.evaluate(
    async ([b, t]) => (await fetch('/api/v1/admin/users', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': t! }, body: b })).status,
    [JSON.stringify({ address: 'dave@example.com', password: 'dave password 123' }), token],
  );
  assert.equal(right, 201);
  // A page on another origin posts a form to the console's API with the admin's browser.
  const evil: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(
      `<form id=f method=post action="${gw.url}/api/v1/admin/domains" enctype="text/plain"><input name='{"name":"evil.example","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`,
    );
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  const evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/v1/admin/domains')), page.goto(evilUrl)]);
  assert.ok([401, 403].includes(res.status()), `cross-origin form answered ${res.status()}`);
  evil.close();
  assert.equal(gw.services.directory.get('mallory@example.com'), undefined);
  assert.equal(gw.services.store.domains.get('evil.example'), undefined);
});

test('every change is in the audit log file and on the Audit page, the CLI’s too', { skip }, async () => {
  const r = await cli(gw, ['domain', 'link', 'example.com', 'example.org']);
  assert.equal(r.code, 0, r.stderr);
  const entries = auditEntries(gw.dataDir);
  const actions = entries.map((e) => `${e.who} ${e.action} ${e.target}`);
  for (const want of [
    `${ADMIN} admin.totp.enroll ${ADMIN}`,
    `${ADMIN} user.add carol@example.com`,
    `${ADMIN} domain.im example.com`,
    `${ADMIN} token.revoke ${USER}`,
    `${ADMIN} token.enroll ${USER}`,
  ]) {
    assert.ok(actions.includes(want), `${want} missing from ${JSON.stringify(actions)}`);
  }
  const fromCli = entries.find((e) => e.action === 'domain.link')!;
  assert.match(fromCli.who, /^cli@/);
  assert.equal(entries.find((e) => e.action === 'user.add')!.from, '127.0.0.1');
  const raw = readdirSync(path.join(gw.dataDir, 'logs'))
    .filter((f) => f.startsWith('Audit-'))
    .map((f) => readFileSync(path.join(gw.dataDir, 'logs', f), 'utf8'))
    .join('');
  for (const secret of ['carol password 12', totpSecret, ADMIN_PW]) assert.equal(raw.includes(secret), false, 'no secret in the audit log');

  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/audit`);
  const text = (await page.textContent('table[data-audit]')) ?? '';
  for (const a of ['user.add', 'domain.im', 'token.revoke', 'domain.link', 'admin.totp.enroll']) assert.match(text, new RegExp(a.replace('.', '\\.')));
  await page.fill('#a-who', 'cli@');
  await Promise.all([page.waitForEvent('load'), page.click('form.search button')]);
  assert.equal(await page.locator('table[data-audit] tbody tr').count(), 1);
  assert.match((await page.textContent('table[data-audit] tbody')) ?? '', /domain\.link/);
});

test('the dashboard updates live over its WebSocket when a session starts', { skip }, async () => {
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin`);
  await page.waitForSelector('[data-live-state][data-on="true"]');
  const before = Number(await page.textContent('[data-field="sessions"]'));
  const xmpp = await tcpLogin(gw.xmppPort!, USER, USER_PW, 'dash');
  // (A function, not a string: the console's CSP forbids eval, which a string would need.)
  type Doc = { document: { querySelector(s: string): { textContent: string | null } | null } };
  await page.waitForFunction((n) => Number((globalThis as unknown as Doc).document.querySelector('[data-field="sessions"]')?.textContent) === n, before + 1);
  assert.equal(await page.locator('[data-chart="sessions"] canvas').count(), 1, 'uPlot drew the chart');
  xmpp.kill();
  // (The refused requests above log "Failed to load resource" by design; nothing else may show.)
  assert.deepEqual(adminTab.problems.filter((p) => !/Failed to load resource: the server responded with a status of (400|401|403)/.test(p)), [], 'no exceptions or CSP violations');
});

test('the Sessions page lists a live session and ends it with a reason', { skip }, async () => {
  const { page } = adminTab;
  const xmpp = await tcpLogin(gw.xmppPort!, USER, USER_PW, 'desk');
  await page.goto(`${gw.url}/admin/sessions`);
  const row = page.locator('tr[data-session]', { hasText: 'desk' });
  assert.match((await row.textContent()) ?? '', /bob@example\.com.*desk.*127\.0\.0\.1/);
  await row.locator('input[name="reason"]').fill('maintenance');
  await Promise.all([page.waitForEvent('load'), row.locator('button').click()]);
  const ended = await xmpp.ended;
  assert.equal(ended.condition, 'policy-violation');
  assert.equal(ended.text, 'maintenance');
  assert.ok(auditEntries(gw.dataDir).some((e) => e.action === 'session.end' && e.target === `${USER}/desk`));
});

test('screenshots of every page in light and dark, English and German', { skip }, async () => {
  const xmpp = await tcpLogin(gw.xmppPort!, USER, USER_PW, 'phone');
  for (const scheme of ['light', 'dark'] as const) {
    for (const locale of ['en', 'de'] as const) {
      const tab = await openPage(browser, { colorScheme: scheme, locale: locale === 'de' ? 'de-DE' : 'en-GB', viewport: { width: 1280, height: 800 } });
      await tab.context.addCookies((await adminTab.context.cookies()).filter((c) => c.name === 'herald_admin'));
      for (const [name, route] of [
        ['dashboard', '/admin'],
        ['users', '/admin/users'],
        ['user', `/admin/users?user=${encodeURIComponent(USER)}`],
        ['domains', '/admin/domains'],
        ['sessions', '/admin/sessions'],
        ['audit', '/admin/audit'],
      ] as const) {
        await tab.page.goto(`${gw.url}${route}`);
        if (name === 'dashboard') await tab.page.waitForSelector('[data-chart="sessions"] canvas');
        assert.equal(await tab.page.getAttribute('html', 'lang'), locale);
        await screenshot(tab.page, `admin-${name}-${scheme}-${locale}`);
      }
      await tab.close();
    }
  }
  const phone = await openPage(browser, { colorScheme: 'dark', viewport: { width: 390, height: 844 } });
  await phone.context.addCookies((await adminTab.context.cookies()).filter((c) => c.name === 'herald_admin'));
  for (const [name, route] of [['users', '/admin/users'], ['domains', '/admin/domains'], ['dashboard', '/admin']] as const) {
    await phone.page.goto(`${gw.url}${route}`);
    const overflow = (await phone.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    assert.ok(overflow <= 0, `${name} is wider than a phone by ${overflow} px`);
    await screenshot(phone.page, `admin-${name}-phone-dark-en`);
  }
  await phone.close();
  xmpp.kill();
});

test('herald-gateway status asks the running serve, and says when it is not running', { skip }, async () => {
  const r = await cli(gw, ['status']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sessions online\s+\d+/);
  assert.match(r.stdout, /event-loop delay p99\s+[\d.]+ ms/);
  assert.match(r.stdout, /presence queued\s+\d+ copies/);
  const json = await cli(gw, ['status', '--json']);
  assert.equal(JSON.parse(json.stdout).version, '0.1.0');
  // The local token reads only the status.
  const token = JSON.parse(readFileSync(path.join(gw.dataDir, 'run', 'admin-api.json'), 'utf8')).token as string;
  assert.equal((await gw.api('GET', '/api/v1/admin/users', { headers: { authorization: `Bearer ${token}` } })).status, 401);
  assert.equal((await gw.api('GET', '/api/v1/admin/status', { headers: { authorization: `Bearer ${token}` } })).status, 200);
  await gw.close();
  const down = await cli(gw, ['status']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /serve is not running/);
});
