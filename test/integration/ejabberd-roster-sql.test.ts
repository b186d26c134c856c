// xmpp.mode=external with mod_shared_roster on SQL (one node: xmpp.external.archiveDb, SQLite), on
// Debian's ejabberd 23.01: `serve` writes a large change of the shared roster straight into
// ejabberd's sr_user table (xmpp/external/srg-tables.ts) — on SQLite only while nobody is connected —
// and a small one through the HTTP API (which pushes it to connected clients). At start the whole
// domain is in everyone's roster, with presence; a user added / removed with the CLI is pushed in / out
// and the removed one cannot log in; an import with someone online goes through the API (pushed), its
// removal with nobody online is bulk and out of the next login's roster at once (mod_shared_roster's
// cache is off); a domain link shows the other domain both ways, undone it does not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createCli } from '../fixtures/cli.ts';
import { addUsersElsewhere, removeUsersElsewhere } from '../fixtures/directory-elsewhere.ts';
import type { TestEjabberd } from '../fixtures/ejabberd.ts';
import { configureEjabberd, seedHerald } from '../fixtures/ejabberd-herald.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { rosterJids, rosterPushOf, signInForRoster, startSlixmpp, type Slixmpp } from '../fixtures/slixmpp.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'herald-ejabberd-roster-sql-'));
const dataDir = path.join(dir, 'data');
const archiveDb = path.join(dir, 'ejabberd-archive.db');
const { cli } = createCli(dataDir);
let ejabberd: TestEjabberd | undefined;
let gw: TestGateway | undefined;
let c2sPort = 0;
const clients: Slixmpp[] = [];
/** Users of example.com besides alice and bob, made before serve starts: the first sync writes them in bulk. */
const SEEDED = 30;
/** Users imported by another process in one commit (more than BULK_FROM). */
const IMPORTED = 25;
let apiPort = 0;

async function ok(args: string[]) {
  const r = await cli(args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

before(async () => {
  const domains = ['example.com', 'other.example'];
  await seedHerald(dataDir, { domains, users: [['alice@example.com', 'alice password 1'], ['bob@example.com', 'bob password 12'], ['carol@other.example', 'carol password 1']] });
  await addUsersElsewhere({ dataDir, dir, domain: 'example.com', prefix: 'seed', count: SEEDED, paced: false });
  const node = await configureEjabberd({ dir, domains, cli, external: { archiveDb } });
  c2sPort = node.c2sPort;
  apiPort = node.apiPort;
  ejabberd = await node.start();
  gw = await startTestGateway({ 'xmpp.mode': 'external', 'xmpp.external.apiPort': node.apiPort, 'xmpp.external.c2sPort': c2sPort, 'xmpp.external.archiveDb': archiveDb }, { dataDir });
}, { timeout: 600_000 });

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gw?.close();
  await ejabberd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const login = (jid: string, password: string, label = jid) => signInForRoster({ clients, port: c2sPort, jid, password, label });
const jids = rosterJids;
const pushOf = rosterPushOf;
const seeded = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
const keeper = () => gw!.rosterKeeper!;
/** Resolves once ejabberd counts no session (a closed client's session ends asynchronously; no event tells). */
const noSessions = async () => {
  for (;;) {
    const r = (await (await fetch(`http://127.0.0.1:${apiPort}/api/connected_users_number`, { method: 'POST', body: '{}' })).json()) as number | { num_sessions: number };
    if ((typeof r === 'number' ? r : r.num_sessions) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
/** Once serve saw a change made after `changes` (its directory poll) and the sync it made is done: no push announces a bulk write. */
const syncedAfter = async (changes: number) => {
  await new Promise<void>((resolve) => {
    const t = setInterval(() => keeper().status().changes > changes && (clearInterval(t), resolve()), 50);
  });
  await keeper().inStep();
};
/** ejabberd's sr_user rows of a group, read as ejabberd reads them (mod_shared_roster_sql). */
const rows = (host: string, group: string) => {
  const db = new Database(archiveDb, { readonly: true });
  try {
    return (db.prepare('SELECT jid FROM sr_user WHERE server_host = ? AND grp = ? ORDER BY jid').pluck().all(host, group) as string[]).sort();
  } finally {
    db.close();
  }
};

test('at start the whole domain is in every roster, written in bulk into ejabberd\'s SQL table; presence flows', { timeout: 300_000 }, async () => {
  await keeper().inStep();
  const first = keeper().status().lastSync!;
  assert.equal(first.result.inBulk, SEEDED + 2, "example.com's group written as rows (other.example's one user through the API)");
  assert.deepEqual(rows('example.com', 'herald'), ['alice@example.com', 'bob@example.com', ...seeded('seed', SEEDED)].sort());
  const alice = await login('alice@example.com', 'alice password 1');
  assert.deepEqual(jids(alice.roster), ['bob@example.com', ...seeded('seed', SEEDED)].sort());
  assert.ok(alice.roster.every((i) => i.subscription === 'both'));
  const bob = await login('bob@example.com', 'bob password 12');
  await alice.c.next({ event: 'presence', type: 'available', from: 'bob@example.com/slix' }, 30_000);
  await bob.c.next({ event: 'presence', type: 'available', from: 'alice@example.com/slix' }, 30_000);
  await Promise.all([alice.c.close(), bob.c.close()]);
});

test('a user added with the CLI is pushed to a connected colleague; removed, pushed away and refused at login', { timeout: 300_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1', 'alice (push)');
  await ok(['user', 'add', 'erin@example.com', '--password', 'erin password 12']);
  await pushOf(alice.c, 'erin@example.com');
  const erin = await login('erin@example.com', 'erin password 12');
  assert.ok(jids(erin.roster).includes('alice@example.com'));
  await erin.c.close();
  await ok(['user', 'del', 'erin@example.com']);
  await pushOf(alice.c, 'erin@example.com', 'remove');
  await keeper().inStep();
  assert.equal(keeper().status().lastSync!.result.inBulk, 0, 'one user: through the API, which pushes');
  assert.ok(!rows('example.com', 'herald').includes('erin@example.com'));
  const gone = await startSlixmpp({ label: 'erin (removed)' });
  clients.push(gone);
  await assert.rejects(gone.call('connect', { jid: 'erin@example.com/x', password: 'erin password 12', host: '127.0.0.1', port: c2sPort, starttls: true, sm: false }, 30_000));
  await alice.c.close();
});

test('a large change goes in bulk only while nobody is connected (SQLite): an import with alice online is pushed to her; its removal with nobody online is bulk, gone from the next login at once', { timeout: 300_000 }, async () => {
  await keeper().inStep();
  const alice = await login('alice@example.com', 'alice password 1', 'alice (import)');
  let changes = keeper().status().changes;
  await addUsersElsewhere({ dataDir, dir, domain: 'example.com', prefix: 'import', count: IMPORTED, paced: false });
  await pushOf(alice.c, `import${IMPORTED - 1}@example.com`);
  await syncedAfter(changes);
  assert.equal(keeper().status().lastSync!.result.membersAdded, IMPORTED);
  assert.equal(keeper().status().lastSync!.result.inBulk, 0, 'someone is connected: through the API (an SQLite write now could cost a message its archive row)');
  await alice.c.close();
  await noSessions();
  // bob's roster is read (and would be cached by mod_shared_roster) before the removal.
  const withThem = await login('bob@example.com', 'bob password 12', 'bob (after the import)');
  assert.deepEqual(jids(withThem.roster).filter((j) => j.startsWith('import')), seeded('import', IMPORTED).sort());
  await withThem.c.close();
  await noSessions();
  changes = keeper().status().changes;
  await removeUsersElsewhere({ dataDir, dir, name: 'import', addresses: seeded('import', IMPORTED) });
  await syncedAfter(changes);
  assert.equal(keeper().status().lastSync!.result.membersRemoved, IMPORTED);
  assert.equal(keeper().status().lastSync!.result.inBulk, IMPORTED, 'nobody connected: bulk');
  const without = await login('bob@example.com', 'bob password 12', 'bob (after the removal)');
  assert.deepEqual(jids(without.roster).filter((j) => j.startsWith('import')), []);
  await without.c.close();
});

test('a domain link shows the other domain both ways (its link group on SQL too)', { timeout: 300_000 }, async () => {
  const alice = await login('alice@example.com', 'alice password 1', 'alice (link)');
  await ok(['domain', 'link', 'example.com', 'other.example']);
  await pushOf(alice.c, 'carol@other.example');
  await keeper().inStep();
  assert.deepEqual(rows('example.com', 'link-other.example'), ['carol@other.example']);
  assert.deepEqual(rows('other.example', 'link-example.com'), ['alice@example.com', 'bob@example.com', ...seeded('seed', SEEDED)].sort(), "example.com's users in other.example's link group (through the API: alice is connected)");
  const carol = await login('carol@other.example', 'carol password 1', 'carol (linked)');
  assert.deepEqual(jids(carol.roster), ['alice@example.com', 'bob@example.com', ...seeded('seed', SEEDED)].sort());
  await Promise.all([alice.c.close(), carol.c.close()]);
  const changes = keeper().status().changes;
  await ok(['domain', 'unlink', 'example.com', 'other.example']);
  await syncedAfter(changes);
  assert.deepEqual(rows('other.example', 'link-example.com'), [], 'the undone link group is gone (srg_delete)');
  const alone = await login('carol@other.example', 'carol password 1', 'carol (unlinked)');
  assert.deepEqual(alone.roster, []);
  await alone.c.close();
});
