// Watches follow the mail, not the accounts: thousands of users without a Maildir share one
// watch inside the root prefix, nothing outside it (the data folder with SQLite's WAL) is
// watched, and a Maildir appearing wakes only its own user (issue 12).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../config/logger.ts';
import { createStore, type AccountRow } from '../../store/index.ts';
import { createMailService } from '../mail-service.ts';
import type { NewMail } from '../source.ts';
import { composeMessage, deliverToMaildir } from './deliver.ts';
import { createMaildirSource } from './maildir-source.ts';
import { maildirPrefix } from './maildir-waits.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const waitFor = async (cond: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

function setup(rootTemplate = '%data%/mail/%d/%n') {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-waits-'));
  const dataDir = path.join(dir, 'data');
  const store = createStore(dataDir);
  const source = createMaildirSource({ settings: { root: rootTemplate.replaceAll('%tmp%', dir), separator: '/', rescanSeconds: 600 }, dataDir, store, log: silentLogger });
  const mail = createMailService({ source, log: silentLogger, idleMs: 60_000 });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close(), () => mail.close());
  const reports: [string, NewMail][] = [];
  mail.onNewMail((a, m) => reports.push([a.address, m]));
  const addUsers = (domain: string, n: number): AccountRow[] => {
    store.domains.add(domain);
    return Array.from({ length: n }, (_, i) => store.accounts.add({ address: `u${i}@${domain}`, local: `u${i}`, domain, displayName: `U${i}`, passwordHash: null }));
  };
  const stats = () => mail.watchCount();
  return { dir, dataDir, store, mail, reports, addUsers, stats };
}

const msg = (to: string, subject: string) => composeMessage({ from: 'Bob <bob@example.org>', to, subject });

test('maildirPrefix: the template part before the first per-user placeholder', () => {
  assert.equal(maildirPrefix('%data%/mail/%d/%n', '/srv/herald'), '/srv/herald/mail');
  assert.equal(maildirPrefix('/var/vmail/%d/%n', '/srv/herald'), '/var/vmail');
  assert.equal(maildirPrefix('/var/vmail/%d/%n/Maildir', '/x'), '/var/vmail');
  assert.equal(maildirPrefix('/home/mail/u-%n', '/x'), '/home/mail', 'a placeholder inside a name: its directory');
  assert.equal(maildirPrefix('%data%/%u', '/srv/herald'), '/srv/herald', 'Maildirs straight in the data folder');
  assert.equal(maildirPrefix('/var/mail/shared/', '/x'), '/var/mail/shared', 'no placeholder: the one fixed Maildir');
});

test('2,000 users without a Maildir share one watch; data-folder writes wake nothing, a Maildir appearing wakes its user only', async () => {
  const { dataDir, store, mail, reports, addUsers, stats } = setup();
  const users = addUsers('example.com', 2000);
  mail.keepWatching(users); // what main.ts does with im.calendar.invitations = all
  await Promise.all(users.map((u) => mail.folders(u)));
  assert.deepEqual({ ...stats(), wakeups: 0 }, { watches: 1, waiting: 2000, wakeups: 0, users: 2000, perUser: 1 / 2000, connections: 0 }, 'one watch (on data/mail) for all of them');

  // SQLite writes (herald.db-wal in the data folder) and a stray file there wake no one…
  const before = stats().wakeups;
  for (let i = 0; i < 20; i++) store.domains.add(`other${i}.example`);
  writeFileSync(path.join(dataDir, 'stray.txt'), 'x');
  mkdirSync(path.join(dataDir, 'logs-elsewhere'));
  // …while the same kind of event inside the root prefix does (one event, one listener call,
  // nobody woken: no one waits for "notes"). Events come in order, so the earlier ones are counted.
  mkdirSync(path.join(dataDir, 'mail', 'notes'), { recursive: true });
  await waitFor(() => stats().wakeups > before, 'the event inside the root prefix');
  assert.equal(stats().wakeups, before + 1, 'only the prefix event reached a listener');

  // The first delivery of the domain makes example.com/ and u7's Maildir: u7 is woken and alerted,
  // the 1,999 others move to one shared watch on example.com/ — no readdir, no watch of their own.
  const w0 = stats().wakeups;
  await deliverToMaildir(path.join(dataDir, 'mail', 'example.com', 'u7'), msg('u7@example.com', 'first mail of the domain'));
  await waitFor(() => reports.length === 1, "u7's alert");
  assert.equal(reports[0]![0], 'u7@example.com');
  assert.equal(reports[0]![1].subject, 'first mail of the domain');
  const s = stats();
  assert.equal(s.waiting, 1999);
  assert.equal(s.watches, 4, "example.com/ for the waiting ones, u7's root, new/ and cur/");
  assert.ok(s.wakeups - w0 < 20, `a handful of events, not one per user (${s.wakeups - w0})`);
  assert.equal((await mail.folders(users[7]!)).folders.find((f) => f.path === 'INBOX')?.total, 1);
  assert.equal((await mail.folders(users[8]!)).folders.find((f) => f.path === 'INBOX')?.total, 0);

  // A second user of the domain: found through the shared watch, alerted once.
  await deliverToMaildir(path.join(dataDir, 'mail', 'example.com', 'u1999'), msg('u1999@example.com', 'second user'));
  await waitFor(() => reports.length === 2, "u1999's alert");
  assert.equal(reports[1]![0], 'u1999@example.com');
  assert.equal(stats().watches, 7);
  assert.equal(stats().waiting, 1998);
});

test('a domain folder removed under waiting users: they wait one level up and still get their first mail', async () => {
  const { dataDir, mail, reports, addUsers, stats } = setup();
  const domainDir = path.join(dataDir, 'mail', 'gone.example');
  mkdirSync(domainDir, { recursive: true });
  const users = addUsers('gone.example', 3);
  mail.keepWatching(users);
  await Promise.all(users.map((u) => mail.folders(u)));
  assert.equal(stats().watches, 1);
  const w0 = stats().wakeups;
  rmSync(domainDir, { recursive: true });
  await waitFor(() => stats().wakeups > w0, 'the removal seen');
  await deliverToMaildir(path.join(domainDir, 'u2'), msg('u2@gone.example', 'after the removal'));
  await waitFor(() => reports.length === 1, "u2's alert");
  assert.equal(reports[0]![0], 'u2@gone.example');
  assert.equal(stats().waiting, 2);
});

test('a root prefix outside the data folder that does not exist yet is waited for without watching anything above it', async () => {
  const { dir, mail, reports, addUsers, stats } = setup('%tmp%/vmail/%d/%n');
  const users = addUsers('example.com', 50);
  mail.keepWatching(users);
  await Promise.all(users.map((u) => mail.folders(u)));
  assert.deepEqual([stats().watches, stats().waiting], [0, 50], 'no watch at all: not the temp folder, not the data folder');
  await deliverToMaildir(path.join(dir, 'vmail', 'example.com', 'u3'), msg('u3@example.com', 'vmail appeared'));
  await waitFor(() => reports.length === 1, "u3's alert (the prefix is looked for every 2 s)");
  assert.equal(reports[0]![0], 'u3@example.com');
  assert.equal(stats().waiting, 49);
  assert.equal(stats().watches, 4);
});
