// The maildir mail source: reads each user's Maildir++ tree directly (what Dovecot and Postfix
// write), notified by inotify. Watches follow the mail, not the accounts: a user whose Maildir
// exists has one watch on its root and one on each folder's new/ and cur/; users without one
// share a watch inside the root prefix (maildir-waits.ts); no directory is watched twice.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../config/logger.ts';
import type { Settings } from '../../config/schema.ts';
import type { Store } from '../../store/index.ts';
import type { MailboxWatch, MailSource } from '../source.ts';
import { createDirWatches } from './dir-watches.ts';
import { maildirRoot } from './layout.ts';
import { createMaildirWaits, maildirPrefix } from './maildir-waits.ts';
import { createMaildirWatch } from './maildir-watch.ts';

/** How often a missing root prefix (e.g. /var/vmail not mounted yet) is looked for: one stat for all users. */
const PREFIX_POLL_MS = 2000;

export function createMaildirSource(deps: { settings: Settings['mail']['maildir']; dataDir: string; store: Store; log: Logger }): MailSource {
  const watches = new Set<MailboxWatch>();
  const dirs = createDirWatches({ log: deps.log });
  const prefix = maildirPrefix(deps.settings.root, deps.dataDir);
  // Inside our own data folder (the demo's %data%/mail) the prefix is ours to make, so the
  // first delivery is seen by a watch at once instead of by the poll below.
  const rel = path.relative(path.resolve(deps.dataDir), prefix);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
    try {
      mkdirSync(prefix, { recursive: true });
    } catch (e) {
      deps.log.warn({ dir: prefix, err: (e as Error).message }, 'cannot make the Maildir root folder');
    }
  }
  const waits = createMaildirWaits({ prefix, dirs, pollMs: PREFIX_POLL_MS });
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
        dirs,
        waits,
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
    watchStats: () => ({ watches: dirs.count(), waiting: waits.waiting(), wakeups: dirs.wakeups() + waits.wakes() }),
    async close() {
      await Promise.all([...watches].map((w) => w.close()));
      waits.close();
      dirs.close();
    },
  };
}
