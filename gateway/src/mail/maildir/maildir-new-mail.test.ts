// What the maildir source reports about new mail beyond the public alert (To, Cc, priority,
// arrival time), and fetchRaw: one message's source with a size cap, found by its alert's uid
// also after a mail client moved it to cur/.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../config/logger.ts';
import { HeraldError } from '../../protocol/errors.ts';
import { createStore } from '../../store/index.ts';
import type { NewMail } from '../source.ts';
import { deliverToMaildir, ensureMaildirFolder } from './deliver.ts';
import { createMaildirSource } from './maildir-source.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(folders: string[] = []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-maildir-nm-'));
  const dataDir = path.join(dir, 'data');
  const store = createStore(dataDir);
  store.domains.add('example.com');
  const account = store.accounts.add({ address: 'alice@example.com', local: 'alice', domain: 'example.com', displayName: 'Alice', passwordHash: null });
  const root = path.join(dataDir, 'mail', 'example.com', 'alice');
  for (const f of folders) await ensureMaildirFolder(root, f);
  const source = createMaildirSource({ settings: { root: '%data%/mail/%d/%n', separator: '/', rescanSeconds: 60 }, dataDir, store, log: silentLogger });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close(), () => source.close());
  const alerts: NewMail[] = [];
  const watch = source.open(account, { folders: () => undefined, alert: (a) => alerts.push(a), status: () => undefined });
  await watch.ready;
  const next = async (n: number) => {
    const end = Date.now() + 3000;
    while (alerts.length < n) {
      if (Date.now() > end) throw new Error(`timed out waiting for alert ${n}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return alerts[n - 1]!;
  };
  return { root, watch, next };
}

const MESSAGE = [
  'From: =?UTF-8?Q?Bj=C3=B6rn?= <bjorn@bigcustomer.example>',
  'To: Alice <alice@example.com>, ops@example.com',
  'Cc: "Team, all" <team@example.com>',
  'Subject: Invoice 42',
  'Date: Fri, 27 Nov 2026 10:00:00 +0100',
  'X-Priority: 2 (High)',
  'Content-Type: text/plain; charset=utf-8',
  '',
  `${'Body line. '.repeat(500)}`,
  '',
].join('\r\n');

test('a new message reports To, Cc, priority and its arrival time besides the alert', async () => {
  const { root, next } = await setup();
  const file = await deliverToMaildir(root, MESSAGE);
  const m = await next(1);
  assert.equal(m.subject, 'Invoice 42');
  assert.equal(m.from, 'Björn <bjorn@bigcustomer.example>');
  assert.deepEqual(m.sender, { name: 'Björn', address: 'bjorn@bigcustomer.example' });
  assert.deepEqual(m.to, [
    { name: 'Alice', address: 'alice@example.com' },
    { name: '', address: 'ops@example.com' },
  ]);
  assert.deepEqual(m.cc, [{ name: 'Team, all', address: 'team@example.com' }]);
  assert.equal(m.priority, 'high');
  assert.equal(m.date, '2026-11-27T09:00:00.000Z', 'the Date header');
  assert.equal(m.received, new Date(statSync(file).mtimeMs).toISOString(), "the file's time: when it arrived");
});

test('fetchRaw: the whole source, a capped beginning, after a move to cur/, and clear errors', async () => {
  const { root, watch, next } = await setup(['Projects/Herald']);
  const file = await deliverToMaildir(root, MESSAGE, { folder: 'Projects/Herald' });
  const m = await next(1);
  assert.equal(m.folder, 'Projects/Herald');
  const whole = await watch.fetchRaw('Projects/Herald', m.uid, 1024 * 1024);
  assert.equal(whole.bytes.toString('utf8'), MESSAGE);
  assert.equal(whole.size, Buffer.byteLength(MESSAGE));
  assert.equal(whole.truncated, false);

  const head = await watch.fetchRaw('Projects/Herald', m.uid, 100);
  assert.equal(head.bytes.length, 100);
  assert.equal(head.bytes.toString('latin1'), Buffer.from(MESSAGE).subarray(0, 100).toString('latin1'));
  assert.equal(head.truncated, true);
  assert.equal(head.size, Buffer.byteLength(MESSAGE));

  // A mail client reads it: new/ → cur/ with flags. Still found by its uid.
  const cur = path.join(path.dirname(path.dirname(file)), 'cur', `${path.basename(file)}:2,S`);
  renameSync(file, cur);
  assert.equal(readdirSync(path.dirname(file)).length, 0);
  assert.equal((await watch.fetchRaw('Projects/Herald', m.uid, 50)).bytes.toString('latin1'), readFileSync(cur).subarray(0, 50).toString('latin1'));

  await assert.rejects(watch.fetchRaw('Projects/Herald', m.uid + 100, 50), (e: unknown) => e instanceof HeraldError && e.code === 'not_found' && /no message/.test(e.message));
  await assert.rejects(watch.fetchRaw('Nope', m.uid, 50), (e: unknown) => e instanceof HeraldError && e.code === 'not_found' && /no folder "Nope"/.test(e.message));
  await assert.rejects(watch.fetchRaw('Projects/Herald', m.uid, 0), RangeError);
  rmSync(cur);
  await assert.rejects(watch.fetchRaw('Projects/Herald', m.uid, 50), (e: unknown) => e instanceof HeraldError && e.code === 'not_found', 'a deleted message is not found');
});
