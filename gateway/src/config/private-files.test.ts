import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { octal, widePermissions } from './private-files.ts';

const root = mkdtempSync(path.join(tmpdir(), 'herald-private-files-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('finds what group or others may use, with its mode; skips given folders and symlinks', () => {
  const data = path.join(root, 'data');
  mkdirSync(path.join(data, 'logs'), { recursive: true, mode: 0o700 });
  mkdirSync(path.join(data, 'builds'), { mode: 0o755 });
  chmodSync(data, 0o700);
  writeFileSync(path.join(data, 'herald.db'), '', { mode: 0o600 });
  writeFileSync(path.join(data, 'logs', 'x.log'), '', { mode: 0o600 });
  chmodSync(path.join(data, 'logs', 'x.log'), 0o640);
  writeFileSync(path.join(data, 'builds', 'Herald.zip'), '');
  chmodSync(path.join(data, 'builds', 'Herald.zip'), 0o644);
  symlinkSync('/etc/hostname', path.join(data, 'link'));
  assert.deepEqual(
    widePermissions(data).map((w) => `${path.relative(data, w.path)} ${octal(w.mode)} ${w.dir}`).sort(),
    ['builds 0755 true', 'builds/Herald.zip 0644 false', 'logs/x.log 0640 false'],
  );
  assert.deepEqual(widePermissions(data, { skip: [path.join(data, 'builds')] }).map((w) => path.relative(data, w.path)), ['logs/x.log']);
  chmodSync(path.join(data, 'logs', 'x.log'), 0o600);
  assert.deepEqual(widePermissions(data, { skip: [path.join(data, 'builds')] }), []);
  assert.deepEqual(widePermissions(path.join(root, 'missing')), [], 'a data folder not made yet');
});
