// Start at login on Linux: an XDG autostart entry written and removed in a real (temporary)
// config folder, with the Exec line quoted as the Desktop Entry spec says; Electron's login item
// API on macOS/Windows through a fake app object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { electronStartup, xdgStartup } from './autostart.ts';

test('Linux: the XDG autostart entry is created, read back, and removed', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'herald-xdg-'));
  const s = xdgStartup({ configHome: home, exec: '/opt/Herald App/herald', args: ['--hidden'] });
  assert.deepEqual(await s.get(), { openAtLogin: false, supported: true });
  assert.deepEqual(await s.set(true), { openAtLogin: true, supported: true });
  const file = path.join(home, 'autostart', 'herald.desktop');
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^\[Desktop Entry\]\nType=Application\nName=Herald\nExec="\/opt\/Herald App\/herald" --hidden\n/);
  assert.deepEqual(await s.set(false), { openAtLogin: false, supported: true });
  assert.equal(existsSync(file), false);
  // An entry the user disabled in their desktop's settings counts as off.
  writeFileSync(file, '[Desktop Entry]\nType=Application\nExec=herald\nHidden=true\n');
  assert.deepEqual(await s.get(), { openAtLogin: false, supported: true });
  rmSync(home, { recursive: true, force: true });
});

test('Exec quoting: quotes, backslashes, dollars and backticks are escaped', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'herald-xdg-'));
  await xdgStartup({ configHome: home, exec: '/home/a"b/$x`y`\\z/herald', args: [] }).set(true);
  assert.match(readFileSync(path.join(home, 'autostart', 'herald.desktop'), 'utf8'), /^Exec="\/home\/a\\"b\/\\\$x\\`y\\`\\\\z\/herald"$/m);
  rmSync(home, { recursive: true, force: true });
});

test('macOS/Windows: Electron’s login item settings, started hidden', async () => {
  const calls: unknown[] = [];
  let on = false;
  const s = electronStartup({ getLoginItemSettings: () => ({ openAtLogin: on }), setLoginItemSettings: (x) => void (calls.push(x), (on = x.openAtLogin)) });
  assert.deepEqual(await s.set(true), { openAtLogin: true, supported: true });
  assert.deepEqual(calls, [{ openAtLogin: true, openAsHidden: true, args: ['--hidden'] }]);
});
