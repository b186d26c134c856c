// The download page (/download) end to end in Debian's Chromium against our real gateway: bob
// signs in, his computer is preselected, he downloads his package, and the app inside (the real
// desktop core) signs in as bob with no questions. Also: a wrong password, a platform without a
// build, an installer (sign-in link beside it), keyboard only, and the form's defences (CSRF,
// foreign origin, size, type, rate limit) — each answered with a clear page and nothing issued.
// Screenshots go to test/artifacts/download-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseDeepLink } from '../../desktop/src/core/provisioning/provision-sources.ts';
import { verifyProvision } from '../../desktop/src/core/provisioning/provision-verify.ts';
import { systemClock } from '../../desktop/src/core/ports/clock.ts';
import { createSession } from '../../desktop/src/core/session/session.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import { MemorySecretStore } from '../../desktop/test-support/fake-ports.ts';
import { launchChromium, openPage, screenshot } from '../fixtures/chromium.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { writeChannelFile } from '../fixtures/channel-file.ts';
import { makeGenericBuild, resourcesPathOf, unpack } from '../fixtures/generic-build.ts';

const WINDOWS_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const MAC_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

let root: string;
let gw: TestGateway;
let browser: Browser;
let buildsDir: string;

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-download-'));
  const dataDir = path.join(root, 'data');
  buildsDir = path.join(dataDir, 'builds');
  mkdirSync(buildsDir, { recursive: true });
  makeGenericBuild(buildsDir, { os: 'linux', format: 'tar.gz', appBytes: 2_000_000 });
  makeGenericBuild(buildsDir, { os: 'win', format: 'zip' });
  writeFileSync(path.join(buildsDir, 'Herald-0.1.0-mac-arm64.dmg'), Buffer.alloc(300_000, 9)); // an installer: cannot be stamped
  writeChannelFile(buildsDir, 'latest-mac.yml', ['Herald-0.1.0-mac-arm64.dmg']); // its build vouches for it (build-catalog.ts)
  writeFileSync(path.join(buildsDir, 'notes.txt'), 'not a build');
  gw = await startTestGateway({ 'xmpp.enabled': false, 'rateLimit.perPair': 3 }, { dataDir });
  await gw.user('bob@example.com', 'bob password');
  await gw.user('frank@example.com', 'frank password');
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await gw.destroy();
  rmSync(root, { recursive: true, force: true });
});

const selected = (page: Page) => page.locator('#platform').inputValue();

async function signIn(page: Page, user: string, password: string, platform?: string) {
  await page.getByLabel('Mail address').fill(user);
  await page.getByLabel('Password').fill(password);
  if (platform) await page.getByLabel('Your computer').selectOption(platform);
}

test('bob downloads his package for the preselected Linux and the app inside signs in as bob with no questions', async () => {
  const { page, problems, close } = await openPage(browser);
  const res = await page.goto(`${gw.url}/download`);
  assert.equal(res!.status(), 200);
  const csp = res!.headers()['content-security-policy']!;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /form-action 'self'/);
  assert.equal(await page.title(), 'Download Herald');
  assert.equal(await selected(page), 'linux-x64', 'Debian Chromium says Linux x86_64');
  const options = await page.locator('#platform option').allTextContents();
  assert.ok(options.some((o) => /^Linux \(64-bit\) — tar\.gz, 2\.\d MB$/.test(o)), options.join(' | '));
  assert.ok(options.includes('macOS (Intel) — not available yet'));
  assert.ok(options.some((o) => /^macOS \(Apple silicon\) — dmg installer/.test(o)));
  await screenshot(page, 'download-form-linux');

  await signIn(page, 'bob@example.com', 'bob password');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(download.suggestedFilename(), 'Herald-0.1.0-linux-x64.tar.gz');
  const file = path.join(root, 'bob-download.tar.gz');
  await download.saveAs(file);
  const listed = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  assert.equal(listed.stdout.split('\n')[0], 'Herald-0.1.0/resources/provision.json');
  assert.deepEqual(problems, [], 'no console error, no CSP violation');
  await close();

  // The app inside: unpacked by tar, started with the real desktop core.
  const app = unpack(file, path.join(root, 'bob-app'));
  const userData = mkdtempSync(path.join(root, 'bob-user-'));
  const session = createSession({ storage: createDirStorage(userData), secrets: new MemorySecretStore(), clock: systemClock, places: { resourcesDir: path.join(app, resourcesPathOf('linux')), userDataDir: userData }, deviceName: 'bob laptop' });
  const r = await session.start();
  assert.ok('signedIn' in r, JSON.stringify(r));
  assert.equal(r.signedIn.user.address, 'bob@example.com');
  assert.equal(r.signedIn.gatewayUrl, gw.url);
});

test('Windows is preselected for a Windows browser and the zip download is stamped', async () => {
  const { page, close } = await openPage(browser, { userAgent: WINDOWS_UA });
  await page.goto(`${gw.url}/download`);
  assert.equal(await selected(page), 'win-x64');
  await screenshot(page, 'download-form-windows');
  await signIn(page, 'bob@example.com', 'bob password');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(download.suggestedFilename(), 'Herald-0.1.0-win-x64.zip');
  const file = path.join(root, 'bob-win.zip');
  await download.saveAs(file);
  const t = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
  assert.equal(t.status, 0, t.stdout);
  assert.match(t.stdout, /testing: resources\/provision\.json\s+OK/);
  await close();
});

test('a wrong password shows the form again with a clear error, the address kept, nothing downloaded', async () => {
  const { page, problems, close } = await openPage(browser);
  await page.goto(`${gw.url}/download`);
  await signIn(page, 'bob@example.com', 'not his password');
  let downloaded = false;
  page.on('download', () => (downloaded = true));
  const [res] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(res!.status(), 401);
  assert.equal((await page.getByRole('alert').textContent())?.trim(), 'Wrong mail address or password.');
  assert.equal(await page.getByLabel('Mail address').inputValue(), 'bob@example.com');
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is never sent back');
  assert.equal(await page.getByLabel('Password').getAttribute('aria-describedby'), 'form-error');
  assert.equal(await selected(page), 'linux-x64');
  await screenshot(page, 'download-wrong-password');
  assert.equal(downloaded, false);
  assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
  await close();
});

test('a platform without a build gets a clear page, before any password check', async () => {
  const { page, close } = await openPage(browser, { userAgent: MAC_UA, headers: { 'sec-ch-ua-arch': '"x86"', 'sec-ch-ua-platform': '"macOS"' } });
  await page.goto(`${gw.url}/download`);
  assert.equal(await selected(page), 'mac-x64', 'client hints say an Intel Mac');
  await signIn(page, 'bob@example.com', 'any password');
  const [res] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(res!.status(), 404);
  assert.equal(await page.locator('h1').textContent(), 'No Herald for macOS (Intel) yet');
  assert.match((await page.locator('main').textContent())!, /Nothing was downloaded and your password was not checked\./);
  await screenshot(page, 'download-missing-build');
  await page.getByRole('link', { name: 'Choose another computer' }).click();
  assert.equal(await page.title(), 'Download Herald');
  await close();
});

test('an installer is served as it is, with the user’s one-time sign-in link beside it', async () => {
  const { page, close } = await openPage(browser, { userAgent: MAC_UA });
  await page.goto(`${gw.url}/download`);
  assert.equal(await selected(page), 'mac-arm64', 'a Mac without hints: Apple silicon');
  await signIn(page, 'bob@example.com', 'bob password');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(await page.locator('h1').textContent(), 'Herald for macOS (Apple silicon)');
  const link = await page.getByRole('link', { name: 'Sign in to Herald' }).getAttribute('href');
  const v = verifyProvision(parseDeepLink(link!), { trusted: gw.provisioning.key.keySet.keys, origin: 'deep-link', now: Date.now() });
  assert.equal(v.payload.user, 'bob@example.com');
  await screenshot(page, 'download-installer');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download Herald-0\.1\.0-mac-arm64\.dmg/ }).click()]);
  const file = path.join(root, 'installer.dmg');
  await download.saveAs(file);
  assert.ok(readFileSync(file).equals(readFileSync(path.join(buildsDir, 'Herald-0.1.0-mac-arm64.dmg'))), 'the installer byte for byte');
  await close();
});

test('on a phone-sized screen in dark mode the page fits without sideways scrolling', async () => {
  const { page, problems, close } = await openPage(browser, { viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
  await page.goto(`${gw.url}/download`);
  assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true);
  const bg = await page.evaluate('getComputedStyle(document.querySelector("main")).backgroundColor');
  assert.equal(bg, 'rgb(32, 35, 41)', 'the dark palette applies');
  await screenshot(page, 'download-phone-dark');
  assert.deepEqual(problems, []);
  await close();
});

test('keyboard only: Tab through labelled fields and Enter downloads', async () => {
  const { page, close } = await openPage(browser);
  await page.goto(`${gw.url}/download`);
  await page.keyboard.press('Tab');
  assert.equal(await page.locator(':focus').getAttribute('id'), 'user');
  await page.keyboard.type('bob@example.com');
  await page.keyboard.press('Tab');
  assert.equal(await page.locator(':focus').getAttribute('id'), 'password');
  await page.keyboard.type('bob password');
  await page.keyboard.press('Tab');
  assert.equal(await page.locator(':focus').getAttribute('id'), 'platform');
  await page.keyboard.press('Tab');
  assert.equal(await page.locator(':focus').evaluate((e) => e.nodeName), 'BUTTON');
  await screenshot(page, 'download-keyboard-focus');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  assert.equal(download.suggestedFilename(), 'Herald-0.1.0-linux-x64.tar.gz');
  await close();
});

/** A raw POST (no browser, node:http: fetch would drop an Origin header): the form, with the cookie and headers given. */
function post(body: string, headers: Record<string, string>): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(`${gw.url}/download`);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: '/download', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
async function formToken(): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${gw.url}/download`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const csrf = (await res.text()).match(/name="csrf" value="([^"]+)"/)![1]!;
  return { cookie, csrf };
}

test('the form’s defences: CSRF token, foreign origins, body size and type, rate limit — each a clear page', async () => {
  const issuedBefore = gw.services.tokens.listDevices('bob@example.com').length;
  const { cookie, csrf } = await formToken();
  assert.match(cookie, /^herald_download_csrf=/);
  const fields = (o: Record<string, string>) => new URLSearchParams({ user: 'bob@example.com', password: 'bob password', platform: 'linux-x64', csrf, ...o }).toString();

  const noCookie = await post(fields({}), {});
  assert.equal(noCookie.status, 403);
  assert.match(noCookie.text, /The page had expired\. Please enter your details again\./);
  const wrongToken = await post(fields({ csrf: 'x'.repeat(43) }), { cookie });
  assert.equal(wrongToken.status, 403);
  const crossSite = await post(fields({}), { cookie, 'sec-fetch-site': 'cross-site' });
  assert.equal(crossSite.status, 403);
  assert.match(crossSite.text, /sent from another web site/);
  const foreignOrigin = await post(fields({}), { cookie, origin: 'https://evil.example.net' });
  assert.equal(foreignOrigin.status, 403);
  const tooLarge = await post(fields({ user: 'a'.repeat(9000) }), { cookie });
  assert.equal(tooLarge.status, 413);
  const json = await post(JSON.stringify({ user: 'bob@example.com' }), { cookie, 'content-type': 'application/json' });
  assert.equal(json.status, 415);
  const noPlatform = await post(fields({ platform: 'amiga' }), { cookie });
  assert.equal(noPlatform.status, 400);
  assert.match(noPlatform.text, /Choose your computer from the list\./);
  const badAddress = await post(fields({ user: 'bob' }), { cookie });
  assert.equal(badAddress.status, 400);
  assert.match(badAddress.text, /That is not a mail address/);

  // A non-browser client with the cookie and the token (no Origin, no Fetch Metadata) is served.
  const ok = await fetch(`${gw.url}/download`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: fields({}) });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'application/gzip');
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  assert.equal(Number(ok.headers.get('content-length')), (await ok.arrayBuffer()).byteLength);
  assert.equal(gw.services.tokens.listDevices('bob@example.com').length, issuedBefore, 'downloading enrolls no device by itself');

  // frank guesses: the limit per account and address (3 here) turns further tries into 429 with Retry-After.
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await post(fields({ user: 'frank@example.com', password: 'guess' }), { cookie })).status);
  assert.deepEqual(statuses, [401, 401, 401, 429]);
  const limited = await post(fields({ user: 'frank@example.com', password: 'frank password' }), { cookie });
  assert.equal(limited.status, 429, 'even the right password waits');
  assert.match(limited.text, /Too many failed sign-ins\. Try again in \d+ minute\(s\)\./);
  assert.ok(Number(limited.headers['retry-after']) > 0);

  // Every password-hash slot taken (rateLimit.maxConcurrentHashes): refused at once, not queued.
  const releases: (() => void)[] = [];
  const held = [0, 1].map(() => gw.services.hashGate.run(() => new Promise<void>((r) => releases.push(r))));
  const busy = await post(fields({}), { cookie });
  assert.equal(busy.status, 429);
  assert.equal(busy.headers['retry-after'], '1');
  assert.match(busy.text, /The server is busy with other sign-ins\. Try again in a moment\./);
  for (const r of releases) r();
  await Promise.all(held);
});

test('the package is streamed from the build file: nothing is written while a download is under way', async () => {
  const snapshot = () =>
    readdirSync(gw.dataDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('herald.db'))
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
  const beforeFiles = snapshot();
  const { cookie, csrf } = await formToken();
  const body = new URLSearchParams({ user: 'bob@example.com', password: 'bob password', platform: 'linux-x64', csrf }).toString();
  const url = new URL(`${gw.url}/download`);
  await new Promise<void>((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: '/download', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), cookie } }, (res) => {
      assert.equal(res.statusCode, 200);
      res.once('data', () => {
        res.pause(); // a slow client: the gateway holds only what the socket buffers
        setTimeout(() => {
          try {
            assert.deepEqual(snapshot(), beforeFiles, 'no temporary file in the data folder');
            res.destroy();
            resolve();
          } catch (e) {
            reject(e);
          }
        }, 200);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
  const still = await gw.api('GET', '/api/v1/health');
  assert.equal(still.status, 200, 'an aborted download disturbs nothing');
});

test('with provisioning.downloadPage off there is no /download', async () => {
  const off = await startTestGateway({ 'xmpp.enabled': false, 'provisioning.downloadPage': false });
  try {
    const res = await fetch(`${off.url}/download`);
    assert.equal(res.status, 404);
  } finally {
    await off.destroy();
  }
});
