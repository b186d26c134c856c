// Reconnect delays: exponential with full-range jitter around the nominal value, so that 1,000
// watches dropped by one server restart do not come back in lock step.

export interface BackoffOptions {
  /** First delay. */
  minMs: number;
  /** Ceiling of the nominal delay. */
  maxMs: number;
  /** ± fraction of the nominal delay (0.3 = 70 %..130 %). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 500, maxMs: 30_000, jitter: 0.3 };

/** Delay before reconnect attempt number `attempt` (0 = the first retry after a failure). */
export function backoffDelay(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const nominal = Math.min(o.maxMs, o.minMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(nominal * (1 - o.jitter + 2 * o.jitter * random()));
}
