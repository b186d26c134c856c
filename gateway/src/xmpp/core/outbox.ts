// Presence the server fans out (RFC 6121 §4.2.2 broadcast, §4.2.3 the answers to an initial
// presence, §4.5.2 unavailable, roster-driven visibility changes), delivered in time slices. A
// domain of N users whose roster is everyone is N copies per presence and N² for a morning
// sign-in: sent in one go, a single broadcast or initial presence to 5,000 sessions held the event
// loop for as long as it took, and sign-ins, pings and messages waited behind it. Here a fan-out
// larger than SYNC_MAX, or any fan-out while others wait, joins one FIFO queue that is worked
// through SLICE_MS at a time, one setImmediate turn after another (I/O gets its turn between).
//
// Order: every copy goes through this one queue in the order the fan-outs were made, so each
// recipient sees a sender's presences in the order they were sent, and a visibility change
// (unavailable) never overtakes the available presence before it. Presence answered directly
// (probes, directed presence, subscriptions) and messages do not wait in the queue: while a backlog
// exists they may reach a recipient before a queued presence of the same sender — harmless for
// the final state, which is always the last presence queued.
import type { Element } from 'ltx';
import { addressed } from './fanout.ts';
import { fanoutDone, fanoutUnderway } from './transport.ts';
import type { Session } from './session.ts';

/** Fan-outs up to this many copies go out at once when nothing waits. */
export const SYNC_MAX = 256;
/** Time one slice may take (ms), checked every CHECK_EVERY copies. */
export const SLICE_MS = 8;
const CHECK_EVERY = 64;

type Job =
  /** One stanza to many sessions (a broadcast): only to those still available when it is their turn. */
  | { kind: 'many'; template: Element; to: readonly Session[]; i: number }
  /** Many stanzas to one session (the presence of everyone it sees): only while it is available. */
  | { kind: 'one'; templates: readonly Element[]; to: Session; i: number };

export interface Outbox {
  /** `template` addressed to each of `to` (RFC 6121 §4.2.2: each gets its own full JID as `to`). */
  broadcast(template: Element, to: readonly Session[]): void;
  /** Each of `templates` addressed to `to`. */
  toOne(to: Session, templates: readonly Element[]): void;
  /** Copies waiting (admin status, tests). */
  readonly backlog: number;
  /** Resolves when nothing waits (tests). */
  idle(): Promise<void>;
}

const sizeOf = (j: Job) => (j.kind === 'many' ? j.to.length : j.templates.length);

export function createOutbox(opts: { syncMax?: number; sliceMs?: number } = {}): Outbox {
  const syncMax = opts.syncMax ?? SYNC_MAX;
  const sliceMs = opts.sliceMs ?? SLICE_MS;
  const queue: Job[] = [];
  let head = 0;
  let backlog = 0;
  let scheduled = false;
  const waiters: (() => void)[] = [];

  /** Delivers up to `budget` copies of `job`; returns how many it handled. */
  const work = (job: Job, budget: number): number => {
    const end = Math.min(sizeOf(job), job.i + budget);
    const start = job.i;
    if (job.kind === 'many') {
      for (let i = start; i < end; i++) {
        const s = job.to[i]!;
        if (s.available) s.send(addressed(job.template, s.jid!.full));
      }
    } else {
      const s = job.to;
      if (s.available) {
        const me = s.jid!.full;
        for (let i = start; i < end; i++) s.send(addressed(job.templates[i]!, me));
      }
    }
    job.i = end;
    return end - start;
  };

  const drain = () => {
    scheduled = false;
    const until = performance.now() + sliceMs;
    while (head < queue.length) {
      const job = queue[head]!;
      backlog -= work(job, CHECK_EVERY);
      if (job.i >= sizeOf(job)) {
        queue[head++] = undefined as unknown as Job;
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
      }
      if (performance.now() >= until) break;
    }
    if (head < queue.length) {
      scheduled = true;
      setImmediate(drain);
      fanoutUnderway(); // more copies for the same connections next turn: fewer, larger writes (transport.ts)
    } else {
      fanoutDone();
      queue.length = 0;
      head = 0;
      for (const w of waiters.splice(0)) w();
    }
  };

  const add = (job: Job) => {
    const n = sizeOf(job);
    if (!n) return;
    if (head >= queue.length && n <= syncMax) {
      work(job, n);
      return;
    }
    queue.push(job);
    backlog += n;
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };

  return {
    broadcast: (template, to) => add({ kind: 'many', template, to, i: 0 }),
    toOne: (to, templates) => add({ kind: 'one', templates, to, i: 0 }),
    get backlog() {
      return backlog;
    },
    idle: () => (head >= queue.length ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}
