// The admin console's Rooms, Message log, Scripts and alerts, Packages and Settings pages in a real
// Chromium against a real gateway: a message found in the log (the same as `herald-gateway log
// search`) and exported as CSV (quoted, formula-safe); a quarantined SEM file retried and then
// delivered to its (now existing) recipient over XMPP; a room closed, its occupant getting the
// XEP-0045 §10.9 destroy presence; every new API route 403 for an account that is no longer an
// admin (401 signed out); forged posts without the CSRF token refused; each change audited.
// Screenshots: test/artifacts/admin-<page>-<light|dark>-<en|de>.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { fingerprintOf } from '../../gateway/src/http/admin/pages/packages.ts';
import { chromiumMissing, launchChromium, openPage, screenshot, type OpenedPage } from '../fixtures/chromium.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { makeGenericBuild } from '../fixtures/generic-build.ts';
import { auditEntries, signInForm } from './admin-console-helpers.ts';
import { codes, join, USER as NS_MUC_USER } from '../fixtures/muc-raw.ts';
import { cli } from './revocation-helpers.ts';
import { badReason, bodyOf, drop, online, PW, sem, waitFor } from './sem-spool-helpers.ts';

const skip = chromiumMissing();
const ADMIN = 'ann@example.com';
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const FORMER = 'fred@example.com';
const ROOM = 'team@conference.example.com';
const CAL_SECRET = 'calendar secret 9876';

let gw: TestGateway;
let browser: Browser;
let adminTab: OpenedPage;
let spool = '';

before(async () => {
  if (skip) return;
  gw = await startTestGateway({ 'xmpp.requireTls': false, 'im.calendar.password': CAL_SECRET });
  spool = path.join(gw.dataDir, 'spool', 'im');
  mkdirSync(gw.provisioning.buildsDir, { recursive: true });
  makeGenericBuild(gw.provisioning.buildsDir, { os: 'linux', format: 'tar.gz' });
  for (const u of [ADMIN, ALICE, BOB, FORMER]) await gw.user(u, PW);
  gw.services.store.accounts.setAdmin(ADMIN, true);
  gw.services.store.accounts.setAdmin(FORMER, true);
  browser = await launchChromium();
  adminTab = await openPage(browser);
  assert.equal(await signInForm(adminTab.page, gw.url, ADMIN, PW), 303);
});

after(async () => {
  await adminTab?.close();
  await browser?.close();
  await gw?.destroy();
});

test('the Message log finds a message like `log search` does, pages, and exports the result as formula-safe CSV', { skip }, async () => {
  const alice = await online(gw.xmppPort!, ALICE);
  const bob = await online(gw.xmppPort!, BOB);
  const body = '=SUM(1+1) needle, "quoted"';
  alice.send(`<message type='chat' to='${BOB}' id='m1'><body>${body.replaceAll('"', '&quot;')}</body></message>`);
  alice.send(`<message type='chat' to='${BOB}' id='m2'><body>no match here</body></message>`);
  await bob.next((e) => bodyOf(e) === 'no match here');
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/log`);
  await page.fill('#log-user', ALICE);
  await page.fill('#log-text', 'NEEDLE');
  await Promise.all([page.waitForEvent('load'), page.click('form[data-log-search] button')]);
  const rows = page.locator('table[data-log] tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match((await rows.first().textContent()) ?? '', /alice@example\.com\/desk.*bob@example\.com.*=SUM\(1\+1\) needle, "quoted"/);
  // The same as the CLI's search.
  const r = await cli(gw, ['log', 'search', '--user', ALICE, '--text', 'NEEDLE']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  assert.match(r.stderr, /^1 message\(s\)/);
  // The days on disk with their sizes.
  assert.match((await page.textContent('table[data-days]')) ?? '', new RegExp(`${new Date().toISOString().slice(0, 10)}\\s*\\d+(\\.\\d)? (B|KiB)`));
  // CSV export of the result.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[data-csv]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.split('\r\n');
  assert.equal(lines[0], 'time,type,from,to,body,encrypted,attachments');
  assert.match(lines[1]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z,chat,alice@example\.com\/desk,bob@example\.com,"'=SUM\(1\+1\) needle, ""quoted""",,$/);
  assert.equal(lines.length, 3, 'one record and the final CRLF');
  assert.ok(auditEntries(gw.dataDir).some((e) => e.who === ADMIN && e.action === 'log.export' && e.target === ALICE));
  // A bad day is said, not a crash.
  await page.goto(`${gw.url}/admin/log?since=2026-02-30`);
  assert.match((await page.textContent('[role="alert"]')) ?? '', /since/);
  alice.kill();
  bob.kill();
});

test('a quarantined SEM file is retried from the Scripts page and then delivered', { skip }, async () => {
  const carol = 'carol@example.com';
  drop(spool, 'IM-0700', sem(carol, 'monitoring@example.com', 'disk almost full'));
  drop(spool, 'IM-0701', sem('nobody@example.com', 'monitoring@example.com', 'to be deleted'));
  await waitFor(() => badReason(spool, 'IM-0700.SEM'), 5000, 'IM-0700 in bad/');
  await waitFor(() => badReason(spool, 'IM-0701.SEM'), 5000, 'IM-0701 in bad/');
  // The recipient exists now: the retry can succeed.
  await gw.user(carol, PW);
  const c = await online(gw.xmppPort!, carol);
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/scripts`);
  const row = page.locator('tr[data-bad-file="IM-0700.SEM"]');
  assert.match((await row.textContent()) ?? '', /carol@example\.com is not a user here/);
  await Promise.all([page.waitForEvent('load'), row.locator('button', { hasText: 'Retry' }).click()]);
  const got = await c.next((e) => bodyOf(e) === 'disk almost full', 5000);
  assert.equal(got.attrs.from, 'monitoring@example.com');
  assert.equal(existsSync(path.join(spool, 'bad', 'IM-0700.SEM')), false);
  assert.equal(existsSync(path.join(spool, 'bad', 'IM-0700.SEM.reason')), false);
  await page.reload();
  assert.equal(await page.textContent('[data-sent-today]'), '1');
  // Delete asks first; cancelled, the file stays; confirmed, it goes.
  const del = page.locator('tr[data-bad-file="IM-0701.SEM"] button', { hasText: 'Delete' });
  const dialog = page.locator('dialog[data-confirm-dialog]');
  await del.click();
  await dialog.waitFor({ state: 'visible' });
  await dialog.locator('button[value="cancel"]').click();
  assert.ok(existsSync(path.join(spool, 'bad', 'IM-0701.SEM')));
  await del.click();
  await dialog.waitFor({ state: 'visible' });
  await Promise.all([page.waitForEvent('load'), dialog.locator('button[value="ok"]').click()]);
  assert.equal(existsSync(path.join(spool, 'bad', 'IM-0701.SEM')), false);
  const actions = auditEntries(gw.dataDir).map((e) => `${e.who} ${e.action} ${e.target}`);
  assert.ok(actions.includes(`${ADMIN} spool.retry IM-0700.SEM`), JSON.stringify(actions));
  assert.ok(actions.includes(`${ADMIN} spool.delete IM-0701.SEM`));
  // The rule editor's preview expands the engine's macros on the sample message as the admin types
  // (the editor itself: admin-editors.test.ts).
  await page.fill('#rule-template', 'Mail from $SENDER$: $SUBJECT$ $NOPE$');
  await page.waitForFunction(() => document.querySelector('[data-preview-body]')?.textContent?.startsWith('Mail from'));
  assert.equal(await page.textContent('[data-preview-body]'), 'Mail from Jane Sample <jane.sample@example.net>: Quarterly report $NOPE$');
  c.kill();
});

test('closing a room from the Rooms page: the occupant gets the XEP-0045 destroy presence with the reason', { skip }, async () => {
  const alice = await online(gw.xmppPort!, ALICE, 'muc');
  await join(alice, ROOM, 'Alice');
  alice.send(`<message type='groupchat' to='${ROOM}'><subject>Release planning</subject></message>`);
  await alice.next((e) => e.name === 'message' && e.getChildText('subject') === 'Release planning');
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/rooms`);
  const row = page.locator(`tr[data-room="${ROOM}"]`);
  assert.match((await row.textContent()) ?? '', /Release planning.*alice@example\.com \(owner\).*Alice/s);
  await row.locator('input[name="reason"]').fill('moved to #planning');
  await row.locator('button').click();
  const dialog = page.locator('dialog[data-confirm-dialog]');
  await dialog.waitFor({ state: 'visible' });
  assert.match((await dialog.textContent()) ?? '', /Close team@conference\.example\.com\?/);
  await Promise.all([page.waitForEvent('load'), dialog.locator('button[value="ok"]').click()]);
  const p = await alice.next((e) => e.name === 'presence' && e.attrs.from === `${ROOM}/Alice` && e.attrs.type === 'unavailable');
  const x = p.getChild('x', NS_MUC_USER)!;
  assert.equal(x.getChild('destroy')?.getChildText('reason'), 'moved to #planning');
  assert.deepEqual(codes(p), [110]);
  assert.equal(await page.locator(`tr[data-room="${ROOM}"]`).count(), 0);
  assert.ok(auditEntries(gw.dataDir).some((e) => e.action === 'room.close' && e.target === ROOM && e.detail?.reason === 'moved to #planning'));
  alice.kill();
});

test('Packages shows the builds and the signing key fingerprint; Settings shows origins and masks secrets', { skip }, async () => {
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/packages`);
  assert.match((await page.textContent('table[data-builds]')) ?? '', /Herald-0\.1\.0-linux-x64\.tar\.gz.*0\.1\.0.*linux x64/s);
  assert.equal(await page.textContent('[data-fingerprint]'), fingerprintOf(gw.provisioning.key.publicJwk.x));
  // Bulk packages for example.com: a job with a progress bar, then the zip of every user's package.
  await page.selectOption('#bulk-domain', 'example.com');
  await page.click('form[data-bulk] button');
  await page.locator('[data-bulk-zip]').waitFor({ state: 'visible' });
  const users = gw.services.store.accounts.list('example.com').map((a) => a.address);
  assert.deepEqual(await page.locator('progress#bulk-bar').evaluate((el) => [(el as unknown as { value: number }).value, (el as unknown as { max: number }).max]), [users.length, users.length]);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-bulk-zip]')]);
  const py = 'import zipfile,sys,json; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(json.dumps([sorted(z.namelist()), z.read("manifest.csv").decode()]))';
  const [names, manifest] = JSON.parse(execFileSync('python3', ['-c', py, await download.path()], { encoding: 'utf8' })) as [string[], string];
  assert.deepEqual(names, [...users.map((u) => `${u}/Herald-0.1.0-linux-x64.tar.gz`), 'manifest.csv'].sort());
  assert.equal(manifest.trim().split('\r\n').length, users.length + 1);
  assert.ok(auditEntries(gw.dataDir).some((e) => e.action === 'package.bulk' && e.target === 'example.com' && e.detail?.users === users.length));
  await page.goto(`${gw.url}/admin/settings`);
  const cell = (key: string) => page.locator(`tr[data-key="${key}"] td`);
  assert.equal(await cell('xmpp.requireTls').nth(1).textContent(), 'command line');
  assert.equal(await cell('xmpp.requireTls').nth(1).getAttribute('data-origin'), 'command-line');
  assert.equal(await cell('admin.idleMinutes').nth(1).textContent(), 'default');
  assert.match((await cell('im.calendar.password').first().textContent()) ?? '', /hidden/);
  assert.equal((await page.content()).includes(CAL_SECRET), false, 'the secret is not on the page');
});

test('an account that is no longer an admin gets 403 from every new API route and page; signed out gets 401', { skip }, async () => {
  const tab = await openPage(browser);
  // A console session whose account lost the admin flag: the first request gets 403 (and the
  // session is closed, so every route is tried with a fresh one).
  const formerSession = async () => {
    gw.services.store.accounts.setAdmin(FORMER, true);
    assert.equal(await signInForm(tab.page, gw.url, FORMER, PW), 303);
    const token = (await tab.page.getAttribute('meta[name="csrf-token"]', 'content'))!;
    gw.services.store.accounts.setAdmin(FORMER, false);
    return token;
  };
  const routes: [string, string, unknown?][] = [
    ['GET', '/api/v1/admin/rooms'],
    ['POST', '/api/v1/admin/rooms/close', { room: ROOM }],
    ['GET', '/api/v1/admin/spool'],
    ['POST', '/api/v1/admin/spool/retry', { name: 'IM-1.SEM' }],
    ['POST', '/api/v1/admin/spool/delete', { name: 'IM-1.SEM' }],
    ['GET', '/api/v1/admin/log?user=alice@example.com'],
    ['GET', '/api/v1/admin/log/days'],
    ['GET', '/api/v1/admin/log.csv?user=alice@example.com'],
    ['POST', '/api/v1/admin/packages/bulk', { domain: 'example.com', build: 'Herald-0.1.0-linux-x64.tar.gz' }],
    ['GET', '/api/v1/admin/packages/bulk/x'],
    ['GET', '/api/v1/admin/packages/bulk/x/zip'],
  ];
  for (const [method, route, body] of routes) {
    const token = await formerSession();
    const r = await tab.page.evaluate(
      async ([m, u, b, t]) => {
        const res = await fetch(u!, { method: m!, headers: { 'content-type': 'application/json', 'x-csrf-token': t! }, body: m === 'GET' ? undefined : b! });
        return { status: res.status, text: await res.text() };
      },
      [method, route, JSON.stringify(body ?? {}), token],
    );
    assert.equal(r.status, 403, `${method} ${route}: ${r.text}`);
    assert.doesNotMatch(r.text, /alice|needle|IM-07/);
  }
  for (const p of ['/admin/rooms', '/admin/log?user=alice@example.com', '/admin/scripts', '/admin/packages', '/admin/settings']) {
    await formerSession();
    const res = await tab.page.goto(`${gw.url}${p}`);
    assert.equal(res?.status(), 403, p);
    assert.doesNotMatch((await tab.page.textContent('main')) ?? '', /needle|IM-07|Herald-0\.1\.0/);
  }
  await tab.close();
  for (const [method, route] of routes) {
    const res = await fetch(`${gw.url}${route}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
    assert.equal(res.status, 401, `${method} ${route} signed out`);
  }
});

test('forged posts without the CSRF token are refused, and change nothing', { skip }, async () => {
  drop(spool, 'IM-0800', sem('nobody@example.com', 'monitoring@example.com', 'stays'));
  await waitFor(() => badReason(spool, 'IM-0800.SEM'), 5000, 'IM-0800 in bad/');
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/scripts`);
  for (const [route, body] of [
    ['/api/v1/admin/spool/delete', { name: 'IM-0800.SEM' }],
    ['/api/v1/admin/spool/retry', { name: 'IM-0800.SEM' }],
    ['/api/v1/admin/rooms/close', { room: ROOM }],
  ] as const) {
    const status = await page.evaluate(async ([u, b]) => (await fetch(u!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b! })).status, [route, JSON.stringify(body)]);
    assert.equal(status, 403, route);
  }
  assert.ok(existsSync(path.join(spool, 'bad', 'IM-0800.SEM')), 'the file is still in bad/');
  // With the page's token the same request goes through (the refusals were the token's doing).
  const token = (await page.getAttribute('meta[name="csrf-token"]', 'content'))!;
  const ok = await page.evaluate(
    async ([b, t]) => (await fetch('/api/v1/admin/spool/delete', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': t! }, body: b! })).status,
    [JSON.stringify({ name: 'IM-0800.SEM' }), token],
  );
  assert.equal(ok, 200);
  // A path instead of a name is refused.
  const bad = await page.evaluate(
    async ([b, t]) => (await fetch('/api/v1/admin/spool/delete', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': t! }, body: b! })).status,
    [JSON.stringify({ name: '../../herald.db' }), token],
  );
  assert.equal(bad, 400);
});

test('screenshots of the Rooms, Message log, Scripts, Packages and Settings pages in light and dark, English and German', { skip }, async () => {
  // Something to show: a live room, a quarantined file, a logged message.
  const alice = await online(gw.xmppPort!, ALICE, 'shots');
  await join(alice, 'lunch@conference.example.com', 'Alice');
  alice.send(`<message type='chat' to='${BOB}'><body>lunch at noon?</body></message>`);
  drop(spool, 'IM-0900', sem('nobody@example.com', 'backup@example.com', 'backup done'));
  await waitFor(() => badReason(spool, 'IM-0900.SEM'), 5000, 'IM-0900 in bad/');
  for (const scheme of ['light', 'dark'] as const) {
    for (const locale of ['en', 'de'] as const) {
      const tab = await openPage(browser, { colorScheme: scheme, locale: locale === 'de' ? 'de-DE' : 'en-GB', viewport: { width: 1280, height: 800 } });
      await tab.context.addCookies((await adminTab.context.cookies()).filter((c) => c.name === 'herald_admin'));
      for (const [name, route] of [
        ['rooms', '/admin/rooms'],
        ['log', `/admin/log?user=${encodeURIComponent(ALICE)}`],
        ['scripts', '/admin/scripts'],
        ['packages', '/admin/packages'],
        ['settings', '/admin/settings'],
      ] as const) {
        await tab.page.goto(`${gw.url}${route}`);
        assert.equal(await tab.page.getAttribute('html', 'lang'), locale);
        await screenshot(tab.page, `admin-${name}-${scheme}-${locale}`);
      }
      assert.deepEqual(tab.problems, [], 'no exceptions or CSP violations');
      await tab.close();
    }
  }
  // A phone in dark mode: no page is wider than the screen (tables scroll inside their frame).
  const phone = await openPage(browser, { colorScheme: 'dark', viewport: { width: 390, height: 844 } });
  await phone.context.addCookies((await adminTab.context.cookies()).filter((c) => c.name === 'herald_admin'));
  for (const name of ['rooms', 'log', 'scripts', 'packages', 'settings']) {
    await phone.page.goto(`${gw.url}/admin/${name}${name === 'log' ? `?user=${encodeURIComponent(ALICE)}` : ''}`);
    const overflow = (await phone.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    await screenshot(phone.page, `admin-${name}-phone-dark-en`);
    assert.ok(overflow <= 0, `${name} is wider than a phone by ${overflow} px`);
  }
  await phone.close();
  // Keyboard: the Rooms page's close button is reached by Tab and opens the confirmation.
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/rooms`);
  await page.focus('tr[data-room="lunch@conference.example.com"] input[name="reason"]');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('dialog[data-confirm-dialog]').waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
  alice.kill();
});
