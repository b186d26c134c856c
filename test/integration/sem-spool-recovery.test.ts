// The SEM spool across stops and failures, each state made on purpose (the random kill -9 run is
// sem-spool-crash.test.ts): a restart sorts out what a crash left in work/ — delivered ones are
// not sent again, one cut between logging and committing is delivered without a second log
// line, claimed-only ones are delivered — and cleans up after a cut quarantine; files wait (and
// `status` says why) while the XMPP server is off or the central IM log cannot be written, and
// go out once, exactly once, when that passes; a full offline store sends the file to bad/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createImLog, imLogDir } from '../../gateway/src/im/im-log.ts';
import { createStore } from '../../gateway/src/store/index.ts';
import { startTestGateway } from '../fixtures/gateway.ts';
import { sleep } from '../fixtures/peer-utils.ts';
import { badReason, bodyOf, chats, drop, online, PW, scriptedLines, sem, waitFor } from './sem-spool-helpers.ts';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'herald-spool-'));

test('restart after a crash: delivered files are not sent again, a logged-but-uncommitted one is not logged twice', async () => {
  const dataDir = fresh();
  try {
    const first = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir });
    await first.user('alice@example.com', PW);
    const spool = first.spool.dir;
    await first.destroy();

    // What a kill -9 can leave behind, one file per state (claim names as the spool makes them).
    const work = path.join(spool, 'work');
    const content = (text: string) => Buffer.from(sem('alice@example.com', 'monitoring@example.com', text));
    const a = content('A: committed before the crash');
    writeFileSync(path.join(work, 'old1-000000001-IM-0001.SEM'), a);
    writeFileSync(path.join(work, 'old1-000000002-IM-0002.SEM'), content('B: logged, then the crash'));
    writeFileSync(path.join(work, 'old1-000000003-IM-0003.SEM'), content('C: claimed, then the crash'));
    writeFileSync(path.join(work, 'old1-000000004-IM-0004.SEM'), Buffer.from([0xff, 0x00, 0xfe]));
    writeFileSync(path.join(spool, 'bad', 'IM-0009.SEM.reason'), 'a quarantine cut short\n');
    writeFileSync(path.join(spool, 'IM-0005.SEM'), content('D: waiting in the folder'));
    const store = createStore(dataDir);
    const mark = store.spoolJournal.state()!;
    store.spoolJournal.delivered({ name: 'old1-000000001-IM-0001.SEM', hash: createHash('sha256').update(a).digest('hex'), outcome: 'offline' }, mark);
    store.spoolJournal.delivered({ name: 'old1-000000000-IM-0000.SEM', hash: 'f'.repeat(64), outcome: 'live' }, mark);
    store.close();
    // B's line made it into the log (after the mark) before the crash; its commit did not.
    const log = createImLog({ dir: imLogDir(dataDir) });
    log.append({ type: 'scripted', from: 'monitoring@example.com', to: 'alice@example.com', body: 'B: logged, then the crash' });
    log.close();
    await sleep(5); // the restart comes after the crash

    const gw = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir });
    try {
      const alice = await online(gw.xmppPort!, 'alice@example.com');
      await waitFor(() => chats(alice).some((m) => bodyOf(m).startsWith('D:')), 3000, 'the waiting file');
      await sleep(300);
      assert.deepEqual(chats(alice).map(bodyOf).sort(), ['B: logged, then the crash', 'C: claimed, then the crash', 'D: waiting in the folder']);
      const lines = scriptedLines(dataDir).map((l) => l.body);
      assert.deepEqual(lines.filter((b) => b.startsWith('A:')), [], 'A was delivered before: no new line');
      assert.equal(lines.filter((b) => b.startsWith('B:')).length, 1, 'B: one line, the one from before the crash');
      assert.equal(lines.filter((b) => b.startsWith('C:')).length, 1);
      assert.equal(lines.filter((b) => b.startsWith('D:')).length, 1);
      assert.deepEqual(readdirSync(work), [], 'work/ is empty');
      assert.match(badReason(spool, 'IM-0004.SEM')!, /not UTF-8/);
      assert.ok(!existsSync(path.join(spool, 'bad', 'IM-0009.SEM.reason')), 'the orphan reason was removed');
      const s = createStore(dataDir);
      assert.deepEqual(s.spoolJournal.names().filter((n) => n.startsWith('old1-')), [], 'journal rows of finished files are forgotten');
      s.close();
    } finally {
      await gw.destroy();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('XMPP switched off: files wait (status says why), nothing goes to bad/; on again, they are delivered', async () => {
  const dataDir = fresh();
  try {
    const off = await startTestGateway({ 'xmpp.enabled': false }, { dataDir });
    await off.user('alice@example.com', PW);
    const spool = off.spool.dir;
    drop(spool, 'IM-0001', sem('alice@example.com', 'monitoring@example.com', 'waited for XMPP'));
    await sleep(300);
    assert.ok(existsSync(path.join(spool, 'IM-0001.SEM')), 'still pending');
    const s = off.spool.status();
    assert.equal(s.pending, 1);
    assert.equal(s.bad, 0);
    assert.match(s.problem ?? '', /the XMPP server is switched off \(xmpp\.enabled=false\)/);
    await off.destroy();

    const on = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir });
    try {
      await waitFor(() => !existsSync(path.join(spool, 'IM-0001.SEM')), 3000, 'taken');
      const alice = await online(on.xmppPort!, 'alice@example.com');
      await alice.next((e) => bodyOf(e) === 'waited for XMPP');
      assert.equal(on.spool.status().problem, null);
    } finally {
      await on.destroy();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the central IM log cannot be written: files wait, status names the problem; fixed, each goes out once', async () => {
  const dataDir = fresh();
  try {
    // The log folder is a file: every append fails (ENOTDIR/EEXIST), as with a full or read-only disk.
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(imLogDir(dataDir), 'not a folder');
    const gw = await startTestGateway({ 'xmpp.requireTls': false }, { dataDir });
    try {
      await gw.user('alice@example.com', PW);
      const alice = await online(gw.xmppPort!, 'alice@example.com');
      const spool = gw.spool.dir;
      drop(spool, 'IM-0001', sem('alice@example.com', 'monitoring@example.com', 'first'));
      drop(spool, 'IM-0002', sem('alice@example.com', 'monitoring@example.com', 'second'));
      const s = await waitFor(() => {
        const st = gw.spool.status();
        return st.problem ? st : undefined;
      }, 3000, 'the problem reported');
      assert.match(s.problem!, /IM-0001\.SEM: the central IM log cannot be written/);
      await sleep(300);
      const held = gw.spool.status();
      assert.equal(held.inProgress + held.pending, 2, 'both wait (one claimed, one in the folder)');
      assert.equal(held.bad, 0, 'a passing problem does not send files to bad/');
      assert.equal(chats(alice).length, 0, 'nothing delivered unlogged');
      // Another process (`spool status`) sees the problem too: it is in the database.
      const other = createStore(dataDir);
      assert.match(other.spoolJournal.state()?.problem ?? '', /central IM log cannot be written/);
      other.close();

      unlinkSync(imLogDir(dataDir));
      mkdirSync(imLogDir(dataDir));
      await waitFor(() => chats(alice).length >= 2, 10_000, 'both delivered after the fix');
      await sleep(200);
      assert.deepEqual(chats(alice).map(bodyOf), ['first', 'second'], 'each once, in order');
      assert.deepEqual(scriptedLines(dataDir).map((l) => l.body), ['first', 'second']);
      assert.equal(gw.spool.status().problem, null);
    } finally {
      await gw.destroy();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a full offline store: the file goes to bad/ saying so, unlogged; the ones before it wait for the login', async () => {
  const gw = await startTestGateway({ 'xmpp.requireTls': false, 'xmpp.offlineQuota': 2 });
  try {
    await gw.user('bob@example.com', PW);
    const spool = gw.spool.dir;
    for (const n of [1, 2, 3]) drop(spool, `IM-000${n}`, sem('bob@example.com', 'backup@example.com', `backup report ${n}`));
    const reason = await waitFor(() => badReason(spool, 'IM-0003.SEM'), 3000, 'the third in bad/');
    assert.match(reason, /bob@example\.com is offline and their offline message store is full \(2 messages\)/);
    assert.deepEqual(scriptedLines(gw.dataDir).map((l) => l.body), ['backup report 1', 'backup report 2'], 'the refused one left no log line');
    const bob = await online(gw.xmppPort!, 'bob@example.com');
    await waitFor(() => chats(bob).length >= 2, 3000, 'the stored two');
    assert.deepEqual(chats(bob).map(bodyOf), ['backup report 1', 'backup report 2']);
  } finally {
    await gw.destroy();
  }
});
