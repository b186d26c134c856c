// What the kernel says, not what the gateway counts: the inotify watches this process holds are
// read from /proc/self/fdinfo (one `inotify wd:` line per watch, with the watched inode) and
// matched against the directories on disk. Checks, for issue 12's "watching that scales with
// mail, not accounts": no watch on the data folder or anywhere outside the Maildir root's fixed
// part, none for users without a Maildir, one watch per directory however many users wait on it,
// and the watches per user with a Maildir — scaled to 10,000 users against fs.inotify.max_user_watches.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../config/logger.ts';
import { createStore, type AccountRow } from '../../store/index.ts';
import { createMailService } from '../mail-service.ts';
import { composeMessage, deliverToMaildir, ensureMaildirFolder } from './deliver.ts';
import { createMaildirSource } from './maildir-source.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Inode numbers of every inotify watch this process holds, from the kernel's fdinfo (wd and ino in hex). */
function kernelWatches(): number[] {
  const out: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (readdir's own fd)
    }
    if (target !== 'anon_inode:inotify') continue;
    for (const m of readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').matchAll(/^inotify wd:[0-9a-f]+ ino:([0-9a-f]+) /gm)) out.push(parseInt(m[1]!, 16));
  }
  return out;
}

/** inode → path for every directory under `root` (and root itself). */
function dirInodes(root: string, into = new Map<number, string>()): Map<number, string> {
  into.set(statSync(root).ino, root);
  for (const e of readdirSync(root, { withFileTypes: true })) if (e.isDirectory()) dirInodes(path.join(root, e.name), into);
  return into;
}

const waitFor = async (cond: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-kwatch-'));
  const dataDir = path.join(dir, 'data');
  const store = createStore(dataDir);
  const source = createMaildirSource({ settings: { root: '%data%/mail/%d/%n', separator: '/', rescanSeconds: 600 }, dataDir, store, log: silentLogger });
  const mail = createMailService({ source, log: silentLogger, idleMs: 600_000 });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close(), () => mail.close());
  const addUsers = (domain: string, n: number, prefix = 'u'): AccountRow[] => {
    if (!store.domains.list().some((d) => d.name === domain)) store.domains.add(domain);
    return Array.from({ length: n }, (_, i) => store.accounts.add({ address: `${prefix}${i}@${domain}`, local: `${prefix}${i}`, domain, displayName: `U${i}`, passwordHash: null }));
  };
  return { dir, dataDir, mailRoot: path.join(dataDir, 'mail'), mail, addUsers };
}

test('the kernel holds no watch on the data folder or outside the Maildir root; users without a Maildir hold none of their own', async () => {
  const { dir, dataDir, mailRoot, mail, addUsers } = setup();
  assert.equal(kernelWatches().length, 0, 'nothing watched before the source watches');
  const users = addUsers('example.com', 500);
  mail.keepWatching(users); // im.calendar.invitations = all
  await Promise.all(users.map((u) => mail.folders(u)));
  const inodes = dirInodes(mailRoot);
  const watched = kernelWatches();
  assert.deepEqual(watched.map((i) => inodes.get(i)), [mailRoot], '500 users without a Maildir: one watch, on <data>/mail');
  assert.equal(mail.watchCount().watches, watched.length, "the gateway's count is the kernel's");

  // Mail for one user: its root, new/ and cur/, and the domain folder the others now wait in — all under <data>/mail.
  await deliverToMaildir(path.join(mailRoot, 'example.com', 'u1'), composeMessage({ from: 'a@b.example', to: 'u1@example.com', subject: 'hi' }));
  await waitFor(() => kernelWatches().length === 4, 'the four watches of the first mail of the domain');
  const after = dirInodes(mailRoot);
  const paths = kernelWatches().map((i) => after.get(i));
  assert.ok(
    paths.every((p) => p !== undefined && p.startsWith(mailRoot + path.sep)),
    `every watch is inside ${mailRoot}: ${paths.map((p) => p ?? 'OUTSIDE').join(', ')}`,
  );
  for (const outside of [dataDir, dir, path.dirname(dir)]) assert.ok(!kernelWatches().includes(statSync(outside).ino), `${outside} is not watched`);
  assert.deepEqual(paths.map((p) => path.relative(mailRoot, p!)).sort(), ['example.com', 'example.com/u1', 'example.com/u1/cur', 'example.com/u1/new']);
});

test('watches per user with a Maildir, from the kernel: scaled from 200 users to 10,000 against max_user_watches', async (t) => {
  const { mailRoot, mail, addUsers } = setup();
  const N = 200;
  const FOLDERS = ['INBOX', 'Sent', 'Drafts', 'Trash', 'Junk']; // a typical mailbox
  const users = addUsers('big.example', N);
  const waiting = addUsers('big.example', 500, 'nomail'); // accounts with no Maildir at all
  await Promise.all(users.flatMap((u) => FOLDERS.map((f) => ensureMaildirFolder(path.join(mailRoot, 'big.example', u.local), f))));
  mail.keepWatching([...users, ...waiting]);
  await Promise.all([...users, ...waiting].map((u) => mail.folders(u)));
  // `ready` comes with the folder list; the folders' own watches follow their first scans.
  const expected = 1 + N * (1 + 2 * FOLDERS.length);
  await waitFor(() => mail.watchCount().watches === expected, `${expected} watches`);
  const kernel = kernelWatches();
  const perUser = (kernel.length - 1) / N; // minus the one shared watch the waiting accounts use
  // Maildir++: the root (folders created/renamed/deleted) + new/ and cur/ of each folder; nothing per waiting account.
  assert.equal(perUser, 1 + 2 * FOLDERS.length);
  assert.equal(mail.watchCount().watches, kernel.length, "the gateway's count is the kernel's");
  const inodes = dirInodes(mailRoot);
  assert.ok(kernel.every((i) => inodes.has(i)), 'every watch inside the Maildir root');
  const max = Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8'));
  const at10k = perUser * 10_000 + 1;
  t.diagnostic(`${N} users with ${FOLDERS.length} folders + ${waiting.length} without a Maildir: ${kernel.length} kernel watches = ${perUser} per user with mail, 0 per user without`);
  t.diagnostic(`scaled to 10,000 users with mail: ${at10k} watches; fs.inotify.max_user_watches here: ${max} (${at10k <= max ? 'within' : 'OVER'}); the kernel's floor on small machines is 8,192`);
});
