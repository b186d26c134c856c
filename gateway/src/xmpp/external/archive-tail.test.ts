// The tail on a real SQLite archive file with ejabberd's schema (ejabberd-archive.ts); the lines'
// exactly-once part is im/im-log-feed.ts's (and test/integration/ejabberd-im-log.test.ts with ejabberd).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startArchiveTail, type TailRow } from './archive-tail.ts';
import { createArchiveDb } from './ejabberd-archive.ts';

function harness(file: string) {
  const rows: TailRow[] = [];
  const warnings: { o: object; msg: string }[] = [];
  let lastId = 0;
  let wake: (() => void) | undefined;
  const changed = () => new Promise<void>((r) => (wake = r));
  const log = {
    info: () => undefined,
    warn: (o: object, msg: string) => {
      warnings.push({ o, msg });
      wake?.();
    },
    error: () => undefined,
  };
  const tail = startArchiveTail({
    file,
    pollMs: 50,
    served: (d) => d === 'example.com',
    sink: {
      lastId: () => lastId,
      pendingUpto: () => null,
      write: (batch, upto) => {
        rows.push(...batch);
        lastId = upto ?? batch.at(-1)?.id ?? lastId;
        wake?.();
      },
    },
    log,
  });
  return { rows, warnings, changed, tail };
}

const insert = (db: Database.Database, xml: string) =>
  db.prepare("INSERT INTO archive (username, server_host, timestamp, peer, bare_peer, xml, txt, kind, nick) VALUES ('alice', 'example.com', ?, 'bob@example.com', 'bob@example.com', ?, '', 'chat', '')").run(1796682224444890, xml);

test('new rows reach the sink in id order with their archive time; a bad row is warned about by id and passed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-tail-'));
  const file = path.join(dir, 'mam.db');
  assert.equal(createArchiveDb(file), true);
  assert.equal(createArchiveDb(file), false);
  const db = new Database(file);
  const h = harness(file);
  try {
    const more = h.changed();
    insert(db, "<message from='alice@example.com/a' to='bob@example.com' type='chat'><body>one</body></message>");
    insert(db, "<message from='alice@example.com/a' to='bob@example.com' type='chat'><body>tw");
    insert(db, "<message from='alice@example.com/a' to='bob@example.com' type='chat'><body>three</body></message>");
    await more;
    while (h.rows.length < 3) await h.changed();
    assert.deepEqual(
      h.rows.map((r) => [r.id, r.entry?.body ?? null, r.time.toISOString()]),
      [
        [1, 'one', '2026-12-07T22:23:44.444Z'],
        [2, null, '2026-12-07T22:23:44.444Z'],
        [3, 'three', '2026-12-07T22:23:44.444Z'],
      ],
    );
    const bad = h.warnings.find((w) => /archive row skipped/.test(w.msg));
    assert.deepEqual(bad?.o, { archiveId: 2, reason: bad && (bad.o as { reason: string }).reason });
    assert.match((bad!.o as { reason: string }).reason, /unparsable xml/);
    assert.equal(h.warnings.filter((w) => /WAL/.test(w.msg)).length, 0);
  } finally {
    h.tail.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an archive ejabberd made itself (not WAL) is read, with a warning that says how to fix it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-tail-'));
  const file = path.join(dir, 'mam.db');
  createArchiveDb(file);
  const db = new Database(file);
  db.pragma('journal_mode = DELETE');
  insert(db, "<message from='alice@example.com/a' to='bob@example.com' type='chat'><body>one</body></message>");
  const h = harness(file);
  try {
    while (!h.warnings.some((w) => /not in WAL mode/.test(w.msg)) || h.rows.length < 1) await h.changed();
    assert.match(h.warnings.find((w) => /not in WAL mode/.test(w.msg))!.msg, /PRAGMA journal_mode=WAL/);
    assert.equal(h.rows[0]!.entry?.body, 'one');
  } finally {
    h.tail.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
