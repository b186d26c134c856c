// The imap mail source: watches each active user's mailbox over one IMAP connection, logged
// in with the admin credential (Dovecot master user or SASL authzid), never the user's password.
// One shared ticker starts every watch's periodic sweep, instead of a timer per user.
import type { Logger } from '../../config/logger.ts';
import type { Settings } from '../../config/schema.ts';
import type { Store } from '../../store/index.ts';
import type { MailSource } from '../source.ts';
import type { BackoffOptions } from './backoff.ts';
import { ImapWatch } from './imap-watch.ts';

const TICK_MS = 250;

export interface ImapSourceDeps {
  settings: Settings['mail']['imap'];
  store: Store;
  log: Logger;
  /** Reconnect delays (tests shorten them); default 0.5 s doubling to 30 s, ±30 %. */
  backoff?: BackoffOptions;
  /** changes = push: how long an unused connection stays open; default 250 ms. */
  lingerMs?: number;
}

export function createImapSource(deps: ImapSourceDeps): MailSource {
  const watches = new Set<ImapWatch>();
  let ticker: NodeJS.Timeout | undefined;
  const onClose = (w: ImapWatch) => {
    watches.delete(w);
    if (watches.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };
  return {
    kind: 'imap',
    // One connection per watch; the mail service opens at most one watch per user.
    open(account, events) {
      const w = new ImapWatch({ account, settings: deps.settings, store: deps.store, log: deps.log, events, backoff: deps.backoff, onClose, lingerMs: deps.lingerMs });
      watches.add(w);
      if (!ticker) {
        ticker = setInterval(() => {
          const now = Date.now();
          for (const x of watches) x.tick(now);
        }, TICK_MS);
        ticker.unref();
      }
      return w;
    },
    connections() {
      let n = 0;
      for (const w of watches) if (w.connected) n++;
      return n;
    },
    async close() {
      await Promise.all([...watches].map((w) => w.close()));
    },
  };
}
