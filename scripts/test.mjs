#!/usr/bin/env node
// Runs the test suites with Node's own test runner (through tsx for TypeScript).
//   node scripts/test.mjs              unit + integration
//   node scripts/test.mjs unit         unit tests beside the code (gateway/**/*.test.ts, desktop/**/*.test.ts)
//   node scripts/test.mjs integration  cross-process tests in test/ (real Dovecot, real sockets)
//   node scripts/test.mjs FILE...      just these files
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) find(full, out);
    else if (name.endsWith('.test.ts')) out.push(path.relative(root, full));
  }
  return out.sort();
}

const args = process.argv.slice(2);
const unit = () => [...find(path.join(root, 'gateway')), ...find(path.join(root, 'desktop'))];
const integration = () => find(path.join(root, 'test'));
let files;
if (args.length === 0) files = [...unit(), ...integration()];
else if (args[0] === 'unit') files = unit();
else if (args[0] === 'integration') files = integration();
else files = args;

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=120000', ...files], {
  cwd: root,
  stdio: 'inherit',
  // HERALD_GATEWAY_FROM_SOURCE: bin/herald-gateway.mjs runs the sources (through tsx), not the last build.
  env: { ...process.env, HERALD_LOG_LEVEL: process.env.HERALD_LOG_LEVEL ?? 'silent', HERALD_GATEWAY_FROM_SOURCE: '1' },
});
process.exit(r.status ?? 1);
