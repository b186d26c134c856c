// The archive store on a real SQLite file: one row in two archives, both-way paging across the
// sent/received branches, messages to oneself, room rows, ids that only go up, retention, rows
// imported with their receive times, and a room archive cleared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from './index.ts';
import { archivedAt, archiveIdAt, parseArchiveId } from './archive.ts';

function withStore(fn: (s: ReturnType<typeof createStore>) => void) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-archive-'));
  const store = createStore(dir);
  try {
    fn(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const A = 'ann@example.com';
const B = 'ben@example.com';
const C = 'cat@example.com';
const ROOM = 'lobby@conference.example.com';

test('one row is in both archives; paging crosses sent and received in order, both ways', () => {
  withStore(({ archive }) => {
    // ann↔ben alternating, ann→cat, ann→ann, and a room row whose peer is an occupant JID.
    const plan: [string, string][] = [[A, B], [B, A], [A, C], [A, B], [A, A], [B, A], [ROOM, `${ROOM}/ann`], [A, B]];
    const rows = plan.map(([owner, peer], i) => ({ id: archive.nextId(), owner, peer, stanza: `<message><body>${i}</body></message>` }));
    archive.add(rows);
    const bodies = (r: { stanza: string }[]) => r.map((x) => Number(/<body>(\d+)/.exec(x.stanza)![1]));

    assert.deepEqual(bodies(archive.page({ archive: A }, { max: 50 }).rows), [0, 1, 2, 3, 4, 5, 7], 'the room row is not ann’s');
    assert.deepEqual(bodies(archive.page({ archive: B }, { max: 50 }).rows), [0, 1, 3, 5, 7]);
    assert.deepEqual(bodies(archive.page({ archive: A, with: B }, { max: 50 }).rows), [0, 1, 3, 5, 7]);
    assert.deepEqual(bodies(archive.page({ archive: A, with: A }, { max: 50 }).rows), [4], 'to oneself: once');
    assert.deepEqual(bodies(archive.page({ archive: ROOM }, { max: 50 }).rows), [6]);
    assert.deepEqual(bodies(archive.page({ archive: ROOM, with: `${ROOM}/ann` }, { max: 50 }).rows), [6]);
    assert.equal(archive.count({ archive: A }), 7);
    assert.equal(archive.count({ archive: A, with: B }), 5);

    const first = archive.page({ archive: A }, { max: 3 });
    assert.deepEqual([bodies(first.rows), first.more], [[0, 1, 2], true]);
    const next = archive.page({ archive: A }, { max: 3, after: first.rows[2]!.id });
    assert.deepEqual([bodies(next.rows), next.more], [[3, 4, 5], true]);
    const lastPage = archive.page({ archive: A }, { max: 3, backward: true });
    assert.deepEqual([bodies(lastPage.rows), lastPage.more], [[4, 5, 7], true]);
    const before = archive.page({ archive: A }, { max: 3, backward: true, before: lastPage.rows[0]!.id });
    assert.deepEqual([bodies(before.rows), before.more], [[1, 2, 3], true]);
    const start = archive.page({ archive: A }, { max: 3, backward: true, before: before.rows[0]!.id });
    assert.deepEqual([bodies(start.rows), start.more], [[0], false]);

    assert.ok(archive.has(B, rows[1]!.id));
    assert.ok(!archive.has(C, rows[1]!.id), 'not cat’s');
    assert.deepEqual(bodies(archive.page({ archive: A, ids: [rows[3]!.id, rows[2]!.id] }, { max: 50 }).rows), [2, 3]);
  });
});

test('ids only go up (also when the clock steps back), and tell the receive time', () => {
  withStore(({ archive }) => {
    const now = archive.nextId();
    assert.ok(Math.abs(archivedAt(now) - Date.now()) < 1000, 'µs since the epoch');
    assert.ok(archive.nextId() > now);
    // A row from an hour ahead (a clock that was wrong, an import): later ids stay above it.
    const future = archiveIdAt(Date.now() + 3_600_000);
    archive.add([{ id: future, owner: A, peer: B, stanza: '<message/>' }]);
    const next = archive.nextId();
    assert.ok(next > future, 'above every id in the archive');
    assert.ok(archive.nextId() > next);
    assert.equal(parseArchiveId(String(next)), next);
    assert.equal(parseArchiveId('12ab'), undefined);
    assert.equal(parseArchiveId('1'.repeat(17)), undefined);
  });
});

test('start/end are inclusive to the millisecond; purge removes what is older, in batches', () => {
  withStore(({ archive }) => {
    const t0 = Date.parse('2024-05-01T12:00:00Z');
    const rows = Array.from({ length: 12_000 }, (_, i) => ({ id: archiveIdAt(t0 + i) + 7, owner: A, peer: B, stanza: `<message><body>${i}</body></message>` }));
    archive.add(rows);
    assert.equal(archive.count({ archive: A, start: t0 + 10, end: t0 + 19 }), 10);
    assert.equal(archive.count({ archive: B, end: t0 }), 1);
    assert.equal(archive.purge(t0 + 11_000), 11_000);
    assert.equal(archive.count({ archive: A }), 1000);
    assert.equal(archive.clear(A), 1000);
  });
});

test('addReceived gives each row the first free id of its millisecond, in time order; clear() deletes one archive in batches', () => {
  withStore(({ archive }) => {
    const t = Date.parse('2024-05-01T12:00:00Z');
    const taken = archiveIdAt(t);
    archive.add([{ id: taken, owner: A, peer: B, stanza: '<message><body>already there</body></message>' }]);
    archive.addReceived([
      { at: t + 5, owner: ROOM, peer: `${ROOM}/ann`, stanza: '<message><body>later</body></message>' },
      { at: t, owner: ROOM, peer: `${ROOM}/ann`, stanza: '<message><body>first</body></message>' },
      { at: t, owner: ROOM, peer: `${ROOM}/ben`, stanza: '<message><body>same ms</body></message>' },
    ]);
    const rows = archive.page({ archive: ROOM }, { max: 10 }).rows;
    assert.deepEqual(
      rows.map((r) => [r.id, /<body>(.*)<\/body>/.exec(r.stanza)![1]]),
      [
        [taken + 1, 'first'],
        [taken + 2, 'same ms'],
        [archiveIdAt(t + 5), 'later'],
      ],
    );
    assert.ok(rows.every((r) => archivedAt(r.id) === t || archivedAt(r.id) === t + 5), 'the receive times are kept');
    assert.ok(archive.nextId() > archiveIdAt(t + 5));

    archive.add(Array.from({ length: 12_000 }, (_, i) => ({ id: archiveIdAt(t + 1000 + i), owner: ROOM, peer: `${ROOM}/ann`, stanza: '<message/>' })));
    assert.equal(archive.clear(ROOM), 12_003);
    assert.equal(archive.count({ archive: ROOM }), 0);
    assert.equal(archive.count({ archive: A }), 1, 'other archives are untouched');
  });
});
