import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureSpoolLayout } from '../im/spool/spool-layout.ts';
import { createAuditLog } from './audit.ts';
import { createAdminSpool } from './spool-admin.ts';

const actor = { who: 'ann@example.com', from: '127.0.0.1' };

function setup() {
  const root = mkdtempSync(path.join(tmpdir(), 'herald-spool-admin-'));
  const layout = ensureSpoolLayout(path.join(root, 'spool'));
  const audit = createAuditLog({ dir: path.join(root, 'logs') });
  const bad = (name: string, reason: string) => {
    writeFileSync(path.join(layout.bad, name), 'alice@example.com\nbot@example.com\n\nhi\n');
    writeFileSync(path.join(layout.bad, `${name}.reason`), `${reason}\n`);
  };
  return { layout, audit, bad, spool: createAdminSpool({ dir: layout.root, audit }) };
}

test('retry moves a bad file back under a SEM name the spool reads, its reason goes; a second IM-7 gets a fresh name', () => {
  const { layout, bad, spool, audit } = setup();
  bad('IM-7.SEM', 'alice is not a user here');
  bad('IM-7~1.SEM', 'again');
  assert.deepEqual(
    spool.bad().map((b) => [b.name, b.reason]).sort(),
    [
      ['IM-7.SEM', 'alice is not a user here'],
      ['IM-7~1.SEM', 'again'],
    ],
  );
  assert.equal(spool.retry(actor, 'IM-7.SEM'), 'IM-7.SEM');
  assert.ok(existsSync(path.join(layout.root, 'IM-7.SEM')));
  assert.equal(existsSync(path.join(layout.bad, 'IM-7.SEM.reason')), false);
  // IM-7.SEM waits in the spool folder: the second one cannot take its name.
  const second = spool.retry(actor, 'IM-7~1.SEM');
  assert.match(second, /^IM-\d+\.SEM$/);
  assert.notEqual(second, 'IM-7.SEM');
  assert.equal(readFileSync(path.join(layout.root, second), 'utf8'), 'alice@example.com\nbot@example.com\n\nhi\n');
  assert.deepEqual(spool.bad(), []);
  assert.deepEqual(audit.search({}).map((e) => `${e.action} ${e.target}`).sort(), ['spool.retry IM-7.SEM', 'spool.retry IM-7~1.SEM']);
});

test('delete removes the file and its reason; names that are paths, reasons or missing are refused', () => {
  const { layout, bad, spool, audit } = setup();
  bad('IM-9.SEM', 'empty');
  for (const name of ['../IM-9.SEM', 'IM-9.SEM.reason', '.hidden', '', 'sub/IM-9.SEM']) assert.throws(() => spool.remove(actor, name), /not a file in bad/, name);
  assert.throws(() => spool.retry(actor, 'IM-10.SEM'), /not in bad/);
  spool.remove(actor, 'IM-9.SEM');
  assert.equal(existsSync(path.join(layout.bad, 'IM-9.SEM')), false);
  assert.equal(existsSync(path.join(layout.bad, 'IM-9.SEM.reason')), false);
  assert.deepEqual(audit.search({}).map((e) => `${e.who} ${e.action} ${e.target}`), ['ann@example.com spool.delete IM-9.SEM']);
});
