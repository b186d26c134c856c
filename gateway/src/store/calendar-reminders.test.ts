// The sent-reminder store on a real SQLite file: a key is recorded once (a second record is
// refused: the caller's transaction rolls back), keys differ by every part, old rows are purged,
// rows go with their account, and a record inside a rolled-back transaction leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from './index.ts';

test('record once, keyed by account + UID + recurrence id + trigger; purge; cascade; rollback', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-calrem-'));
  const store = createStore(dir);
  try {
    store.domains.add('example.com');
    const a = store.accounts.add({ address: 'alice@example.com', local: 'alice', domain: 'example.com', displayName: 'Alice', passwordHash: null });
    const b = store.accounts.add({ address: 'bob@example.com', local: 'bob', domain: 'example.com', displayName: 'Bob', passwordHash: null });
    const r = store.calendarReminders;
    const key = { accountId: a.id, uid: 'u1', recurrenceId: 0, triggerAt: 1_000 };
    assert.equal(r.done(key), false);
    assert.equal(r.record(key, 'sent', 5), true);
    assert.equal(r.done(key), true);
    assert.equal(r.record(key, 'late', 6), false, 'a second record of the same key is refused');
    for (const other of [{ ...key, accountId: b.id }, { ...key, uid: 'u2' }, { ...key, recurrenceId: 7 }, { ...key, triggerAt: 2_000 }]) assert.equal(r.done(other), false, JSON.stringify(other));
    r.record({ ...key, triggerAt: 9_000 }, 'skipped', 7);
    assert.deepEqual(r.list(a.id), [
      { uid: 'u1', recurrenceId: 0, triggerAt: 1_000, outcome: 'sent', doneAt: 5 },
      { uid: 'u1', recurrenceId: 0, triggerAt: 9_000, outcome: 'skipped', doneAt: 7 },
    ]);
    assert.equal(r.purge(5_000), 1);
    assert.deepEqual(r.list(a.id).map((x) => x.triggerAt), [9_000]);
    assert.throws(() =>
      store.db.transaction(() => {
        r.record({ ...key, uid: 'rolled-back' }, 'sent');
        throw new Error('the delivery failed');
      })(),
    );
    assert.equal(r.done({ ...key, uid: 'rolled-back' }), false, 'recorded in the delivery transaction: gone with it');
    assert.throws(() => r.record({ ...key, uid: 'other' }, 'bogus' as 'sent'), /CHECK constraint/);
    store.accounts.remove('alice@example.com');
    assert.deepEqual(r.list(a.id), [], 'rows go with their account');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
