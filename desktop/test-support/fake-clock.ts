// A clock the test drives: timers fire only when the test advances time (never in production
// code; lint forbids importing test-support outside tests).
import type { Clock, TimerHandle } from '../src/core/ports/clock.ts';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private timers: Timer[] = [];
  private seq = 0;
  constructor(private t = Date.UTC(2026, 0, 15, 12, 0, 0)) {}

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: ++this.seq, due: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.timers = this.timers.filter((x) => x.id !== (handle as unknown as number));
  }
  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }
  /** Wall time jumps (sleep/resume) without firing anything. */
  jump(ms: number): void {
    this.t += ms;
  }
  /** Advances time by `ms`, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((x) => x.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.due);
      next.fn();
    }
    this.t = target;
    await settle();
  }
}

/** Lets pending promise callbacks (and I/O already done) run. */
export const settle = () => new Promise<void>((r) => setImmediate(r));
