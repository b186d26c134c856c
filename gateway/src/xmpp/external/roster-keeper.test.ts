import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRosterKeeper } from './roster-keeper.ts';
import type { RosterSync } from './ejabberd-roster.ts';

const done: RosterSync = { groupsWritten: 1, membersAdded: 1, membersRemoved: 0, groupsDeleted: 0, inBulk: 0 };

function recorder() {
  const lines: { level: string; msg: string }[] = [];
  return { lines, log: { info: (_o: object, msg: string) => lines.push({ level: 'info', msg }), warn: (_o: object, msg: string) => lines.push({ level: 'warn', msg }) } };
}

// The keeper's timers are unref'd (they must not keep `serve` alive); a test's own handle keeps the loop up.
const keepAlive = () => {
  const t = setInterval(() => undefined, 60_000);
  return () => clearInterval(t);
};

test('a burst of 200 changes makes one sync; changes during a sync make exactly one more, never two at once', async () => {
  let running = 0;
  let most = 0;
  const started: (() => void)[] = [];
  const sync = () =>
    new Promise<RosterSync>((resolve) => {
      running++;
      most = Math.max(most, running);
      started.push(() => {
        running--;
        resolve(done);
      });
    });
  const { log } = recorder();
  const k = createRosterKeeper({ sync, log, quietMs: 20 });
  for (let i = 0; i < 200; i++) k.changed();
  const firstStarted = new Promise<void>((resolve) => {
    const t = setInterval(() => started.length && (clearInterval(t), resolve()), 1);
  });
  await firstStarted;
  // While the first sync runs, 100 more changes: they wait for it.
  for (let i = 0; i < 100; i++) k.changed();
  started.shift()!();
  const secondStarted = new Promise<void>((resolve) => {
    const t = setInterval(() => started.length && (clearInterval(t), resolve()), 1);
  });
  await secondStarted;
  started.shift()!();
  await k.inStep();
  assert.deepEqual({ runs: k.status().runs, changes: k.status().changes, most }, { runs: 2, changes: 300, most: 1 });
  assert.deepEqual(k.status().lastSync?.result, done);
  await k.close();
});

test('a failing sync is retried with back-off, logged once per outage and once when it is over', async () => {
  let failures = 4;
  const { lines, log } = recorder();
  const k = createRosterKeeper({
    sync: () => (failures-- > 0 ? Promise.reject(new Error('ejabberd is down')) : Promise.resolve(done)),
    log,
    quietMs: 1,
    firstRetryMs: 2,
    maxRetryMs: 8,
  });
  const release = keepAlive();
  k.changed();
  await k.inStep();
  release();
  assert.equal(k.status().runs, 5, 'four failures, then the sync that worked');
  assert.deepEqual(
    lines.map((l) => l.level),
    ['warn', 'info', 'info'],
  );
  assert.match(lines[0]!.msg, /could not be put in step: retrying/);
  assert.match(lines[1]!.msg, /in step again/);
  assert.equal(k.status().error, null);
  await k.close();
});

test('changes while failing do not bypass the back-off; close() stops it', async () => {
  const { log } = recorder();
  let calls = 0;
  const k = createRosterKeeper({ sync: () => (calls++, Promise.reject(new Error('down'))), log, quietMs: 1, firstRetryMs: 60_000 });
  k.changed();
  const failed = new Promise<void>((resolve) => {
    const t = setInterval(() => k.status().error && (clearInterval(t), resolve()), 1);
  });
  await failed;
  for (let i = 0; i < 50; i++) k.changed();
  // A sync the changes could have started (quietMs is 1 ms) would have run by the time this one has.
  const probe = createRosterKeeper({ sync: () => Promise.resolve(done), log, quietMs: 1 });
  const release = keepAlive();
  probe.changed();
  await probe.inStep();
  release();
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 1, 'the next try waits for the back-off (60 s), not for the changes');
  await k.close();
  await probe.close();
});
