// The store: every SQLite-backed thing, opened once by the composition root.
import { openDb, dataVersion, type Db } from './db.ts';
import { createAccountStore } from './accounts.ts';
import { createAdminAlertRuleStore } from './admin-alert-rules.ts';
import { createAdminTotpStore } from './admin-totp.ts';
import { createAlertRuleStore } from './alert-rules.ts';
import { createCalendarReminderStore } from './calendar-reminders.ts';
import { createCredentialEventStore } from './credential-events.ts';
import { createArchiveStore } from './archive.ts';
import { createBlocklistStore } from './blocklist.ts';
import { createDomainStore } from './domains.ts';
import { createDomainLinkStore } from './domain-links.ts';
import { createFolderStateStore } from './folder-state.ts';
import { createImLogFeedStore } from './im-log-feed.ts';
import { createLoginThrottleStore } from './login-throttle.ts';
import { createMaildirUidStore } from './maildir-uids.ts';
import { createOfflineStore } from './offline.ts';
import { createPepStore } from './pep.ts';
import { createRoomStore } from './rooms.ts';
import { createRosterStore } from './roster.ts';
import { createSpoolJournal } from './spool-journal.ts';
import { createTokenStore } from './tokens.ts';
import { createUploadStore } from './uploads.ts';
import { startWalCheckpointer } from './wal-checkpointer.ts';
import type { Logger } from '../config/logger.ts';

/** `walCheckpointLog`: checkpoint the WAL from a worker thread, not inside commits (wal-checkpointer.ts), logging there. */
export function createStore(dataDir: string, o: { walCheckpointLog?: Logger } = {}) {
  const db: Db = openDb(dataDir);
  const checkpointer = o.walCheckpointLog && startWalCheckpointer(db, o.walCheckpointLog);
  return {
    db,
    domains: createDomainStore(db),
    domainLinks: createDomainLinkStore(db),
    accounts: createAccountStore(db),
    adminTotp: createAdminTotpStore(db),
    adminAlertRules: createAdminAlertRuleStore(db),
    tokens: createTokenStore(db),
    folderState: createFolderStateStore(db),
    maildirUids: createMaildirUidStore(db),
    offline: createOfflineStore(db),
    archive: createArchiveStore(db),
    rooms: createRoomStore(db),
    blocklist: createBlocklistStore(db),
    roster: createRosterStore(db),
    pep: createPepStore(db),
    spoolJournal: createSpoolJournal(db),
    imLogFeed: createImLogFeedStore(db),
    alertRules: createAlertRuleStore(db),
    calendarReminders: createCalendarReminderStore(db),
    credentialEvents: createCredentialEventStore(db),
    loginThrottle: createLoginThrottleStore(db),
    uploads: createUploadStore(db, dataDir),
    dataVersion: () => dataVersion(db),
    close: () => {
      checkpointer?.stop();
      db.close();
    },
  };
}
export type Store = ReturnType<typeof createStore>;
export type { AccountRow } from './accounts.ts';
export type { ImLogFeedState, ImLogFeedStore } from './im-log-feed.ts';
export type { AlertRuleStore } from './alert-rules.ts';
export type { BlocklistStore } from './blocklist.ts';
export type { CredentialEnds, CredentialEventRow, CredentialReason } from './credential-events.ts';
export type { CalendarReminderStore, ReminderKey, ReminderOutcome } from './calendar-reminders.ts';
export type { DomainRow } from './domains.ts';
export type { FolderStateRow } from './folder-state.ts';
export type { LoginThrottleStore } from './login-throttle.ts';
export type { RosterRow, RosterStore } from './roster.ts';
export type { PepAccessModel, PepItem, PepNodeConfig, PepStore } from './pep.ts';
export type { SpoolJournal, SpoolLogMark, SpoolOutcome } from './spool-journal.ts';
export type { DeviceTokenRow, PendingEnrollRow, RevokedCounts } from './tokens.ts';
