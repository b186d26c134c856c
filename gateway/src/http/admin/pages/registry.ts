// Every console page, in navigation order: a new page is a file in this folder plus one line here.
import type { AdminPage } from '../page.ts';
import { auditPage } from './audit.ts';
import { dashboardPage } from './dashboard.ts';
import { domainsPage } from './domains.ts';
import { sessionsPage } from './sessions.ts';
import { totpPage } from './totp.ts';
import { usersPage } from './users.ts';

export const PAGES: AdminPage[] = [
  dashboardPage,
  usersPage,
  domainsPage,
  sessionsPage,
  auditPage,
  totpPage,
];
