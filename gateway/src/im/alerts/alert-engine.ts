// Mail-to-IM alerts: every new message of a watched mailbox is checked against the rules that
// apply to its owner (rule-book.ts); for each recipient the first matching rule sends one IM, its
// template filled in (template.ts), from the service address (`im.serviceAddress`, herald@<the
// recipient's domain>), rate-limited per rule and recipient (throttle.ts), through `send` — the
// XMPP server's system-message path, so it is logged centrally (type `alert`), delivered live or
// kept offline, and archived.
//
// EXACTLY ONCE, AND RESTARTS. The mail source reports each new message once: its per-folder
// watermark (folder_state.alerted_uid) is stored right after the report, and mail that arrived
// while the gateway was down is reported once when it comes back. Users with rules are watched
// all the time (main.ts → mail service keepWatching), so the rules see every report. One more
// mark is the rules' own: per user the time since which rules watch the mailbox
// (alert_watch.since, set when the user first has an enabled rule, cleared when they have none).
// A report of mail that arrived before it (minus SINCE_GRACE_MS for clock skew between the mail
// server and the gateway) fires nothing: that is old mail the watch catches up on — a user whose
// mailbox was last watched a week ago, who now gets a rule, is not flooded with last week's mail.
// Across a restart the mark stays, so mail that came while the gateway was down fires once.
// What is not covered: a `kill -9` between an IM and the store of its watermark (microseconds)
// repeats that IM after the restart; alerts held back by the rate limit live in memory, so the
// summary of a window cut short by a crash is lost (a normal stop sends it, see close()).
import type { Logger } from '../../config/logger.ts';
import type { AlertRuleStore } from '../../store/index.ts';
import { conditionsMatch } from './match.ts';
import type { AlertRuleBook } from './rule-book.ts';
import { DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_OTHER, expandTemplate, macroValues, type DateStyle } from './template.ts';
import { createAlertThrottle, type ThrottleOptions, type ThrottleSummary } from './throttle.ts';
import type { AlertOwner, IncomingMail, SendAlert } from './types.ts';

/** Mail that arrived up to this long before rules watched the mailbox still fires them (clock skew). */
export const SINCE_GRACE_MS = 5 * 60_000;

export interface AlertEngineDeps {
  book: Pick<AlertRuleBook, 'rulesFor'>;
  watch: Pick<AlertRuleStore, 'watchedSince' | 'setWatched'>;
  send: SendAlert;
  /** `im.serviceAddress`: %d becomes the recipient's domain. */
  serviceAddress: string;
  dates: DateStyle;
  limits: Pick<ThrottleOptions, 'windowMs' | 'perRule' | 'perRecipient'>;
  log: Logger;
  now?: () => number;
  /** Timers of the rate limit (tests pass their own). */
  timers?: Pick<ThrottleOptions, 'setTimer' | 'clearTimer'>;
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

function span(ms: number): string {
  if (ms >= 60_000) {
    const m = Math.max(1, Math.round(ms / 60_000));
    return `${m} minute${m === 1 ? '' : 's'}`;
  }
  const s = Math.max(1, Math.round(ms / 1000));
  return `${s} second${s === 1 ? '' : 's'}`;
}

/** "…and 57 more matching messages in the last 10 minutes (rule "Invoices"; held back by the alert rate limit)". */
export function summaryText(s: Pick<ThrottleSummary, 'dropped' | 'byRule' | 'windowMs'>): string {
  const rules =
    s.byRule.length === 1 ? `rule "${s.byRule[0]!.label}"` : `rules ${s.byRule.map((r) => `"${r.label}" ${r.dropped}`).join(', ')}`;
  return `…and ${s.dropped} more matching message${s.dropped === 1 ? '' : 's'} in the last ${span(s.windowMs)} (${rules}; held back by the alert rate limit)`;
}

export function createAlertEngine(deps: AlertEngineDeps) {
  const { book, watch, log } = deps;
  const now = deps.now ?? Date.now;
  const stats = { matched: 0, sent: 0, held: 0, summaries: 0, failed: 0, skippedOld: 0 };
  let closed = false;

  const deliver = (to: string, body: string, what: object): boolean => {
    const from = deps.serviceAddress.replaceAll('%d', domainOf(to));
    try {
      deps.send({ from, to, body });
      return true;
    } catch (e) {
      stats.failed++;
      log.warn({ to, from, ...what, err: (e as Error).message }, 'alert IM not sent');
      return false;
    }
  };

  const throttle = createAlertThrottle({
    ...deps.limits,
    ...deps.timers,
    now,
    onSummary(s) {
      if (deliver(s.to, summaryText(s), { summary: s.dropped })) stats.summaries++;
    },
  });

  return {
    /** A new message in `owner`'s mailbox (the mail service's new-mail report). */
    onNewMail(owner: AlertOwner, mail: IncomingMail): void {
      if (closed) return;
      const rules = book.rulesFor(owner);
      if (!rules.length) return;
      const since = watch.watchedSince(owner.id);
      const received = Date.parse(mail.received);
      if (since !== undefined && received < since - SINCE_GRACE_MS) {
        stats.skippedOld++;
        log.debug({ user: owner.address, folder: mail.folder, uid: mail.uid }, 'mail from before the rules watched this mailbox: no alert');
        return;
      }
      const told = new Set<string>();
      for (const ref of rules) {
        if (!conditionsMatch(ref.rule.conditions, mail)) continue;
        const to = (ref.rule.action.to ?? owner.address).toLowerCase();
        // One IM per message and recipient: the first rule (admin rules first) speaks.
        if (told.has(to)) continue;
        told.add(to);
        stats.matched++;
        if (!throttle.admit(to, ref.key, ref.label)) {
          stats.held++;
          continue;
        }
        const template = ref.rule.action.template ?? (to === owner.address.toLowerCase() ? DEFAULT_TEMPLATE : DEFAULT_TEMPLATE_OTHER);
        const body = expandTemplate(template, macroValues(mail, owner, deps.dates));
        if (deliver(to, body, { rule: ref.label, user: owner.address, folder: mail.folder, uid: mail.uid })) stats.sent++;
      }
    },

    /** Exactly these users have rules now: their rules' watch starts (new ones) or ends (the others). */
    setWatched(owners: readonly Pick<AlertOwner, 'id'>[]): void {
      watch.setWatched(
        owners.map((o) => o.id),
        now(),
      );
    },

    stats: () => ({ ...stats, limited: throttle.size() }),

    /** Sends the summaries still due (the gateway stops) and ignores mail from then on. */
    close(): void {
      if (closed) return;
      throttle.flush();
      closed = true;
    },
  };
}
export type AlertEngine = ReturnType<typeof createAlertEngine>;
