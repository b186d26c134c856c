// The last resort: an exception or rejection nothing else caught. Every socket and route handler
// contains its own failures (a client can only ever close its own connection); this is for the
// rest — a bug in code no connection owns. It logs with a clear message, counts, and keeps the
// gateway serving everyone else instead of exiting. The count is on the Gateway object and in
// /api/v1/health (`faults`); the test fixture asserts it stays 0, so no test relies on it.
import type { Logger } from './config/logger.ts';

export interface LastResort {
  /** Faults caught since it was installed. */
  count(): number;
  /** The stacks of the last few (newest last), for a report or a failing test. */
  recent(): string[];
  uninstall(): void;
}

export function installLastResort(log: Logger, proc: NodeJS.Process = process): LastResort {
  let faults = 0;
  const recent: string[] = [];
  const keep = (e: unknown) => {
    recent.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    if (recent.length > 5) recent.shift();
  };
  const onException = (e: Error) => {
    faults++;
    keep(e);
    log.error({ err: e, faults }, `BUG: uncaught exception (fault ${faults}); the gateway keeps serving — please report this with the stack trace`);
  };
  const onRejection = (reason: unknown) => {
    faults++;
    keep(reason);
    log.error({ err: reason, faults }, `BUG: unhandled promise rejection (fault ${faults}); the gateway keeps serving — please report this with the stack trace`);
  };
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  return {
    count: () => faults,
    recent: () => [...recent],
    uninstall() {
      proc.off('uncaughtException', onException);
      proc.off('unhandledRejection', onRejection);
    },
  };
}
