// The download page's Windows choice is the signed installer, stamped per user: with a signed
// Herald .exe (a real mingw-w64 program signed by osslsigncode, test/fixtures/signed-pe.ts) and a
// zip in the builds folder, a Windows browser is offered the installer; bob's download still
// passes `osslsigncode verify`, carries his provision in its signature, and the real desktop core
// — pointed at the installer as build/installer.nsh does — signs in as bob. The zip stays one
// button away. An unsigned .exe is never stamped. Screenshot: test/artifacts/download-windows-installer.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { systemClock } from '../../desktop/src/core/ports/clock.ts';
import { INSTALLER_PATH_FILE, readInstallerTag } from '../../desktop/src/core/provisioning/installer-tag.ts';
import { PROVISION_KEYS_FILE } from '../../desktop/src/core/provisioning/provision-sources.ts';
import { createSession } from '../../desktop/src/core/session/session.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import { MemorySecretStore } from '../../desktop/test-support/fake-ports.ts';
import { chromiumMissing, launchChromium, openPage, screenshot } from '../fixtures/chromium.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { makeGenericBuild } from '../fixtures/generic-build.ts';
import { makeSignedPe, osslVerify, signedPeUnavailable, type SignedPe } from '../fixtures/signed-pe.ts';

const skip = signedPeUnavailable() ?? chromiumMissing();
const WINDOWS_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const INSTALLER = 'Herald-0.1.0-win-x64.exe';

let root: string;
let buildsDir: string;
let pe: SignedPe;
let gw: TestGateway;
let browser: Browser;

before(async () => {
  if (skip) return;
  pe = makeSignedPe();
  root = mkdtempSync(path.join(tmpdir(), 'herald-download-exe-'));
  const dataDir = path.join(root, 'data');
  buildsDir = path.join(dataDir, 'builds');
  mkdirSync(buildsDir, { recursive: true });
  copyFileSync(pe.nsis ?? pe.signed, path.join(buildsDir, INSTALLER)); // a real NSIS installer where makensis is installed
  makeGenericBuild(buildsDir, { os: 'win', format: 'zip' });
  gw = await startTestGateway({ 'xmpp.enabled': false }, { dataDir });
  await gw.user('bob@example.com', 'bob password');
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await gw?.destroy();
  pe?.cleanup();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('Windows gets the signed installer, stamped for bob, still verified; the app it installs signs bob in', { skip }, async () => {
  const { page, problems, close } = await openPage(browser, { userAgent: WINDOWS_UA });
  await page.goto(`${gw.url}/download`);
  assert.equal(await page.locator('#platform').inputValue(), 'win-x64');
  const windows = await page.locator('#platform option[value="win-x64"]').textContent();
  assert.match(windows!, /^Windows \(64-bit\) — installer, \d+ KB$/);
  assert.match((await page.locator('#zip-hint').textContent())!, /Windows \(64-bit\): zip, \d+ KB/);
  await page.getByLabel('Mail address').fill('bob@example.com');
  await page.getByLabel('Password').fill('bob password');
  await screenshot(page, 'download-windows-installer');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download', exact: true }).click()]);
  assert.equal(download.suggestedFilename(), INSTALLER);
  const exe = path.join(root, 'Downloads', INSTALLER);
  await download.saveAs(exe);
  const v = osslVerify(exe, pe.caFile);
  assert.ok(v.ok && /Signature verification: ok/.test(v.output), v.output);
  const tag = JSON.parse((await readInstallerTag(exe))!.toString('utf8'));
  assert.ok(tag.signature, 'a provision in the signature');

  // The installed app: the company's build ships the gateway's key; the installer left its own
  // path in the resources (build/installer.nsh). The real desktop core reads the tag and enrolls.
  const resources = mkdtempSync(path.join(root, 'resources-'));
  writeFileSync(path.join(resources, PROVISION_KEYS_FILE), JSON.stringify(gw.provisioning.key.keySet));
  writeFileSync(path.join(resources, INSTALLER_PATH_FILE), `${exe}\r\n`);
  const userData = mkdtempSync(path.join(root, 'user-'));
  const session = createSession({ storage: createDirStorage(userData), secrets: new MemorySecretStore(), clock: systemClock, places: { resourcesDir: resources, userDataDir: userData }, deviceName: 'bob pc' });
  const r = await session.start();
  assert.ok('signedIn' in r, JSON.stringify(r));
  assert.equal(r.signedIn.user.address, 'bob@example.com');
  assert.deepEqual(problems, []);
  await close();
});

test('the portable zip is one button away; an unsigned installer is served as it is, never stamped', { skip }, async () => {
  const { page, close } = await openPage(browser, { userAgent: WINDOWS_UA });
  await page.goto(`${gw.url}/download`);
  await page.getByLabel('Mail address').fill('bob@example.com');
  await page.getByLabel('Password').fill('bob password');
  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the portable zip instead' }).click()]);
  assert.equal(zip.suggestedFilename(), 'Herald-0.1.0-win-x64.zip');
  const file = path.join(root, 'bob.zip');
  await zip.saveAs(file);
  assert.match(spawnSync('unzip', ['-l', file], { encoding: 'utf8' }).stdout, /resources\/provision\.json/);

  // The zip button with a computer that has no zip: said plainly, before the password is checked.
  await page.goto(`${gw.url}/download`);
  await page.getByLabel('Mail address').fill('bob@example.com');
  await page.getByLabel('Password').fill('not checked');
  await page.getByLabel('Your computer').selectOption('linux-x64');
  const [noZip] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Download the portable zip instead' }).click()]);
  assert.equal(noZip!.status(), 404);
  assert.equal(await page.locator('h1').textContent(), 'No portable zip for Linux (64-bit)');

  // Replace the installer by the same program unsigned: the zip is the Windows choice again.
  copyFileSync(pe.unsigned, path.join(buildsDir, INSTALLER));
  await page.goto(`${gw.url}/download`);
  assert.match((await page.locator('#platform option[value="win-x64"]').textContent())!, /— zip, /);
  assert.equal(await page.locator('#zip-hint').count(), 0);
  // …and the raw route serves it byte for byte, as any installer that cannot be stamped.
  const res = await fetch(`${gw.url}/download/files/${INSTALLER}`);
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(pe.unsigned)));
  await close();
});
