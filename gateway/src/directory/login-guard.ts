// Failed-login limits that an attacker cannot turn into a lockout of the account's owner.
// Three counters, each over a fixed window that starts at its first failure:
//  - per client address: past `perClient` failures the address may not try any account;
//  - per (account, client address): past `perPair` failures that address may not try that account;
//  - per account: past `perAccount` failures from anywhere the account is SLOWED, not shut:
//    addresses it never signed in from (successfully, within `familiarMs`) may try once per
//    interval, which doubles with every further failure up to `maxDelayMs`. Its familiar
//    addresses are not slowed, and device tokens never pass through here.
// Counters and familiar addresses live in SQLite (store/login-throttle.ts): a restart forgets
// nothing, and `user unlock` / a new password (clear) work from the CLI while `serve` runs.
import { HeraldError } from '../protocol/errors.ts';
import type { LoginThrottleStore } from '../store/index.ts';

export interface LoginLimits {
  windowMs: number;
  perClient: number;
  perPair: number;
  perAccount: number;
  /** First interval once the account is slowed; doubles with every further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long a successful sign-in keeps its client address familiar. */
  familiarMs: number;
}

export interface LoginGuard {
  /** Throws rate_limited (with retryAfterSeconds) when this attempt may not be made now. */
  check(account: string, client: string): void;
  failed(account: string, client: string): void;
  succeeded(account: string, client: string): void;
  /** Forgets the account's failures (unlock, new password); its familiar addresses stay. */
  clear(account: string): number;
  /** The account is gone: forget everything about it. */
  forget(account: string): void;
}

const SWEEP_MS = 60_000;
/** A familiar address's last success is written again only after this long. */
const REFRESH_MS = 3600_000;

export function createLoginGuard({ store, limits, now = Date.now }: { store: LoginThrottleStore; limits: LoginLimits; now?: () => number }): LoginGuard {
  const keys = (account: string, client: string) => ({ client: `client ${client}`, pair: `pair ${account} ${client}`, account: `account ${account}` });
  /** The row as it counts now: a window that has run out counts as no failures. */
  const current = (key: string, t: number) => {
    const row = store.get(key);
    return row && t - row.windowStart < limits.windowMs ? row : undefined;
  };
  const refuse = (message: string, untilMs: number, t: number): never => {
    const retryAfterSeconds = Math.max(1, Math.ceil((untilMs - t) / 1000));
    throw new HeraldError('rate_limited', `${message}; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
  };
  const delayFor = (failures: number) => Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** Math.min(30, failures - limits.perAccount));
  let lastSweep = 0;

  return {
    check(account, client) {
      const t = now();
      const k = keys(account, client);
      const byClient = current(k.client, t);
      if (byClient && byClient.failures >= limits.perClient) refuse('too many failed sign-ins from your address', byClient.windowStart + limits.windowMs, t);
      const pair = current(k.pair, t);
      if (pair && pair.failures >= limits.perPair) refuse('too many failed sign-ins to this account from your address', pair.windowStart + limits.windowMs, t);
      const acc = current(k.account, t);
      if (!acc || acc.failures < limits.perAccount) return;
      if (store.isFamiliar(account, client, t - limits.familiarMs)) return;
      if (t < acc.nextAt) refuse('this account had many failed sign-ins; from an address it has not signed in from before, sign-ins are slowed down', Math.min(acc.nextAt, t + limits.maxDelayMs), t);
      // Reserve the slot now (not at the failure): attempts started together cannot all slip in.
      store.put(k.account, account, { ...acc, nextAt: t + delayFor(acc.failures) });
    },

    failed(account, client) {
      const t = now();
      const k = keys(account, client);
      store.transaction(() => {
        for (const [key, owner] of [[k.client, null], [k.pair, account], [k.account, account]] as const) {
          const row = current(key, t);
          const failures = (row?.failures ?? 0) + 1;
          // The account's next slot moves with each failure past the threshold (bounded by maxDelayMs).
          const nextAt = key === k.account && failures >= limits.perAccount ? Math.max(row?.nextAt ?? 0, t + delayFor(failures)) : (row?.nextAt ?? 0);
          store.put(key, owner, { failures, windowStart: row?.windowStart ?? t, nextAt });
        }
        if (t - lastSweep >= SWEEP_MS) {
          lastSweep = t;
          store.sweep(t - limits.windowMs, t);
          store.forgetFamiliarBefore(t - limits.familiarMs);
        }
      });
    },

    succeeded(account, client) {
      const t = now();
      const pair = keys(account, client).pair;
      const hadFailures = store.get(pair) !== undefined;
      // A client that signs in often (a tray app reconnecting) costs a read, not a write, each time.
      const fresh = store.isFamiliar(account, client, t - Math.min(REFRESH_MS, limits.familiarMs / 10));
      if (!hadFailures && fresh) return;
      store.transaction(() => {
        if (hadFailures) store.delete(pair);
        if (!fresh) store.rememberFamiliar(account, client, t);
      });
    },

    clear: (account) => store.clearAccount(account),
    forget: (account) => store.forgetAccount(account),
  };
}
