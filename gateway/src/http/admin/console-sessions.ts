// Signed-in console sessions, in the serving process's memory (a restart signs admins out — the
// safe direction). The cookie carries a random 256-bit id; each session has its own CSRF token
// (a second random value the page repeats in every form and fetch: csrf.ts) and ends after
// `idleMs` without a request. Ids are compared by Map lookup of their SHA-256, so the raw id
// is not kept either.
import { createHash, randomBytes } from 'node:crypto';

export interface ConsoleSession {
  accountId: number;
  address: string;
  csrf: string;
  from: string;
  lastSeen: number;
  /** A TOTP key shown on the enrollment page, waiting for its first code (never stored before that). */
  pendingTotp?: string | undefined;
}

const digest = (id: string) => createHash('sha256').update(id).digest('base64url');

export function createConsoleSessions({ idleMs, now = Date.now }: { idleMs: number; now?: () => number }) {
  const sessions = new Map<string, ConsoleSession>();
  const sweep = () => {
    const t = now();
    for (const [k, s] of sessions) if (t - s.lastSeen >= idleMs) sessions.delete(k);
  };
  return {
    idleMs,
    /** A new session; the id goes into the cookie only. */
    open(accountId: number, address: string, from: string): { id: string; session: ConsoleSession } {
      sweep();
      const id = randomBytes(32).toString('base64url');
      const session: ConsoleSession = { accountId, address, csrf: randomBytes(32).toString('base64url'), from, lastSeen: now() };
      sessions.set(digest(id), session);
      return { id, session };
    },
    /** The live session for a cookie value ('expired' when it timed out), and marks it used. */
    get(id: string | undefined, touch = true): ConsoleSession | 'expired' | undefined {
      if (!id) return undefined;
      const key = digest(id);
      const s = sessions.get(key);
      if (!s) return undefined;
      if (now() - s.lastSeen >= idleMs) {
        sessions.delete(key);
        return 'expired';
      }
      if (touch) s.lastSeen = now();
      return s;
    },
    close(id: string | undefined): void {
      if (id) sessions.delete(digest(id));
    },
    /** Ends every session of an account (its admin right was revoked, or it was removed). */
    closeAccount(accountId: number): void {
      for (const [k, s] of sessions) if (s.accountId === accountId) sessions.delete(k);
    },
    count: () => sessions.size,
  };
}
export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;
