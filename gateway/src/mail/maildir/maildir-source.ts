// The maildir mail source: reads each user's Maildir++ tree directly (what Dovecot and Postfix
// write), notified by inotify. One watch per active user.
import type { Logger } from '../../config/logger.ts';
import type { Settings } from '../../config/schema.ts';
import type { Store } from '../../store/index.ts';
import type { MailboxWatch, MailSource } from '../source.ts';
import { maildirRoot } from './layout.ts';
import { createMaildirWatch } from './maildir-watch.ts';

export function createMaildirSource(deps: { settings: Settings['mail']['maildir']; dataDir: string; store: Store; log: Logger }): MailSource {
  const watches = new Set<MailboxWatch>();
  return {
    kind: 'maildir',
    open(account, events) {
      const w = createMaildirWatch({
        account,
        root: maildirRoot(deps.settings.root, account, deps.dataDir),
        separator: deps.settings.separator,
        rescanMs: deps.settings.rescanSeconds * 1000,
        store: deps.store,
        log: deps.log,
        events,
      });
      watches.add(w);
      return {
        ...w,
        async close() {
          watches.delete(w);
          await w.close();
        },
      };
    },
    async close() {
      await Promise.all([...watches].map((w) => w.close()));
      watches.clear();
    },
  };
}
