import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, renameSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../config/logger.ts';
import type { Folder, MailAlert, MailStatus } from '../../protocol/api.ts';
import { createStore, type Store } from '../../store/index.ts';
import { composeMessage, deliverToMaildir, ensureMaildirFolder } from './deliver.ts';
import { createMaildirSource } from './maildir-source.ts';
import type { MailboxWatch } from '../source.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-maildir-'));
  const store = createStore(path.join(dir, 'data'));
  store.domains.add('example.com');
  const account = store.accounts.add({ address: 'alice@example.com', local: 'alice', domain: 'example.com', displayName: 'Alice', passwordHash: null });
  const root = path.join(dir, 'data', 'mail', 'example.com', 'alice');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
  return { dir, store, account, root };
}

function open(store: Store, account: ReturnType<typeof setup>['account'], dataDir: string) {
  const source = createMaildirSource({ settings: { root: '%data%/mail/%d/%n', separator: '/', rescanSeconds: 60 }, dataDir, store, log: silentLogger });
  const log = { folders: [] as Folder[][], alerts: [] as MailAlert[], status: [] as MailStatus[] };
  const waiters: (() => void)[] = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  const watch: MailboxWatch = source.open(account, {
    folders: (f) => (log.folders.push(f), poke()),
    alert: (a) => (log.alerts.push(a), poke()),
    status: (s) => (log.status.push(s), poke()),
  });
  cleanups.push(() => source.close());
  const until = async (cond: () => boolean, what: string, ms = 2000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  return { watch, log, until, source };
}

const msg = (subject: string) => composeMessage({ from: 'Bob <bob@example.com>', to: 'alice@example.com', subject, body: 'hi' });
const byPath = (fs: Folder[], p: string) => fs.find((f) => f.path === p);

test('existing mail is counted without alerts; a delivery alerts once and counts as new', async () => {
  const { store, account, root, dir } = setup();
  await deliverToMaildir(root, msg('old unread'));
  await deliverToMaildir(root, msg('old read'), { seen: true });
  await deliverToMaildir(root, msg('sent copy'), { folder: 'Sent', seen: true });
  await deliverToMaildir(root, msg('herald'), { folder: 'Projects/Herald' });
  const { watch, log, until } = open(store, account, path.join(dir, 'data'));
  await watch.ready;
  const f0 = watch.folders();
  assert.deepEqual(f0.map((f) => f.path), ['INBOX', 'Sent', 'Projects/Herald']);
  assert.deepEqual(byPath(f0, 'INBOX'), { path: 'INBOX', name: 'INBOX', specialUse: '\\Inbox', total: 2, unread: 1, new: 1 });
  assert.deepEqual(byPath(f0, 'Projects/Herald'), { path: 'Projects/Herald', name: 'Herald', specialUse: null, total: 1, unread: 1, new: 1 });
  assert.equal(byPath(f0, 'Sent')?.specialUse, '\\Sent');
  assert.equal(log.alerts.length, 0, 'no alert storm for mail that was already there');

  await deliverToMaildir(root, composeMessage({ from: '=?UTF-8?Q?J=C3=BCrgen?= <j@example.org>', to: 'alice@example.com', subject: 'Grüße aus Köln' }), { folder: 'Projects/Herald' });
  await until(() => log.alerts.length === 1, 'alert');
  const a = log.alerts[0]!;
  assert.equal(a.folder, 'Projects/Herald');
  assert.equal(a.from, 'Jürgen <j@example.org>');
  assert.equal(a.subject, 'Grüße aus Köln');
  assert.ok(a.uid > 1);
  assert.equal(byPath(watch.folders(), 'Projects/Herald')?.new, 2);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(log.alerts.length, 1, 'exactly one alert');
});

test('\\Seen set by a mail client (file renamed into cur/ with S) lowers unread and new', async () => {
  const { store, account, root, dir } = setup();
  await ensureMaildirFolder(root);
  const { watch, log, until } = open(store, account, path.join(dir, 'data'));
  await watch.ready;
  const file = await deliverToMaildir(root, msg('read me'));
  await until(() => log.alerts.length === 1, 'alert');
  assert.equal(byPath(watch.folders(), 'INBOX')?.unread, 1);
  renameSync(file, path.join(root, 'cur', `${path.basename(file)}:2,S`));
  await until(() => byPath(watch.folders(), 'INBOX')?.unread === 0, 'unread 0');
  assert.equal(byPath(watch.folders(), 'INBOX')?.new, 0);
  assert.equal(byPath(watch.folders(), 'INBOX')?.total, 1);
  assert.equal(log.alerts.length, 1, 'moving a message is not a new message');
});

test('ack moves the watermark: new drops to 0, a later delivery is new again', async () => {
  const { store, account, root, dir } = setup();
  await deliverToMaildir(root, msg('one'));
  const { watch, log, until } = open(store, account, path.join(dir, 'data'));
  await watch.ready;
  assert.equal(byPath(watch.folders(), 'INBOX')?.new, 1);
  await watch.ack('INBOX');
  assert.deepEqual(byPath(watch.folders(), 'INBOX'), { path: 'INBOX', name: 'INBOX', specialUse: '\\Inbox', total: 1, unread: 1, new: 0 });
  await deliverToMaildir(root, msg('two'));
  await until(() => log.alerts.length === 1, 'alert');
  assert.equal(byPath(watch.folders(), 'INBOX')?.new, 1);
  assert.equal(byPath(watch.folders(), 'INBOX')?.unread, 2);
  await assert.rejects(watch.ack('Nope'), { code: 'not_found' });
  assert.equal(log.alerts.length, 1);
});

test('folders created, renamed and deleted show up; non-ASCII names are decoded', async () => {
  const { store, account, root, dir } = setup();
  await ensureMaildirFolder(root);
  const { watch, until } = open(store, account, path.join(dir, 'data'));
  await watch.ready;
  await ensureMaildirFolder(root, 'Entwürfe');
  await ensureMaildirFolder(root, 'Проекты/Q4');
  assert.ok(readdirSync(root).includes('.Entw&APw-rfe'), 'stored in modified UTF-7 like Dovecot');
  await until(() => watch.folders().some((f) => f.path === 'Проекты/Q4') && watch.folders().some((f) => f.path === 'Entwürfe'), 'new folders');
  assert.equal(byPath(watch.folders(), 'Проекты/Q4')?.name, 'Q4');
  renameSync(path.join(root, '.Entw&APw-rfe'), path.join(root, '.Archiv'));
  await until(() => !watch.folders().some((f) => f.path === 'Entwürfe') && watch.folders().some((f) => f.path === 'Archiv'), 'rename');
  rmSync(path.join(root, '.Archiv'), { recursive: true });
  await until(() => !watch.folders().some((f) => f.path === 'Archiv'), 'delete');
});

test('restart: no duplicate alerts, and mail that arrived while down is alerted once', async () => {
  const { store, account, root, dir } = setup();
  await deliverToMaildir(root, msg('before'));
  const first = open(store, account, path.join(dir, 'data'));
  await first.watch.ready;
  await deliverToMaildir(root, msg('seen live'));
  await first.until(() => first.log.alerts.length === 1, 'live alert');
  await first.source.close();
  await deliverToMaildir(root, msg('while down'));
  const second = open(store, account, path.join(dir, 'data'));
  await second.watch.ready;
  await second.until(() => second.log.alerts.length === 1, 'catch-up alert');
  assert.equal(second.log.alerts[0]!.subject, 'while down');
  assert.ok(second.log.alerts[0]!.uid > first.log.alerts[0]!.uid, 'uids stay stable and increase');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(second.log.alerts.length, 1);
  assert.equal(byPath(second.watch.folders(), 'INBOX')?.total, 3);
});

test('a message with broken headers is counted and alerted as "(no subject)", nothing crashes', async () => {
  const { store, account, root, dir } = setup();
  await ensureMaildirFolder(root);
  const { watch, log, until } = open(store, account, path.join(dir, 'data'));
  await watch.ready;
  await deliverToMaildir(root, Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x41, 0x0a, 0x0a]));
  await deliverToMaildir(root, '');
  await until(() => log.alerts.length === 2, 'alerts');
  for (const a of log.alerts) {
    assert.equal(a.subject, '(no subject)');
    assert.equal(a.from, '(unknown sender)');
    assert.ok(!Number.isNaN(Date.parse(a.date)));
  }
  assert.equal(byPath(watch.folders(), 'INBOX')?.total, 2);
});

test('a user without a Maildir yet has an empty INBOX; an unreadable store is unavailable, then recovers', async () => {
  const { store, account, root, dir } = setup();
  const { watch, log, until } = open(store, account, path.join(dir, 'data'));
  await watch.ready;
  assert.deepEqual(watch.folders(), [{ path: 'INBOX', name: 'INBOX', specialUse: '\\Inbox', total: 0, unread: 0, new: 0 }]);
  // A file where the Maildir should be: the store is broken (as with a dead mount), not empty.
  mkdirSync(path.dirname(root), { recursive: true });
  writeFileSync(root, 'not a directory');
  await watch.refresh();
  assert.throws(() => watch.folders(), { code: 'mail_unavailable', message: /Maildir .*alice cannot be read: ENOTDIR/ });
  assert.equal(log.status.at(-1)?.state, 'unavailable');
  rmSync(root);
  await deliverToMaildir(root, msg('back'));
  await watch.refresh();
  await until(() => log.status.at(-1)?.state === 'ok', 'recovery');
  assert.equal(byPath(watch.folders(), 'INBOX')?.total, 1);
});

test('a file copied straight into new/ (no tmp/ + rename) is read once it is complete', async () => {
  const { store, account, root, dir } = setup();
  await ensureMaildirFolder(root);
  const { watch, log, until } = open(store, account, path.join(dir, 'data'));
  await watch.ready;
  const fh = await import('node:fs/promises').then((fs) => fs.open(path.join(root, 'new', '1700000000.slow.host'), 'w'));
  await fh.write('From: Slow Writer <slow@example.org>\r\nSubj');
  await new Promise((r) => setTimeout(r, 150));
  await fh.write('ect: written in two parts\r\n\r\nbody\r\n');
  await fh.close();
  await until(() => log.alerts.length === 1, 'alert');
  assert.equal(log.alerts[0]!.subject, 'written in two parts');
  assert.equal(log.alerts[0]!.from, 'Slow Writer <slow@example.org>');
});
