import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDirStorage } from '../storage/dir-storage.ts';
import { createOutbox, OUTBOX_FILE, resendStanza } from './outbox.ts';

test('unacknowledged messages survive a restart, for their account only, and go again stamped with when they were written', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-outbox-'));
  try {
    const storage = createDirStorage(dir);
    const a = createOutbox(storage);
    await a.load('alice@example.com');
    await a.add({ id: 'm2', to: 'bob@example.com', kind: 'chat', xml: `<message to='bob@example.com' id='m2'><body>second</body></message>`, at: '2026-11-27T10:00:02.000Z' });
    await a.add({ id: 'm1', to: 'bob@example.com', kind: 'chat', xml: `<message to='bob@example.com' id='m1'><body>first</body></message>`, at: '2026-11-27T10:00:01.000Z' });
    a.written('m1', true);
    assert.deepEqual(a.waiting().map((e) => e.id), ['m2']);
    a.unwriteAll();
    assert.deepEqual(a.waiting().map((e) => e.id), ['m1', 'm2'], 'oldest first');
    assert.equal((await a.done('m2'))?.id, 'm2');
    assert.equal(await a.done('m2'), undefined);

    const b = createOutbox(storage);
    await b.load('alice@example.com');
    assert.deepEqual(b.waiting().map((e) => e.id), ['m1']);
    const el = resendStanza(b.get('m1')!, 'alice@example.com');
    assert.equal(el.toString(), `<message to="bob@example.com" id="m1"><body>first</body><delay xmlns="urn:xmpp:delay" from="alice@example.com" stamp="2026-11-27T10:00:01.000Z"/></message>`);

    const other = createOutbox(storage);
    await other.load('carol@example.com');
    assert.equal(other.size(), 0, "another account's messages are not sent as carol's");
    writeFileSync(path.join(dir, OUTBOX_FILE), '{broken');
    const broken = createOutbox(storage);
    await broken.load('alice@example.com');
    assert.equal(broken.size(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failure to save the outbox is reported, keeps every message in memory, and the next good write puts them all on disk', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'herald-outbox-fail-'));
  try {
    // The storage folder's place is taken by a plain file: mkdir fails with EEXIST (as root too).
    const dir = path.join(root, 'userdata');
    writeFileSync(dir, 'not a folder');
    const problems: (string | undefined)[] = [];
    const box = createOutbox(createDirStorage(dir), { onSaveProblem: (e) => problems.push(e && (e as NodeJS.ErrnoException).code) });
    await box.load('alice@example.com');
    const msg = (id: string, at: string) => ({ id, to: 'bob@example.com', kind: 'chat' as const, xml: `<message to='bob@example.com' id='${id}'><body>${id}</body></message>`, at });
    await box.add(msg('m1', '2026-11-27T10:00:01.000Z'));
    await box.add(msg('m2', '2026-11-27T10:00:02.000Z'));
    assert.deepEqual(problems, ['EEXIST', 'EEXIST'], 'each failed write is reported');
    assert.equal((box.saveProblem() as NodeJS.ErrnoException | undefined)?.code, 'EEXIST');
    assert.deepEqual(box.waiting().map((e) => e.id), ['m1', 'm2'], 'nothing is lost in memory');

    // The folder can be made again: the next change writes the whole list and clears the problem.
    rmSync(dir);
    await box.add(msg('m3', '2026-11-27T10:00:03.000Z'));
    assert.deepEqual(problems, ['EEXIST', 'EEXIST', undefined]);
    assert.equal(box.saveProblem(), undefined);
    const again = createOutbox(createDirStorage(dir));
    await again.load('alice@example.com');
    assert.deepEqual(again.waiting().map((e) => e.id), ['m1', 'm2', 'm3'], 'the messages from the failed writes are on disk too');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
