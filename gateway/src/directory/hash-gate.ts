// At most `max` password hashes (scrypt: ~70 ms and 32 MiB each, on libuv's thread pool) at once.
// One more is refused at once with `busy` (429, Retry-After) instead of waiting in a queue: a queue
// would let a crowd of wrong passwords delay everyone's sign-in and hold memory per request.
import { HeraldError } from '../protocol/errors.ts';

export interface HashGate {
  /** Runs `fn` if a slot is free; throws HeraldError busy when all `max` are taken. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  readonly active: number;
}

export function createHashGate(max: number): HashGate {
  let active = 0;
  return {
    async run(fn) {
      if (active >= max) {
        throw new HeraldError('busy', 'the server is busy checking other sign-ins; try again in a moment', { retryAfterSeconds: 1 });
      }
      active++;
      try {
        return await fn();
      } finally {
        active--;
      }
    },
    get active() {
      return active;
    },
  };
}
