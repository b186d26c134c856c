// Closing the gateway within a deadline (issue 11): the steps run in order, as they always did
// (alert summaries go out while XMPP still runs, the database closes last), but a step that does
// not finish by the deadline — a peer that keeps a socket half-open, a mail server that went
// quiet — is forced (its sockets destroyed) and abandoned, the steps after it get a short grace,
// and the caller learns what did not finish, by name, instead of waiting forever.

export interface CloseStep {
  name: string;
  run: () => void | Promise<void>;
  /** What the step still waits for, in words, for the report ("2 connections still open"). */
  waiting?: () => string | undefined;
  /** Ends at once what the step waits for (destroys sockets); called when its time is up. */
  force?: () => void;
}

/** Some steps did not finish by the deadline (or failed); the gateway's resources are released all the same. */
export class ShutdownIncompleteError extends Error {
  override readonly name = 'ShutdownIncompleteError';
  constructor(
    readonly pending: string[],
    readonly failed: string[],
    readonly deadlineMs: number,
  ) {
    super(
      [pending.length ? `not finished within the shutdown deadline (${deadlineMs / 1000} s): ${pending.join('; ')}` : '', failed.length ? `failed while closing: ${failed.join('; ')}` : '']
        .filter(Boolean)
        .join('; '),
    );
  }
}

export interface CloseOptions {
  /** Overall time for the steps; past it, what still runs is forced and named. */
  deadlineMs: number;
  /** Time the steps after a forced one still get, all together (default 1 s): most are synchronous. */
  graceMs?: number;
  /** Told as each step starts (the CLI logs it, and names it if a second signal cuts the shutdown short). */
  onStep?: (name: string) => void;
}

const describe = (s: CloseStep) => {
  const w = s.waiting?.();
  return w ? `${s.name} (${w})` : s.name;
};

/** Runs the steps in order within the deadline; rejects with ShutdownIncompleteError naming what did not finish or failed. */
export async function closeWithin(steps: CloseStep[], o: CloseOptions): Promise<void> {
  const pending: string[] = [];
  const failed: string[] = [];
  let end = Date.now() + o.deadlineMs;
  let forced = false;
  for (const step of steps) {
    o.onStep?.(step.name);
    let done: Promise<'done'>;
    try {
      done = Promise.resolve(step.run()).then(
        () => 'done' as const,
        (e: unknown) => {
          failed.push(`${step.name}: ${(e as Error)?.message ?? String(e)}`);
          return 'done' as const;
        },
      );
    } catch (e) {
      failed.push(`${step.name}: ${(e as Error)?.message ?? String(e)}`);
      continue;
    }
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([done, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), Math.max(0, end - Date.now()))))]);
    clearTimeout(timer);
    if (outcome === 'done') continue;
    pending.push(describe(step));
    try {
      step.force?.();
    } catch {
      // forcing is best effort: the step is abandoned either way
    }
    if (!forced) {
      forced = true;
      end = Date.now() + (o.graceMs ?? 1000);
    }
  }
  if (pending.length || failed.length) throw new ShutdownIncompleteError(pending, failed, o.deadlineMs);
}
