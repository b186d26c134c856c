// The audit log: every change an admin makes — in the console or with the CLI — as one line in
// <data>/logs/Audit-YYYY-MM-DD.log (UTC day), appended with O_APPEND, one write(2) per line, so
// the CLI and `serve` can write the same file at once without tearing each other's lines.
//
// Line format (README "Audit log"): one JSON object per line,
//   {"at":"2026-12-07T16:20:01.123Z","who":"ann@example.com","from":"203.0.113.5","action":"user.add","target":"bob@example.com","detail":{"name":"Bob"}}
// `who` is the admin's address, or "cli@<hostname>" for the CLI; `from` the client address, or
// "cli" (with the OS user) for the CLI. Never a password, secret, token or code: detail keys that
// look like one are dropped here, whatever the caller passes.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';

export interface Actor {
  /** The admin's address, or cli@<hostname>. */
  who: string;
  /** The client's address, or cli (<OS user>). */
  from: string;
}

export interface AuditEntry {
  at: string;
  who: string;
  from: string;
  /** What kind of change: user.add, user.del, user.passwd, user.admin, domain.im, token.revoke, … */
  action: string;
  /** What it was done to: an address, a domain, a session. */
  target: string;
  detail?: Record<string, string | number | boolean | null>;
}

/** Detail keys that name a secret are never written (defence in depth: callers should not pass them). */
const SECRET_KEY = /pass|secret|token|otp|code|key|cookie|csrf/i;

export const auditDirOf = (dataDir: string) => path.join(dataDir, 'logs');
const fileOf = (dir: string, day: string) => path.join(dir, `Audit-${day}.log`);
const FILE_RE = /^Audit-(\d{4}-\d{2}-\d{2})\.log$/;

/** The CLI as an actor: the machine it runs on and the OS user who ran it. */
export function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry for the uid (containers): the uid still tells
    user = String(process.getuid?.() ?? 'unknown');
  }
  return { who: `cli@${hostname()}`, from: `cli (${user})` };
}

/** One audit line (no newline inside: JSON escapes them). */
export function formatAuditLine(e: AuditEntry): string {
  const detail = e.detail && Object.fromEntries(Object.entries(e.detail).filter(([k]) => !SECRET_KEY.test(k)));
  return JSON.stringify({ at: e.at, who: e.who, from: e.from, action: e.action, target: e.target, ...(detail && Object.keys(detail).length ? { detail } : {}) });
}

export function parseAuditLine(line: string): AuditEntry | undefined {
  try {
    const v = JSON.parse(line) as AuditEntry;
    return typeof v.at === 'string' && typeof v.who === 'string' && typeof v.action === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface AuditQuery {
  /** Case-insensitive, anywhere in the line (action, target, detail). */
  text?: string;
  /** Case-insensitive substring of `who`. */
  who?: string;
  /** UTC days, inclusive (YYYY-MM-DD). */
  since?: string;
  until?: string;
  limit?: number;
}

export function createAuditLog({ dir, now = () => new Date() }: { dir: string; now?: () => Date }) {
  return {
    dir,
    record(actor: Actor, action: string, target: string, detail?: AuditEntry['detail']): AuditEntry {
      const at = now().toISOString();
      const entry: AuditEntry = { at, who: actor.who, from: actor.from, action, target, ...(detail ? { detail } : {}) };
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      appendFileSync(fileOf(dir, at.slice(0, 10)), `${formatAuditLine(entry)}\n`, { mode: 0o600 });
      return entry;
    },
    /** Days that have a file, newest first. */
    days(): string[] {
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .map((f) => FILE_RE.exec(f)?.[1])
        .filter((d): d is string => d !== undefined)
        .sort()
        .reverse();
    },
    /** Matching entries, newest first, at most `limit` (default 200). */
    search(q: AuditQuery = {}): AuditEntry[] {
      const limit = q.limit ?? 200;
      const text = q.text?.toLowerCase();
      const who = q.who?.toLowerCase();
      const out: AuditEntry[] = [];
      for (const day of this.days()) {
        if ((q.since && day < q.since) || (q.until && day > q.until)) continue;
        const lines = readFileSync(fileOf(dir, day), 'utf8').split('\n').reverse();
        for (const line of lines) {
          if (!line) continue;
          if (text && !line.toLowerCase().includes(text)) continue;
          const e = parseAuditLine(line);
          if (!e || (who && !e.who.toLowerCase().includes(who))) continue;
          out.push(e);
          if (out.length >= limit) return out;
        }
      }
      return out;
    },
  };
}
export type AuditLog = ReturnType<typeof createAuditLog>;
