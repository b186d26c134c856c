// The archive writer on a real SQLite file: rows wait and go together, readers and shutdown write
// what waits, a row the database refuses does not take the others with it, clear() sees waiting rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createStore } from '../../store/index.ts';
import { ArchiveWriter, CHUNK_ROWS } from './mam-writer.ts';

const ROOM = 'lobby@conference.example.com';
const row = (i: number) => `<message type="groupchat" from="${ROOM}/ann"><body>${i}</body></message>`;

function withWriter(fn: (w: ArchiveWriter, logged: Record<string, unknown>[]) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-writer-'));
    const store = createStore(dir);
    const logged: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    try {
      await fn(new ArchiveWriter(store.archive, pino({ level: 'error' }, sink)), logged);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'rows get their ids at once and are written together, within 50 ms or when someone flushes',
  withWriter(async (w) => {
    const ids = [1, 2, 3].map((i) => w.add(ROOM, `${ROOM}/ann`, row(i)));
    assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, 'increasing archive ids');
    assert.equal(w.store.count({ archive: ROOM }), 0, 'still waiting');
    w.flush();
    assert.deepEqual(
      w.store.page({ archive: ROOM }, { max: 10 }).rows.map((r) => r.id),
      ids,
    );
    w.add(ROOM, `${ROOM}/ann`, row(4));
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(w.store.count({ archive: ROOM }), 4, 'the timer wrote it');
  }),
);

test(
  'stop() writes what waits, and every later row at once',
  withWriter((w) => {
    w.add(ROOM, `${ROOM}/ann`, row(1));
    w.stop();
    assert.equal(w.store.count({ archive: ROOM }), 1);
    w.add(ROOM, `${ROOM}/ann`, row(2));
    assert.equal(w.store.count({ archive: ROOM }), 2);
  }),
);

test(
  'a row the database refuses is logged and dropped; the rows around it are written',
  withWriter((w, logged) => {
    w.add(ROOM, `${ROOM}/ann`, row(1));
    w.add(ROOM, `${ROOM}/ann`, null as unknown as string); // NOT NULL
    w.add(ROOM, `${ROOM}/ann`, row(3));
    w.flush();
    assert.deepEqual(
      w.store.page({ archive: ROOM }, { max: 10 }).rows.map((r) => r.stanza),
      [row(1), row(3)],
    );
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.msg, 'messages could not be archived');
    assert.deepEqual([logged[0]!.count, logged[0]!.of], [1, 3]);
    assert.match(String(logged[0]!.err), /NOT NULL/);
  }),
);

test(
  'clear() deletes an archive, rows still waiting included, and nothing of other archives',
  withWriter((w) => {
    w.add(ROOM, `${ROOM}/ann`, row(1));
    w.flush();
    w.add(ROOM, `${ROOM}/ann`, row(2));
    w.add('other@conference.example.com', 'other@conference.example.com/ben', row(3));
    assert.equal(w.clear(ROOM), 2);
    w.flush();
    assert.equal(w.store.count({ archive: ROOM }), 0);
    assert.equal(w.store.count({ archive: 'other@conference.example.com' }), 1);
  }),
);

test(
  'a burst is written CHUNK_ROWS at a time, between turns of the event loop, never in add() itself',
  withWriter(async (w) => {
    const batches: number[] = [];
    const add = w.store.add.bind(w.store);
    w.store.add = (rows) => {
      batches.push(rows.length);
      add(rows);
    };
    const ids = Array.from({ length: 1000 }, (_, i) => w.add(ROOM, `${ROOM}/ann`, row(i)));
    assert.deepEqual(batches, [], 'written inside add()');
    while (w.store.count({ archive: ROOM }) < 1000) await new Promise((r) => setImmediate(r));
    assert.ok(Math.max(...batches) <= CHUNK_ROWS, `a transaction of ${Math.max(...batches)} rows (at most ${CHUNK_ROWS})`);
    assert.equal(batches.reduce((a, b) => a + b, 0), 1000);
    assert.deepEqual(
      w.store.page({ archive: ROOM }, { max: 1000 }).rows.map((r) => r.id),
      ids,
      'in order',
    );
  }),
);
