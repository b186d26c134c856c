// The admin use cases the console and the CLI share (built in main.ts's createServices), and
// what only the running server can answer (status, live sessions), given to the console by main.ts.
import type { AuditLog } from './audit.ts';
import type { PagesServices } from './pages-services.ts';
import type { AdminDomains } from './domains.ts';
import type { AdminSessions } from './sessions.ts';
import type { StatusSource } from './status.ts';
import type { Totp } from './totp.ts';
import type { AdminUsers } from './users.ts';

export interface AdminServices {
  audit: AuditLog;
  totp: Totp;
  users: AdminUsers;
  domains: AdminDomains;
}

/** What the running server adds: live numbers and live sessions. */
export interface AdminLive {
  status: StatusSource;
  sessions: AdminSessions;
  /** Rooms, IM log, spool, calendar, alert rules, settings' origins (pages-services.ts). */
  pages?: PagesServices;
}
