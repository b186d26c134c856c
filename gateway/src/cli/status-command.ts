// `herald-gateway status`: asks the running `serve` for GET /api/v1/admin/status, found through
// <data>/run/admin-api.json (admin/local-token.ts): its local URL, a token that reads only the
// status, and — on HTTPS — the certificate's fingerprint, pinned here instead of trusting a
// self-signed certificate blindly. Exit 1 with a clear line when serve is not running.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { readLocalEndpoint, localTokenFileOf } from '../admin/local-token.ts';
import type { Settings } from '../config/schema.ts';
import type { AdminStatus } from '../protocol/admin-api.ts';
import { ADMIN_API_PREFIX } from '../protocol/admin-api.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { Flags } from './admin-commands.ts';

export class NotRunningError extends Error {
  override name = 'NotRunningError';
}

function get(url: URL, token: string, fingerprint: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const https = url.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)(url, { headers: { authorization: `Bearer ${token}` }, timeout: 5000, ...(https ? { rejectUnauthorized: false } : {}) }, (res) => {
      if (https && (res.socket as TLSSocket).getPeerCertificate().fingerprint256 !== fingerprint) {
        res.destroy();
        return reject(new HeraldError('forbidden', `the certificate at ${url.origin} is not the one serve wrote down; not sending the token`));
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

export async function runStatusCommand(settings: Settings, flags: Flags, out: (line: string) => void): Promise<void> {
  const endpoint = readLocalEndpoint(settings.dataDir);
  if (!endpoint) throw new NotRunningError(`serve is not running on ${settings.dataDir} (no ${localTokenFileOf(settings.dataDir)})`);
  let r: { status: number; body: string };
  try {
    r = await get(new URL(`${ADMIN_API_PREFIX}/status`, endpoint.url), endpoint.token, endpoint.fingerprint256);
  } catch (e) {
    if (e instanceof HeraldError) throw e;
    throw new NotRunningError(`serve is not running on ${settings.dataDir}: nobody answers at ${endpoint.url} (${(e as Error).message}); pid ${endpoint.pid} wrote ${localTokenFileOf(settings.dataDir)}`);
  }
  if (r.status !== 200) throw new HeraldError('internal', `serve answered ${r.status}: ${r.body.slice(0, 200)}`);
  const s = JSON.parse(r.body) as AdminStatus;
  if (flags.json) return out(JSON.stringify(s, null, 2));
  const rows: [string, string][] = [
    ['version', `${s.version}, up ${s.uptimeSeconds} s (since ${s.startedAt})`],
    ['sessions online', String(s.sessions)],
    ['mail', `${s.mail.source}: ${s.mail.watchedUsers} users watched, ${s.mail.watches} inotify watches, ${s.mail.imapConnections} IMAP connections`],
    ['event-loop delay p99', `${s.eventLoopLagP99Ms} ms`],
    ['messages/min', String(s.messagesPerMinute)],
    ['new-mail events/min', String(s.newMailPerMinute)],
    ['presence queued', `${s.presenceBacklog} copies`],
    ['spool', `${s.spool.waiting} waiting, ${s.spool.bad} bad${s.spool.problem ? ` (${s.spool.problem})` : ''}`],
    ['calendar poller', s.calendar.running ? `last run ${s.calendar.lastRun ?? 'not yet'}${s.calendar.lastError ? `, error: ${s.calendar.lastError}` : ''}` : 'off'],
    ['disk', s.disk ? `${s.disk.usedPercent} % used` : 'unknown'],
  ];
  for (const [k, v] of rows) out(`${k.padEnd(22)} ${v}`);
  for (const w of s.warnings) out(`warning: ${w.kind}${'domain' in w ? ` ${w.domain}` : ''}${'percent' in w ? ` ${w.percent} %` : ''}`);
}
