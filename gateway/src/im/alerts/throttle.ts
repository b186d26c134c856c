// The rate limit of alert IMs, so a mail storm cannot flood anyone. Per recipient, a window of
// `windowMs` opens with the first alert to them; within it one rule may send them `perRule`
// alerts and all rules together `perRecipient`. Alerts beyond that are not sent one by one but
// counted, and when the window ends the recipient gets ONE summary ("and 57 more matching
// messages in the last 10 minutes") — never silently lost. The next alert opens a new window.
// flush() ends every window at once (the gateway stops: the summaries go out before it does).

export interface ThrottleSummary {
  to: string;
  /** Alerts held back in the window, all rules. */
  dropped: number;
  /** Per rule that held something back, in the order the rules first matched in the window. */
  byRule: { label: string; dropped: number }[];
  /** How long the window lasted (shorter than the configured one when flushed early). */
  windowMs: number;
}

export interface ThrottleOptions {
  windowMs: number;
  perRule: number;
  perRecipient: number;
  onSummary(s: ThrottleSummary): void;
  now?: () => number;
  /** Returns a handle for clearTimer; one with unref() (Node's) is unref'd. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

interface RuleCount {
  label: string;
  sent: number;
  dropped: number;
}

interface Window {
  to: string;
  start: number;
  sent: number;
  dropped: number;
  rules: Map<string, RuleCount>;
  timer: unknown;
}

export function createAlertThrottle(o: ThrottleOptions) {
  const now = o.now ?? Date.now;
  const setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = o.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  const windows = new Map<string, Window>();

  const end = (w: Window) => {
    clearTimer(w.timer);
    windows.delete(w.to);
    if (w.dropped === 0) return;
    const byRule = [...w.rules.values()].filter((r) => r.dropped > 0).map((r) => ({ label: r.label, dropped: r.dropped }));
    o.onSummary({ to: w.to, dropped: w.dropped, byRule, windowMs: Math.max(0, now() - w.start) });
  };

  return {
    /** Whether an alert from rule `ruleKey` to `to` may go out now; false: counted for the summary. */
    admit(to: string, ruleKey: string, ruleLabel: string): boolean {
      const key = to.toLowerCase();
      let w = windows.get(key);
      if (!w) {
        const fresh: Window = { to: key, start: now(), sent: 0, dropped: 0, rules: new Map(), timer: undefined };
        const t = setTimer(() => end(fresh), o.windowMs) as { unref?: () => unknown };
        t.unref?.();
        fresh.timer = t;
        windows.set(key, fresh);
        w = fresh;
      }
      let r = w.rules.get(ruleKey);
      if (!r) w.rules.set(ruleKey, (r = { label: ruleLabel, sent: 0, dropped: 0 }));
      if (r.sent < o.perRule && w.sent < o.perRecipient) {
        r.sent++;
        w.sent++;
        return true;
      }
      r.dropped++;
      w.dropped++;
      return false;
    },
    /** Ends every window now, sending the summaries that are due. */
    flush(): void {
      for (const w of [...windows.values()]) end(w);
    },
    /** Open windows (recipients currently limited or counted). */
    size: () => windows.size,
  };
}
export type AlertThrottle = ReturnType<typeof createAlertThrottle>;
