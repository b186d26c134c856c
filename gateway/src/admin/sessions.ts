// Who is online: the XMPP server's live sessions as the console shows them, and ending one with
// a reason (audited). The list itself comes from the running server (main.ts passes it in).
import type { LiveSession } from '../protocol/admin-api.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { Actor, AuditLog } from './audit.ts';

export type { LiveSession };

export interface SessionSource {
  list(): LiveSession[];
  /** Ends one session with a stream error carrying `reason`; false when it is gone. */
  end(id: string, reason: string): boolean;
}

export function createAdminSessions({ source, audit }: { source: SessionSource; audit: AuditLog }) {
  return {
    list: (): LiveSession[] => source.list().sort((a, b) => a.address.localeCompare(b.address) || a.since - b.since),
    /** How many live sessions of a domain an IM switch-off would end. */
    countInDomain: (domain: string) => source.list().filter((s) => s.domain === domain.toLowerCase()).length,
    end(actor: Actor, id: string, reason = ''): void {
      const s = source.list().find((x) => x.id === id);
      if (!s || !source.end(id, reason || 'ended by an administrator')) throw new HeraldError('not_found', 'that session has ended already');
      audit.record(actor, 'session.end', `${s.address}/${s.resource}`, { reason: reason || null, from: s.remoteAddress });
    },
  };
}
export type AdminSessions = ReturnType<typeof createAdminSessions>;
