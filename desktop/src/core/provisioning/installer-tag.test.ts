// How the app finds the installer it was installed from (the path build/installer.nsh writes as
// UTF-16LE with a BOM, or `--provisioned-by=`), and that a file there which is not a signed
// program is reported, not thrown. The tag itself on a real signed program:
// test/integration/pe-tag-signed.test.ts; on synthetic ones: gateway/src/provisioning/pe-tag.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { INSTALLER_PATH_FILE, installerPathArg, installerPathIn, readInstallerTag } from './installer-tag.ts';
import { findProvision } from './provision-sources.ts';
import { ProvisionError } from './provision-verify.ts';

let root: string;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-installer-tag-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('the installer path: UTF-16LE with BOM as NSIS writes it, UTF-8, the command line; nothing when absent', async () => {
  const win = 'C:\\Users\\Jürgen Ølsen\\Downloads\\Herald-1.0.0-win-x64.exe';
  const dir = mkdtempSync(path.join(root, 'res-'));
  assert.equal(await installerPathIn(dir), undefined);
  assert.equal(await installerPathIn(undefined), undefined);
  writeFileSync(path.join(dir, INSTALLER_PATH_FILE), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(win, 'utf16le')]));
  assert.equal(await installerPathIn(dir), win);
  writeFileSync(path.join(dir, INSTALLER_PATH_FILE), `\uFEFF${win}\r\nignored`);
  assert.equal(await installerPathIn(dir), win);
  writeFileSync(path.join(dir, INSTALLER_PATH_FILE), Buffer.alloc(20_000, 0x41));
  assert.equal(await installerPathIn(dir), undefined, 'an oversized file is ignored');
  assert.equal(installerPathArg(['Herald.exe', '--hidden', `--provisioned-by=${win}`]), win);
  assert.equal(installerPathArg(['Herald.exe', '--provisioned-by=']), undefined);
  assert.equal(installerPathArg(['Herald.exe']), undefined);
});

test('a file at the installer path that is not a signed program is a malformed provision, reported with its origin', async () => {
  const notPe = path.join(root, 'not-a-program.exe');
  writeFileSync(notPe, 'just text, not MZ '.repeat(20));
  await assert.rejects(readInstallerTag(notPe), (e: unknown) => e instanceof ProvisionError && e.reason === 'malformed' && /not a Windows program/.test(e.message));
  const empty = path.join(root, 'empty.exe');
  writeFileSync(empty, '');
  await assert.rejects(readInstallerTag(empty), (e: unknown) => e instanceof ProvisionError && /ends inside/.test(e.message));
  const r = await findProvision({ places: { installer: notPe }, trusted: [], used: new Set(), now: Date.now() });
  assert.equal(r.found, undefined);
  assert.deepEqual(r.problems.map((p) => [p.origin, p.error.reason]), [['installer', 'malformed']]);
  const gone = await findProvision({ places: { installer: path.join(root, 'deleted.exe') }, trusted: [], used: new Set(), now: Date.now() });
  assert.deepEqual(gone, { problems: [] }, 'a deleted installer is simply not a source');
});
