// Reconnect delays: exponential with jitter, so every desktop of a company does not come back in
// the same second after a gateway restart (AWS Architecture Blog, "Exponential Backoff And Jitter":
// "equal jitter" — half the nominal delay fixed, half random — never retries at once).

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 1000, maxMs: 60_000 };

/** Delay before retry number `attempt` (0 = first retry). */
export function backoffDelay(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const nominal = Math.min(o.maxMs, o.minMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(nominal / 2 + (nominal / 2) * random());
}
