import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createArchiveDb } from './ejabberd-archive.ts';
import { externalSql, openSqliteSrgTables, srgTablesOf } from './srg-tables.ts';

test('SQLite: rows as mod_shared_roster_sql reads them; 1,200 added in chunks, added again without duplicates, removed; other groups untouched', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-srg-'));
  try {
    const file = path.join(dir, 'a.db');
    createArchiveDb(file);
    const t = openSqliteSrgTables(file);
    assert.equal(t.kind, 'sqlite', 'written in bulk only while ejabberd has no session');
    const many = Array.from({ length: 1200 }, (_, i) => `u${i}@example.com`);
    await t.add('example.com', 'herald', many);
    await t.add('example.com', 'herald', many.slice(0, 10)); // a retried sync
    await t.add('other.example', 'link-example.com', ['alice@example.com']);
    assert.equal((await t.members('example.com', 'herald')).length, 1200);
    await t.remove('example.com', 'herald', many.slice(100));
    assert.deepEqual((await t.members('example.com', 'herald')).sort(), many.slice(0, 100).sort());
    assert.deepEqual(await t.members('other.example', 'link-example.com'), ['alice@example.com']);
    await t.close();
    // ejabberd's own columns: jid "user@host", server_host the group's host, grp the group.
    const db = new Database(file, { readonly: true });
    assert.deepEqual(db.prepare("SELECT jid, server_host, grp FROM sr_user WHERE server_host = 'other.example'").all(), [{ jid: 'alice@example.com', server_host: 'other.example', grp: 'link-example.com' }]);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an archive file made before the shared roster moved to SQL gets its tables; no SQL setting: no tables (Mnesia, API only)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-srg-'));
  try {
    const file = path.join(dir, 'old.db');
    new Database(file).close(); // an existing file without sr_user
    const sql = externalSql({ dataDir: dir, xmpp: { external: { archiveDb: '%data%/old.db' } } });
    assert.deepEqual(sql, { archiveDb: file });
    const t = (await srgTablesOf(sql))!;
    assert.deepEqual(await t.members('example.com', 'herald'), []);
    await t.close();
    assert.equal(await srgTablesOf(externalSql({ dataDir: dir, xmpp: { external: {} } })), undefined);
    await assert.rejects(srgTablesOf({ archiveDb: path.join(dir, 'missing.db') }), /unable to open|does not exist|directory/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
