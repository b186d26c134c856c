// What the console's Rooms, Message log, Scripts, Packages and Settings pages need from the running
// gateway, beside the foundation's AdminLive (status, sessions): built in main.ts.
import type { RoomSummary } from '../protocol/admin-rooms.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { AdminAlertRules } from './alert-rules-admin.ts';
import type { Actor, AuditLog } from './audit.ts';
import type { AdminImLog } from './im-log-admin.ts';
import type { AdminSpool } from './spool-admin.ts';

export interface RoomSource {
  list(): RoomSummary[];
  close(jid: string, reason: string): boolean;
}

export interface CalendarPollerState {
  address: string;
  calendars: number;
  lastSync: number | undefined;
  error: string | undefined;
}

export interface PagesServices {
  rooms: ReturnType<typeof createAdminRooms>;
  spool: AdminSpool;
  imLog: AdminImLog;
  /** Each user's calendar poller state; undefined when reminders are off. */
  calendar(): CalendarPollerState[] | undefined;
  /** The admin's alert rules, edited on the Scripts page (alert-rules-admin.ts). */
  alertRules: AdminAlertRules;
  /** Each user's personal alert rules (read-only in the console), by address. */
  userAlertRules(): { address: string; rules: unknown[] }[];
  /** Where each setting came from (config/load.ts); empty when unknown. */
  origins: ReadonlyMap<string, string>;
}

export function createAdminRooms({ source, audit }: { source: () => RoomSource | undefined; audit: AuditLog }) {
  return {
    list: (): RoomSummary[] => source()?.list() ?? [],
    close(actor: Actor, jid: string, reason: string): void {
      const s = source();
      if (!s || !s.close(jid, reason)) throw new HeraldError('not_found', `there is no room ${jid}`);
      audit.record(actor, 'room.close', jid.toLowerCase(), { reason: reason || null });
    },
  };
}
