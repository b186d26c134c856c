// The failed-login limits on a real SQLite file with a fake clock: the (account, address) pair and
// the address are shut past their limits; the account is only slowed, for addresses it does not
// know, at a doubling interval bounded by maxDelayMs; familiar addresses pass; clear() resets;
// windows run out; and everything survives closing and reopening the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeraldError } from '../protocol/errors.ts';
import { createStore, type Store } from '../store/index.ts';
import { createLoginGuard, type LoginLimits } from './login-guard.ts';

const LIMITS: LoginLimits = { windowMs: 900_000, perClient: 20, perPair: 5, perAccount: 10, baseDelayMs: 1000, maxDelayMs: 60_000, familiarMs: 30 * 86_400_000 };
const ALICE = 'alice@example.com';

function setup(limits: Partial<LoginLimits> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-guard-'));
  const clock = { t: 1_000_000 };
  let store: Store = createStore(dir);
  const make = () => createLoginGuard({ store: store.loginThrottle, limits: { ...LIMITS, ...limits }, now: () => clock.t });
  let guard = make();
  return {
    clock,
    get guard() {
      return guard;
    },
    rows(like: string): number {
      return (store.db.prepare('SELECT count(*) AS n FROM login_throttle WHERE key LIKE ?').get(like) as { n: number }).n;
    },
    reopen() {
      store.close();
      store = createStore(dir);
      guard = make();
    },
    done() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The refusal's Retry-After, or undefined when the attempt may be made. */
function refusal(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof HeraldError && e.code === 'rate_limited', String(e));
    return e.details.retryAfterSeconds;
  }
}

test('per (account, address): past perPair failures that address may not try that account; others may', () => {
  const s = setup();
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal(refusal(() => s.guard.check(ALICE, '10.0.0.1')), undefined, `attempt ${i + 1}`);
      s.guard.failed(ALICE, '10.0.0.1');
    }
    s.clock.t += 60_000;
    assert.equal(refusal(() => s.guard.check(ALICE, '10.0.0.1')), 840, 'shut until the window (from the first failure) ends');
    assert.equal(refusal(() => s.guard.check('bob@example.com', '10.0.0.1')), undefined, 'another account from the same address');
    assert.equal(refusal(() => s.guard.check(ALICE, '10.0.0.2')), undefined, 'the same account from another address');
    s.clock.t += 840_000;
    assert.equal(refusal(() => s.guard.check(ALICE, '10.0.0.1')), undefined, 'the window ran out');
    assert.equal(s.rows('% 10.0.0.1'), 2, 'the rows of the run-out window are still there…');
    s.guard.failed('zed@example.com', '10.0.0.3');
    assert.equal(s.rows('% 10.0.0.1'), 0, '…until a later failure sweeps them away (the table does not grow without bound)');
  } finally {
    s.done();
  }
});

test('per address: past perAddress failures (any accounts) the address may not try at all', () => {
  const s = setup();
  try {
    for (let i = 0; i < 20; i++) s.guard.failed(`user${i}@example.com`, '10.0.0.9');
    const retry = refusal(() => s.guard.check('fresh@example.com', '10.0.0.9'));
    assert.equal(retry, 900);
    assert.equal(refusal(() => s.guard.check('fresh@example.com', '10.0.0.8')), undefined);
  } finally {
    s.done();
  }
});

test('per account: slowed, not shut — unfamiliar addresses wait a doubling interval (≤ max), familiar ones and a new password pass', () => {
  const s = setup();
  try {
    // The owner signed in from home once; then an attacker tries from ten addresses.
    s.guard.succeeded(ALICE, '192.0.2.7');
    for (let i = 0; i < 10; i++) {
      assert.equal(refusal(() => s.guard.check(ALICE, `203.0.113.${i}`)), undefined, `below perAccount (${i})`);
      s.guard.failed(ALICE, `203.0.113.${i}`);
    }
    // Slowed: the first failure past the limit put the next slot 1 s ahead.
    assert.equal(refusal(() => s.guard.check(ALICE, '203.0.113.50')), 1);
    assert.equal(refusal(() => s.guard.check(ALICE, '192.0.2.7')), undefined, 'the owner at a familiar address is not slowed');
    s.clock.t += 1000;
    assert.equal(refusal(() => s.guard.check(ALICE, '203.0.113.50')), undefined, 'after the interval one attempt passes');
    assert.equal(refusal(() => s.guard.check(ALICE, '203.0.113.51')), 1, 'and takes the slot: attempts started together cannot all pass');
    s.guard.failed(ALICE, '203.0.113.50');
    // Each failure doubles the interval, never past maxDelayMs.
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const w = refusal(() => s.guard.check(ALICE, `198.51.100.${i}`)) ?? 0;
      waits.push(w);
      s.clock.t += w * 1000;
      assert.equal(refusal(() => s.guard.check(ALICE, `198.51.100.${i}`)), undefined);
      s.guard.failed(ALICE, `198.51.100.${i}`);
    }
    assert.deepEqual(waits, [2, 4, 8, 16, 32, 60, 60, 60]);
    assert.equal(refusal(() => s.guard.check(ALICE, '192.0.2.7')), undefined, 'the familiar address still passes');
    assert.ok(refusal(() => s.guard.check(ALICE, '203.0.113.99'))! <= 60, 'never more than maxDelaySeconds');
    // A familiar address expires after familiarMs.
    s.clock.t += LIMITS.familiarMs - 200_000;
    s.guard.failed(ALICE, '203.0.113.1');
    for (let i = 0; i < 10; i++) s.guard.failed(ALICE, `203.0.113.${100 + i}`);
    assert.ok(refusal(() => s.guard.check(ALICE, '192.0.2.7'))! > 0, 'a month without signing in from there: no longer familiar');
    // A new password (or `user unlock`) clears the account's counters.
    assert.ok(s.guard.clear(ALICE) > 0);
    assert.equal(refusal(() => s.guard.check(ALICE, '203.0.113.200')), undefined);
    assert.equal(s.guard.clear(ALICE), 0, 'nothing left to clear');
  } finally {
    s.done();
  }
});

test('a success clears only its own pair and makes the address familiar; the counters survive reopening the store', () => {
  const s = setup();
  try {
    for (let i = 0; i < 4; i++) s.guard.failed(ALICE, '10.1.1.1');
    s.guard.succeeded(ALICE, '10.1.1.1');
    for (let i = 0; i < 4; i++) s.guard.failed(ALICE, '10.1.1.1');
    assert.equal(refusal(() => s.guard.check(ALICE, '10.1.1.1')), undefined, 'the success reset the pair: 4 new failures < 5');
    for (let i = 0; i < 5; i++) s.guard.failed(ALICE, `10.2.2.${i}`);
    s.guard.failed(ALICE, '10.1.1.1');
    assert.equal(refusal(() => s.guard.check(ALICE, '10.1.1.1')), 900, 'five failures on the pair (after the success)');
    s.reopen();
    assert.equal(refusal(() => s.guard.check(ALICE, '10.1.1.1')), 900, 'the pair is still shut after a restart');
    assert.equal(refusal(() => s.guard.check(ALICE, '10.9.9.9')), 16, 'the account is still slowed after a restart (14 failures: 2^4 s)');
    s.guard.clear(ALICE);
    s.reopen();
    assert.equal(refusal(() => s.guard.check(ALICE, '10.1.1.1')), undefined, 'cleared is cleared for good');
    assert.equal(refusal(() => s.guard.check(ALICE, '10.9.9.9')), undefined);
  } finally {
    s.done();
  }
});

test('forget(): a deleted account leaves no counters and no familiar addresses', () => {
  const s = setup({ perAccount: 1 });
  try {
    s.guard.succeeded(ALICE, '10.0.0.1');
    s.guard.failed(ALICE, '10.0.0.2');
    assert.equal(refusal(() => s.guard.check(ALICE, '10.0.0.1')), undefined);
    assert.equal(refusal(() => s.guard.check(ALICE, '10.0.0.3')), 1);
    s.guard.forget(ALICE);
    s.guard.failed(ALICE, '10.0.0.2');
    assert.equal(refusal(() => s.guard.check(ALICE, '10.0.0.1')), 1, 'the address was forgotten with the account');
  } finally {
    s.done();
  }
});
