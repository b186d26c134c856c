// One alert per new message, from pushed alerts and from counts, across reconnects and restarts
// (persisted marks in a real folder), with a fake clock for the grace period.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Folder, MailAlert } from '../../../../gateway/src/protocol/api.ts';
import { FakeClock } from '../../../test-support/fake-clock.ts';
import { createDirStorage } from '../storage/dir-storage.ts';
import { MAIL_STATE_FILE, createMailMonitor, type AlertItem } from './mail-monitor.ts';

let root: string;
let n = 0;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-monitor-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const GRACE = 3000;
function setup(dir = path.join(root, `m${++n}`)) {
  const clock = new FakeClock();
  const items: AlertItem[] = [];
  const storage = createDirStorage(dir);
  const monitor = createMailMonitor({ storage, clock, graceMs: GRACE, onAlert: (i) => items.push(i) });
  return { dir, clock, items, monitor, storage };
}
const inbox = (total: number, unread: number, extra: Partial<Folder> = {}): Folder => ({ path: 'INBOX', name: 'INBOX', specialUse: '\\Inbox', total, unread, new: unread, ...extra });
const alert = (uid: number, folder = 'INBOX'): MailAlert => ({ folder, uid, from: 'Bob <bob@example.com>', subject: `message ${uid}`, date: `2026-01-15T12:00:${String(uid % 60).padStart(2, '0')}.000Z` });
const kinds = (items: AlertItem[]) => items.map((i) => (i.kind === 'mail' ? `mail ${i.alert.uid}` : `missed ${i.folder} ${i.count}`));

test('first sight is a baseline; a pushed alert after its folders snapshot gives one alert and nothing after the grace', async () => {
  const { clock, items, monitor } = setup();
  await monitor.load('alice@example.com');
  monitor.snapshot([inbox(10, 3)]);
  await clock.advance(GRACE * 2);
  assert.deepEqual(kinds(items), [], 'mail already there is not news');
  monitor.snapshot([inbox(11, 4)]); // the gateway sends folders first...
  monitor.alert(alert(11)); // ...then the alert
  await clock.advance(GRACE * 2);
  assert.deepEqual(kinds(items), ['mail 11']);
});

test('an alert before the snapshot that includes it is not counted twice', async () => {
  const { clock, items, monitor } = setup();
  await monitor.load('a@x.y');
  monitor.snapshot([inbox(1, 0)]);
  monitor.alert(alert(2));
  monitor.snapshot([inbox(2, 1)]);
  await clock.advance(GRACE * 2);
  assert.deepEqual(kinds(items), ['mail 2']);
});

test('arrivals seen only in counts (polling, or while disconnected) become one "missed" alert per folder after the grace', async () => {
  const { clock, items, monitor } = setup();
  await monitor.load('a@x.y');
  const lists = (total: number, unread: number): Folder => ({ path: 'Lists/dev', name: 'dev', specialUse: null, total, unread, new: unread });
  monitor.snapshot([inbox(5, 0), lists(100, 0)]);
  monitor.snapshot([inbox(7, 2), lists(103, 3)]);
  await clock.advance(GRACE - 1);
  assert.deepEqual(kinds(items), [], 'waits for pushed alerts first');
  monitor.alert(alert(6)); // one of the two INBOX arrivals is explained by a late push
  await clock.advance(1);
  assert.deepEqual(kinds(items).sort(), ['mail 6', 'missed INBOX 1', 'missed Lists/dev 3']);
});

test('reading, deleting, acknowledging and marking unread are not new mail', async () => {
  const { clock, items, monitor } = setup();
  await monitor.load('a@x.y');
  monitor.snapshot([inbox(10, 5)]);
  monitor.snapshot([inbox(10, 5, { new: 0 })]); // acknowledged
  monitor.snapshot([inbox(10, 2)]); // read three
  monitor.snapshot([inbox(8, 2)]); // deleted two read ones
  monitor.snapshot([inbox(8, 4)]); // marked two unread again
  monitor.snapshot([inbox(9, 4)]); // a read copy moved in (e.g. a sent message filed here)
  await clock.advance(GRACE * 2);
  assert.deepEqual(kinds(items), []);
  monitor.snapshot([inbox(10, 5)]);
  await clock.advance(GRACE);
  assert.deepEqual(kinds(items), ['missed INBOX 1'], 'a real arrival still counts');
});

test('restart: no duplicate of an alerted message, and mail that arrived while stopped is alerted once', async () => {
  const a = setup();
  await a.monitor.load('alice@example.com');
  a.monitor.snapshot([inbox(3, 1)]);
  a.monitor.snapshot([inbox(4, 2)]);
  a.monitor.alert(alert(4));
  await a.monitor.stop();
  assert.deepEqual(kinds(a.items), ['mail 4']);

  // The same data folder, a new process: a repeated push of uid 4 is recognised.
  const b = setup(a.dir);
  await b.monitor.load('alice@example.com');
  b.monitor.snapshot([inbox(6, 4)]); // two arrived while stopped
  b.monitor.alert(alert(4)); // a repeat (e.g. a gateway that lost its state) — dropped
  b.monitor.alert(alert(5)); // one of the two, pushed now
  await b.clock.advance(GRACE);
  assert.deepEqual(kinds(b.items), ['mail 5', 'missed INBOX 1']);
  await b.monitor.stop();

  // Another user on this machine starts afresh (no alerts from alice's marks).
  const c = setup(a.dir);
  await c.monitor.load('bob@example.com');
  c.monitor.snapshot([inbox(50, 50)]);
  await c.clock.advance(GRACE);
  assert.deepEqual(kinds(c.items), []);
});

test('pending arrivals survive a stop before the grace ended; a vanished folder forgets its marks', async () => {
  const a = setup();
  await a.monitor.load('a@x.y');
  a.monitor.snapshot([inbox(1, 0), { path: 'Old', name: 'Old', specialUse: null, total: 1, unread: 0, new: 0 }]);
  a.monitor.snapshot([inbox(3, 2), { path: 'Old', name: 'Old', specialUse: null, total: 1, unread: 0, new: 0 }]);
  await a.monitor.stop();
  assert.deepEqual(kinds(a.items), []);
  const b = setup(a.dir);
  await b.monitor.load('a@x.y');
  await b.clock.advance(GRACE);
  assert.deepEqual(kinds(b.items), ['missed INBOX 2'], 'alerted after the restart, not lost');
  b.monitor.snapshot([inbox(3, 2)]); // "Old" is gone
  b.monitor.snapshot([inbox(3, 2), { path: 'Old', name: 'Old', specialUse: null, total: 7, unread: 7, new: 7 }]); // recreated
  await b.clock.advance(GRACE);
  assert.deepEqual(kinds(b.items), ['missed INBOX 2'], 'a recreated folder starts with a baseline');
  b.monitor.alert({ ...alert(1), folder: 'Old' }); // uids restart in a recreated folder: not a duplicate
  assert.deepEqual(kinds(b.items), ['missed INBOX 2', 'mail 1']);
});

test('an unreadable state file is reported and replaced by a fresh baseline', async () => {
  const dir = path.join(root, `m${++n}`);
  const first = setup(dir);
  await first.storage.write('probe', 'x');
  writeFileSync(path.join(dir, MAIL_STATE_FILE), '{"v":1,"user":');
  const { clock, items, monitor } = setup(dir);
  await monitor.load('a@x.y');
  assert.match(monitor.problem!, /unreadable/);
  monitor.snapshot([inbox(9, 9)]);
  monitor.snapshot([inbox(10, 10)]);
  await clock.advance(GRACE);
  assert.deepEqual(kinds(items), ['missed INBOX 1']);
});
