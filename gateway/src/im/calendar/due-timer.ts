// One timer for many future moments: it is always set for the earliest pending item, and when it
// fires it hands over every item that is due and sets itself for the next. No polling: nothing
// runs between two due moments. The clock is injectable (tests), the timer is unref'd (it never
// keeps the process alive by itself).

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): unknown };
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** setTimeout's limit (about 24.8 days); a later moment is reached in steps. */
const MAX_DELAY = 2 ** 31 - 1;

export interface DueTimer<T> {
  /** Adds or replaces the item `id`, due at `at` (ms). */
  set(id: string, at: number, item: T): void;
  delete(id: string): void;
  /** Removes every item for which `pred` is true (one user's, when their calendars were read again). */
  deleteWhere(pred: (item: T) => boolean): void;
  has(id: string): boolean;
  /** Pending items, earliest first. */
  pending(): { id: string; at: number; item: T }[];
  close(): void;
}

export function createDueTimer<T>(o: { clock?: Clock; onDue(items: T[]): void }): DueTimer<T> {
  const clock = o.clock ?? systemClock;
  const items = new Map<string, { at: number; item: T }>();
  let handle: unknown;
  let armedFor = Infinity;
  let closed = false;

  const arm = () => {
    if (closed) return;
    let next = Infinity;
    for (const v of items.values()) if (v.at < next) next = v.at;
    if (next === armedFor) return;
    if (handle !== undefined) clock.clearTimeout(handle);
    handle = undefined;
    armedFor = next;
    if (next === Infinity) return;
    const h = clock.setTimeout(fire, Math.min(MAX_DELAY, Math.max(0, next - clock.now())));
    h.unref?.();
    handle = h;
  };

  function fire() {
    handle = undefined;
    armedFor = Infinity;
    const now = clock.now();
    const due: { at: number; item: T }[] = [];
    for (const [id, v] of items) {
      if (v.at <= now) {
        due.push(v);
        items.delete(id);
      }
    }
    arm();
    if (due.length) o.onDue(due.sort((a, b) => a.at - b.at).map((v) => v.item));
  }

  return {
    set(id, at, item) {
      items.set(id, { at, item });
      arm();
    },
    delete(id) {
      if (items.delete(id)) arm();
    },
    deleteWhere(pred) {
      for (const [id, v] of items) if (pred(v.item)) items.delete(id);
      arm();
    },
    has: (id) => items.has(id),
    pending: () => [...items].map(([id, v]) => ({ id, at: v.at, item: v.item })).sort((a, b) => a.at - b.at),
    close() {
      closed = true;
      if (handle !== undefined) clock.clearTimeout(handle);
      items.clear();
    },
  };
}
