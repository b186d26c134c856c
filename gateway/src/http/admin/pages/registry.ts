// Every console page, in navigation order: a new page is a file in this folder plus one line here.
import type { AdminPage } from '../page.ts';
import { auditPage } from './audit.ts';
import { dashboardPage } from './dashboard.ts';
import { domainsPage } from './domains.ts';
import { logPage } from './log.ts';
import { packagesPage } from './packages.ts';
import { roomsPage } from './rooms.ts';
import { scriptsPage } from './scripts.ts';
import { settingsPage } from './settings.ts';
import { sessionsPage } from './sessions.ts';
import { totpPage } from './totp.ts';
import { usersPage } from './users.ts';

export const PAGES: AdminPage[] = [
  dashboardPage,
  usersPage,
  domainsPage,
  sessionsPage,
  roomsPage,
  logPage,
  scriptsPage,
  packagesPage,
  settingsPage,
  auditPage,
  totpPage,
];
