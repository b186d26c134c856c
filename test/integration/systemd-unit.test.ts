// deploy/herald-gateway.service (issue 15): systemd's own checks, run on the file as shipped —
// `systemd-analyze verify` (syntax, directives, the command it starts) and the offline security
// review, which must keep the unit's hardening (NoNewPrivileges, ProtectSystem=strict, no
// capabilities, ...) at an exposure of "OK" or better. `serve` stopping on SIGTERM as the unit's
// KillSignal asks is tested in gateway-shutdown.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const unitFile = path.join(root, 'deploy', 'herald-gateway.service');
const INSTALLED = '/usr/local/bin/herald-gateway';

let analyze: string | undefined;
try {
  analyze = execFileSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).trim() || undefined;
} catch {
  analyze = undefined;
}
const skip = analyze ? false : 'systemd-analyze is not installed (Debian package systemd)';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The unit as shipped, its ExecStart pointed at this checkout's bin when herald-gateway is not installed here. */
function unitHere(text = readFileSync(unitFile, 'utf8')): string {
  const file = path.join(dir, 'herald-gateway.service');
  writeFileSync(file, text.replaceAll(INSTALLED, path.join(root, 'bin', 'herald-gateway.mjs')));
  return file;
}

test('the unit starts the installed herald-gateway serve as the herald user, on /var/lib/herald', () => {
  const unit = readFileSync(unitFile, 'utf8');
  assert.match(unit, new RegExp(`^ExecStart=${INSTALLED} serve --config /etc/herald/config.json --data /var/lib/herald$`, 'm'));
  assert.match(unit, /^User=herald$/m);
  assert.match(unit, /^ReadWritePaths=\/var\/lib\/herald$/m);
});

test('systemd-analyze verify accepts the unit', { skip }, async () => {
  const r = await exec(analyze!, ['verify', unitHere()]).catch((e: { code: number; stderr: string }) => e);
  assert.equal('code' in r ? r.code : 0, 0, r.stderr);
  // verify exits 0 on some warnings: none may name the unit.
  assert.doesNotMatch(r.stderr, /herald-gateway\.service/);
});

test('systemd-analyze verify refuses a broken unit (the check can fail)', { skip }, async () => {
  const broken = readFileSync(unitFile, 'utf8').replace('ProtectSystem=strict', 'ProtectSystem=stricter');
  const r = await exec(analyze!, ['verify', unitHere(broken)]).catch((e: { code: number; stderr: string }) => e);
  // A bad value is a warning naming the file and line (exit 0): what the test above refuses.
  assert.match(r.stderr, /herald-gateway\.service:\d+: Failed to parse protect system value/);
});

/** The overall exposure systemd-analyze security --offline=yes gives the unit (0 best, 10 worst). */
async function exposure(text?: string): Promise<number> {
  const r = await exec(analyze!, ['security', '--offline=yes', '--no-pager', unitHere(text)]).catch((e: { stdout: string; stderr: string }) => e);
  const m = /Overall exposure level for herald-gateway\.service: ([\d.]+)/.exec(r.stdout);
  assert.ok(m, `no exposure level in:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

test('systemd-analyze security rates the unit OK (exposure below 2), and would not without its hardening', { skip }, async (t) => {
  const level = await exposure();
  t.diagnostic(`exposure ${level}`);
  assert.ok(level < 2, `exposure ${level}`);
  const bare = readFileSync(unitFile, 'utf8')
    .split('\n')
    .filter((l) => !/^(NoNewPrivileges|CapabilityBoundingSet|ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|SystemCallFilter|RestrictAddressFamilies|RestrictNamespaces)=/.test(l))
    .join('\n');
  assert.ok((await exposure(bare)) > level + 2);
});
