// What the running gateway reports about itself (dashboard, GET /api/v1/admin/status,
// `herald-gateway status`): live counts taken when asked, plus one sample a minute kept for 24 h
// (sessions, messages and new-mail events in that minute) for the dashboard's charts. Counting is
// two integer increments per message or new mail; the sample is one array push a minute.
import { statfsSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AdminStatus, AdminWarning } from '../protocol/admin-api.ts';

const MINUTE = 60_000;
const KEEP = 24 * 60;
/** The data folder's disk is "nearly full" from here (percent used). */
export const DISK_WARN_PERCENT = 90;

export interface StatusDeps {
  version: string;
  sessions(): number;
  mail(): { source: string; watchedUsers: number; watches: number; imapConnections: number };
  spool(): { waiting: number; bad: number; problem: string | null };
  /** Presence copies waiting in the XMPP outbox. */
  presenceBacklog(): number;
  calendar(): AdminStatus['calendar'];
  selfSigned: boolean;
  publicUrlSet: boolean;
  domainsWithImOff(): string[];
  dataDir: string;
  now?: () => number;
}

export interface StatusSource {
  /** A message was routed (central IM log). */
  countMessage(): void;
  /** A new-mail event came from the mail source. */
  countNewMail(): void;
  snapshot(): AdminStatus;
  close(): void;
}

function diskUsedPercent(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return s.blocks > 0 ? Math.round(((s.blocks - s.bavail) / s.blocks) * 1000) / 10 : null;
  } catch {
    return null;
  }
}

export function createStatusSource(d: StatusDeps): StatusSource {
  const now = d.now ?? Date.now;
  const startedAt = now();
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  let messages = 0;
  let newMail = 0;
  let lastMinute = { messages: 0, newMail: 0 };
  const history: [number, number, number, number][] = [];
  const sample = () => {
    lastMinute = { messages, newMail };
    history.push([Math.floor(now() / 1000), d.sessions(), messages, newMail]);
    if (history.length > KEEP) history.splice(0, history.length - KEEP);
    messages = 0;
    newMail = 0;
  };
  const timer = setInterval(sample, MINUTE);
  timer.unref();

  return {
    countMessage: () => void messages++,
    countNewMail: () => void newMail++,
    snapshot(): AdminStatus {
      const t = now();
      const disk = diskUsedPercent(d.dataDir);
      const warnings: AdminWarning[] = [];
      if (d.selfSigned) warnings.push({ kind: 'self-signed' });
      if (!d.publicUrlSet) warnings.push({ kind: 'public-url-unset' });
      for (const domain of d.domainsWithImOff()) warnings.push({ kind: 'im-off', domain });
      if (disk !== null && disk >= DISK_WARN_PERCENT) warnings.push({ kind: 'disk-full', percent: disk });
      // Within the first minute the running count is the best there is.
      const perMinute = history.length ? lastMinute : { messages, newMail };
      return {
        version: d.version,
        startedAt: new Date(startedAt).toISOString(),
        uptimeSeconds: Math.round((t - startedAt) / 1000),
        sessions: d.sessions(),
        history: [...history, [Math.floor(t / 1000), d.sessions(), messages, newMail]],
        messagesPerMinute: perMinute.messages,
        newMailPerMinute: perMinute.newMail,
        mail: d.mail(),
        eventLoopLagP99Ms: Math.round((lag.percentile(99) / 1e6) * 10) / 10,
        spool: d.spool(),
        presenceBacklog: d.presenceBacklog(),
        calendar: d.calendar(),
        disk: disk === null ? null : { usedPercent: disk },
        warnings,
      };
    },
    close() {
      clearInterval(timer);
      lag.disable();
    },
  };
}
