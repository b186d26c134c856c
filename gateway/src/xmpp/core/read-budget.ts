// How much reading one turn of the event loop may do (issue 12: no event-loop stall over 20 ms
// during a chat step). libuv's poll phase calls the read callback of every socket that became
// readable, one after the other, before timers run again: with the gateway near saturation that
// is every connection, each with several stanzas, and the turn grew to 20-50 ms of stanza work
// (measured: main-thread CPU time inside the stalls, not time waiting for a CPU) — on top of the
// archive writer's slice, the coalesced writes and a scavenge. Stream-management acks, idle
// timers, the HTTP API and every other connection waited that long.
//
// So a connection that becomes readable after this turn's READ_BUDGET_MS is paused with its chunk
// kept (nothing is lost or reordered: the kernel keeps what follows), and its chunks are parsed in
// a later turn, after that turn's timers. Once any connection waits, connections that become
// readable queue behind it (first come, first served), so a busy poll phase cannot starve the
// waiting ones; each later turn works through the queue for READ_BUDGET_MS and leaves the rest.
// The work is the same, only cut into turns: every turn stays near the budget plus one chunk.

/** Reading per turn of the event loop before further connections wait for the next turn, in ms. */
export const READ_BUDGET_MS = 5;

let turnStartedAt = 0;
const waiting: (() => void)[] = [];
let scheduled = false;

function endTurn(): void {
  turnStartedAt = 0;
}

/**
 * Whether a connection may parse what it just read now: the turn's budget is not spent and nobody
 * waits already. The first call of a turn starts the turn's clock (it stops at setImmediate,
 * after the turn's I/O callbacks).
 */
export function mayReadNow(): boolean {
  if (waiting.length) return false;
  const now = performance.now();
  if (turnStartedAt === 0) {
    turnStartedAt = now;
    setImmediate(endTurn);
  }
  return now - turnStartedAt < READ_BUDGET_MS;
}

/**
 * Queues `resume` (a connection's parsing of what it holds) for a later turn of the event loop,
 * after that turn's timers (an immediate queued by an immediate runs in the next turn).
 * `resume` gets a function telling whether this turn's budget still has room; a connection that
 * stops early because of it calls later() again, and goes to the end of the queue.
 */
export function later(resume: (budgetLeft: () => boolean) => void): void {
  waiting.push(resume as () => void);
  if (!scheduled) {
    scheduled = true;
    setImmediate(() => setImmediate(runWaiting));
  }
}

function runWaiting(): void {
  scheduled = false;
  const startedAt = performance.now();
  const budgetLeft = () => performance.now() - startedAt < READ_BUDGET_MS;
  // Whoever is queued now: the first always gets to read (progress), then until the budget is spent.
  const due = waiting.splice(0);
  let k = 0;
  for (; k < due.length && (k === 0 || budgetLeft()); k++) {
    try {
      (due[k] as (b: () => boolean) => void)(budgetLeft);
    } catch {
      // One connection's failure must not strand the others (its socket's handlers deal with it).
    }
  }
  // Those not reached keep their place, ahead of any that queued meanwhile.
  if (k < due.length) waiting.unshift(...due.slice(k));
  if (waiting.length && !scheduled) {
    scheduled = true;
    setImmediate(runWaiting);
  }
}
