// Failed-login limiter: a sliding window of failure times per key (account, client address).
// In memory: a gateway restart forgets it, which only helps a patient attacker by one window.
import { HeraldError } from '../protocol/errors.ts';

export interface RateLimiter {
  /** Throws rate_limited when `key` has reached its limit of failures within the window. */
  check(key: string, now?: number): void;
  fail(key: string, now?: number): void;
  reset(key: string): void;
}

export function createRateLimiter(opts: { max: number; windowMs: number; what: string }): RateLimiter {
  const failures = new Map<string, number[]>();
  const recent = (key: string, now: number) => {
    const list = failures.get(key);
    if (!list) return [];
    while (list.length && list[0]! <= now - opts.windowMs) list.shift();
    if (!list.length) failures.delete(key);
    return list;
  };
  // Sweep old keys now and then so the map cannot grow without bound.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const key of failures.keys()) recent(key, now);
  }, Math.min(opts.windowMs, 60_000));
  sweep.unref();
  return {
    check(key, now = Date.now()) {
      const list = recent(key, now);
      if (list.length >= opts.max) {
        const retry = Math.ceil((list[0]! + opts.windowMs - now) / 1000);
        throw new HeraldError('rate_limited', `too many failed logins for this ${opts.what}; try again in ${retry} s`, {
          retryAfterSeconds: retry,
        });
      }
    },
    fail(key, now = Date.now()) {
      const list = failures.get(key) ?? [];
      list.push(now);
      failures.set(key, list);
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
