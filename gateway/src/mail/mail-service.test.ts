// The mail service's server-side hooks, on a real Maildir: every new message reaches the
// new-mail listeners once with its details while clients get the public alert only; users kept
// watched (keepWatching) are not closed when idle, and report new mail with no client at all.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../config/logger.ts';
import type { ServerEvent } from '../protocol/api.ts';
import { createStore, type AccountRow } from '../store/index.ts';
import { createMailService } from './mail-service.ts';
import { composeMessage, deliverToMaildir, ensureMaildirFolder } from './maildir/deliver.ts';
import { createMaildirSource } from './maildir/maildir-source.ts';
import type { NewMail } from './source.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-mailsvc-'));
  const store = createStore(dir);
  store.domains.add('example.com');
  const add = (local: string) => store.accounts.add({ address: `${local}@example.com`, local, domain: 'example.com', displayName: local, passwordHash: null });
  const alice = add('alice');
  const bob = add('bob');
  const source = createMaildirSource({ settings: { root: '%data%/mail/%d/%n', separator: '/', rescanSeconds: 60 }, dataDir: dir, store, log: silentLogger });
  const mail = createMailService({ source, log: silentLogger, idleMs: 50 });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close(), () => mail.close());
  const rootOf = (a: AccountRow) => path.join(dir, 'mail', a.domain, a.local);
  for (const a of [alice, bob]) await ensureMaildirFolder(rootOf(a));
  const reports: [string, NewMail][] = [];
  mail.onNewMail((a, m) => reports.push([a.address, m]));
  return { store, alice, bob, mail, rootOf, reports };
}

const waitFor = async (cond: () => boolean, what: string, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const msg = (subject: string) => composeMessage({ from: 'Bob <bob@example.org>', to: 'alice@example.com', subject });

test('one report per new message: the client gets the public alert, listeners the details', async () => {
  const { alice, mail, rootOf, reports } = await setup();
  const events: ServerEvent[] = [];
  const off = mail.subscribe(alice, (e) => events.push(e));
  await mail.folders(alice);
  await deliverToMaildir(rootOf(alice), msg('hello'));
  await waitFor(() => reports.length === 1 && events.some((e) => e.type === 'mail'), 'the report');
  const pushed = events.find((e) => e.type === 'mail');
  assert.deepEqual(Object.keys(pushed?.type === 'mail' ? pushed.alert : {}).sort(), ['date', 'folder', 'from', 'subject', 'uid'], 'exactly the public MailAlert');
  assert.equal(reports[0]![0], 'alice@example.com');
  assert.deepEqual(reports[0]![1].to, [{ name: '', address: 'alice@example.com' }]);
  // A listener that throws disturbs neither the others nor the clients.
  mail.onNewMail(() => {
    throw new Error('boom');
  });
  await deliverToMaildir(rootOf(alice), msg('second'));
  await waitFor(() => reports.length === 2 && events.filter((e) => e.type === 'mail').length === 2, 'the second report');
  off();
});

test('keepWatching: watched without any client, not closed when idle; released ones close', async () => {
  const { alice, bob, mail, rootOf, reports } = await setup();
  mail.keepWatching([alice]);
  assert.deepEqual(mail.watched(), { total: 1, pinned: 1 });
  await mail.folders(bob); // bob's client polls once, then goes away
  assert.deepEqual(mail.watched(), { total: 2, pinned: 1 });
  await new Promise((r) => setTimeout(r, 1300)); // beyond idleMs and one reaper round
  assert.deepEqual(mail.watched(), { total: 1, pinned: 1 }, "bob's idle watch closed, alice's kept");
  await deliverToMaildir(rootOf(alice), msg('no client running'));
  await waitFor(() => reports.length === 1, "alice's report");
  assert.equal(reports[0]![1].subject, 'no client running');
  const raw = await mail.fetchRaw(alice, 'INBOX', reports[0]![1].uid, 20);
  assert.equal(raw.bytes.toString(), msg('x').slice(0, 20));
  mail.keepWatching([]);
  await new Promise((r) => setTimeout(r, 1300));
  assert.deepEqual(mail.watched(), { total: 0, pinned: 0 }, 'released: closed once idle');
});
