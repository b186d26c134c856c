// Node versions stated and used (issue 15): the gateway runs on the Node its package.json `engines`
// names (>= 20.19), so every package the root package-lock.json installs must accept that Node —
// else `npm ci` on the gateway's Node prints EBADENGINE (it printed 25 lines while electron and
// electron-builder, which want Node >= 22.12, were root devDependencies). The desktop build
// toolchain lives in desktop/packaging/ with its own lock and `engines` (>= 22.12); scripts that
// need it and find it missing say so in one sentence naming `npm run packaging:install`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');
// semver (npm's own range rules) is in the root lock already (node-abi, eslint's resolver use it); no types are installed.
const semver = createRequire(import.meta.url)('semver') as { minVersion(range: string): { version: string } | null; satisfies(v: string, range: string): boolean };

interface Manifest {
  engines?: { node?: string };
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
interface Lock {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
}
const json = <T>(file: string) => JSON.parse(readFileSync(path.join(REPO, file), 'utf8')) as T;

/** The lock's packages whose `engines.node` the given Node does not satisfy (what npm ci warns EBADENGINE for). */
function engineConflicts(lock: Lock, node: string): string[] {
  const out: string[] = [];
  for (const [where, p] of Object.entries(lock.packages)) {
    if (where === '' || !p.engines || Array.isArray(p.engines) || !p.engines.node) continue;
    if (!semver.satisfies(node, p.engines.node)) out.push(`${where.replace(/^.*node_modules\//, '')}@${p.version} wants Node ${p.engines.node}`);
  }
  return out;
}

const root = json<Manifest>('package.json');
const gatewayNode = semver.minVersion(root.engines?.node ?? '')?.version;

test('every package the root lock installs accepts the oldest Node the gateway states (package.json engines): npm ci on it is quiet', () => {
  assert.ok(gatewayNode, `package.json engines.node: ${root.engines?.node}`);
  assert.equal(gatewayNode.split('.')[0], '20', 'the gateway runs on Node 20 (ci.yml: node:20-bookworm)');
  assert.deepEqual(engineConflicts(json<Lock>('package-lock.json'), gatewayNode), []);
  // CI (ci.yml) runs the gateway's Node major.
  assert.match(readFileSync(path.join(REPO, '.github/workflows/ci.yml'), 'utf8'), /container: node:20-bookworm/);
});

test('the check finds what npm ci warns about: electron in the lock, a runtime package newer than engines', () => {
  const lock: Lock = {
    packages: {
      '': { engines: { node: '>=20.19' } },
      'node_modules/electron': { version: '45.5.0', engines: { node: '>= 22.12.0' } },
      'node_modules/@electron/get': { version: '4.0.2', engines: { node: '>=22.12.0' } },
      'node_modules/@xmpp/client': { version: '0.14.0', engines: { node: '>= 20.10' } },
      'node_modules/a/node_modules/old': { version: '1.0.0', engines: ['node >= 0.4'] },
      'node_modules/koa': { version: '3.3.0', engines: { node: '>= 18' } },
    },
  };
  assert.deepEqual(engineConflicts(lock, '20.19.0'), ['electron@45.5.0 wants Node >= 22.12.0', '@electron/get@4.0.2 wants Node >=22.12.0']);
  assert.deepEqual(engineConflicts(lock, '20.6.0'), ['electron@45.5.0 wants Node >= 22.12.0', '@electron/get@4.0.2 wants Node >=22.12.0', '@xmpp/client@0.14.0 wants Node >= 20.10']);
  assert.deepEqual(engineConflicts(lock, '22.12.0'), []);
});

test('electron and electron-builder are the desktop build toolchain’s (desktop/packaging, Node >= 22.12, its own lock), not the root’s', () => {
  for (const name of ['electron', 'electron-builder']) {
    assert.equal(root.dependencies?.[name], undefined, `${name} in root dependencies`);
    assert.equal(root.devDependencies?.[name], undefined, `${name} in root devDependencies`);
    assert.equal(json<Lock>('package-lock.json').packages[`node_modules/${name}`], undefined, `${name} in the root lock`);
  }
  const packaging = json<Manifest & { private?: boolean }>('desktop/packaging/package.json');
  assert.equal(packaging.private, true);
  assert.equal(semver.minVersion(packaging.engines?.node ?? '')?.version, '22.12.0');
  const lock = json<Lock>('desktop/packaging/package-lock.json');
  for (const name of ['electron', 'electron-builder']) {
    assert.ok(packaging.devDependencies?.[name], `${name} in desktop/packaging/package.json`);
    assert.ok(lock.packages[`node_modules/${name}`]?.version, `${name} in desktop/packaging/package-lock.json`);
  }
  // The Node it states is one its packages all accept (electron-builder's runners use it: release.yml).
  assert.deepEqual(engineConflicts(lock, '22.12.0'), []);
  assert.match(root.scripts?.['packaging:install'] ?? '', /^npm ci --prefix desktop\/packaging --ignore-scripts\b/);
});

test('CI installs the toolchain before what needs it: .ci/run before the typecheck, release.yml before npm run dist', () => {
  const order = (text: string, steps: RegExp[]) => steps.map((s) => text.search(s));
  const ci = order(readFileSync(path.join(REPO, '.ci/run'), 'utf8'), [/^npm ci\b/m, /^npm run packaging:install$/m, /^npm run typecheck$/m, /^npm run check:packaging$/m]);
  assert.ok(ci.every((at, i) => at >= 0 && (i === 0 || at > ci[i - 1]!)), `.ci/run: npm ci, packaging:install, typecheck, check:packaging in that order (${ci})`);
  const release = order(readFileSync(path.join(REPO, '.github/workflows/release.yml'), 'utf8'), [/node-version: '22\.12'/, /run: npm ci\b/, /run: npm run packaging:install$/m, /run: npm run dist\b/]);
  assert.ok(release.every((at, i) => at >= 0 && (i === 0 || at > release[i - 1]!)), `release.yml: Node 22.12, npm ci, packaging:install, dist in that order (${release})`);
});

test('without the toolchain installed, `npm run check:packaging` and `npm run dist` each say so in one sentence naming `npm run packaging:install`', (t) => {
  // A copy of the repository's scripts beside an empty desktop/packaging (the sources they import
  // and the root node_modules linked in): the toolchain is looked up next to the scripts.
  const repo = mkdtempSync(path.join(tmpdir(), 'herald-no-toolchain-'));
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  cpSync(path.join(REPO, 'scripts'), path.join(repo, 'scripts'), { recursive: true });
  cpSync(path.join(REPO, 'desktop/packaging/package.json'), path.join(repo, 'desktop/packaging/package.json'));
  for (const f of ['package.json', 'electron-builder.yml']) cpSync(path.join(REPO, f), path.join(repo, f));
  for (const d of ['node_modules', 'gateway']) symlinkSync(path.join(REPO, d), path.join(repo, d));
  const run = (script: string) => spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'scripts/packaging', script)], { cwd: repo, encoding: 'utf8' });
  const want = /the desktop build toolchain is not installed \(app-builder-lib is not in .*desktop\/packaging\/node_modules\): run `npm run packaging:install` first \(Node >= 22\.12 to build packages\)$/;
  const check = run('check-config.ts');
  assert.equal(check.status, 1, check.stdout + check.stderr);
  assert.deepEqual(check.stderr.trim().split('\n').length, 1, check.stderr);
  assert.match(check.stderr.trim(), new RegExp(`^cannot check electron-builder\\.yml: ${want.source}`));
  const dist = run('dist.ts');
  assert.equal(dist.status, 1, dist.stdout + dist.stderr);
  assert.deepEqual(dist.stderr.trim().split('\n').length, 1, dist.stderr);
  assert.match(dist.stderr.trim(), new RegExp(`^npm run dist: ${want.source}`));
  assert.doesNotMatch(dist.stdout, /staged/, 'nothing was built or staged');
});
