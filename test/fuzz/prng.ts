// A small seeded PRNG (mulberry32) and the hostile values the fuzz suites draw from it: the same
// seed gives the same cases, so a failure prints a seed and a case number that replay it.
export interface Rng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Buffer;
  /** A hostile string: empty, huge, control characters, lone surrogates, markup, format strings. */
  text(): string;
}

export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const rng: Rng = {
    seed,
    next,
    int,
    chance: (p) => next() < p,
    pick,
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => int(256))),
    text() {
      const atoms = ['', 'a', 'alice@example.com', '\u0000', '\u0007\u001b[2J', '\ud800', '\uffff', 'é', '😀', '<x>', ']]>', '&amp;', '%s%n', '../', '..\\', '\r\n', ' ', '"\'', '{}', 'null', '-1', '1e309', 'Bearer'];
      const n = int(4);
      let out = '';
      for (let i = 0; i < n; i++) out += pick(atoms);
      if (next() < 0.05) out += 'x'.repeat(pick([300, 5000, 70_000]));
      return out;
    },
  };
  return rng;
}

/** The seed of a run: the environment's FUZZ_SEED, else the fixed CI seed. */
export const seedFrom = (env: NodeJS.ProcessEnv, fixed: number) => (env.FUZZ_SEED ? Number(env.FUZZ_SEED) >>> 0 : fixed);

/** A random JSON value (objects and arrays nested up to `depth`). */
export function randomJson(rng: Rng, depth = 3): unknown {
  const kind = rng.int(depth > 0 ? 8 : 6);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MIN_VALUE]);
    case 3:
    case 4:
      return rng.text();
    case 5:
      return rng.pick([[], {}, '', ' ']);
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth - 1));
    default:
      return Object.fromEntries(Array.from({ length: rng.int(4) }, () => [rng.pick(['type', 'user', 'password', 'token', 'path', 'uid', 'rules', '__proto__', 'constructor', rng.text()]), randomJson(rng, depth - 1)]));
  }
}

/** `value` with one thing changed: a field dropped, retyped, added, or the whole replaced. */
export function mutateJson(rng: Rng, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || rng.chance(0.15)) return randomJson(rng);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...(value as unknown[])] : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const op = rng.int(4);
  if (op === 0 && keys.length) delete (copy as Record<string, unknown>)[rng.pick(keys)];
  else if (op === 1 && keys.length) {
    const k = rng.pick(keys);
    (copy as Record<string, unknown>)[k] = mutateJson(rng, (copy as Record<string, unknown>)[k]);
  } else if (op === 2) (copy as Record<string, unknown>)[rng.pick(['extra', '__proto__', rng.text().slice(0, 20)])] = randomJson(rng);
  else if (keys.length) (copy as Record<string, unknown>)[rng.pick(keys)] = randomJson(rng);
  return copy;
}

/** A deeply nested JSON text (`[[[...]]]`), the classic stack-exhaustion body. */
export const deepJson = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
