// One IMAP connection for one watched user, logged in with the admin credential — never the
// user's password:
// - `master`: Dovecot master users, LOGIN/AUTHENTICATE as `user*master` with the master password
//   (https://doc.dovecot.org/configuration_manual/authentication/master_users/);
// - `authzid`: SASL PLAIN (RFC 4616 §2) as the master user with the user as authorization
//   identity — imapflow 2.10 sends it with `auth.authzid` + `loginMethod: 'AUTH=PLAIN'`.
// Also turns whatever imapflow or Node throws into one short, human reason for the status line.
import { ImapFlow, type ImapFlowError, type ImapFlowOptions } from 'imapflow';
import net from 'node:net';
import type { Settings } from '../../config/schema.ts';

export type ImapSettings = Settings['mail']['imap'];

/** How long the connection rests after a command before IDLE starts (imapflow's default is 15 s). */
const AUTO_IDLE_DELAY_MS = 100;
/** Re-issue IDLE this often: RFC 2177 §3 asks clients to do so at least every 29 minutes. */
const MAX_IDLE_MS = 25 * 60_000;

export const serverLabel = (s: Pick<ImapSettings, 'host' | 'port'>): string => `${s.host}:${s.port}`;

/** imapflow's auth options for `address` under the configured login mode. */
export function loginFor(login: ImapSettings['login'], address: string): NonNullable<ImapFlowOptions['auth']> {
  if (login.mode === 'authzid') {
    return { user: login.masterUser, pass: login.masterPassword, authzid: address, loginMethod: 'AUTH=PLAIN' };
  }
  return { user: `${address}${login.separator}${login.masterUser}`, pass: login.masterPassword };
}

/** For messages: how we tried to log in, without secrets. */
export function describeLogin(login: ImapSettings['login'], address: string): string {
  return login.mode === 'authzid'
    ? `SASL PLAIN as "${login.masterUser}" for ${address} (authzid)`
    : `login as "${address}${login.separator}${login.masterUser}" (master user)`;
}

/** `context` stays with the client (`client.context`), for listeners shared by all connections. */
export function createImapClient(settings: ImapSettings, address: string, context?: unknown): ImapFlow {
  const { host, port, secure, requireTls, rejectUnauthorized } = settings;
  const timeoutMs = settings.connectTimeoutSeconds * 1000;
  return new ImapFlow({
    host,
    port,
    secure,
    // requireTls on a plain port: STARTTLS or nothing (imapflow refuses to continue in clear).
    ...(requireTls && !secure ? { doSTARTTLS: true } : {}),
    tls: { rejectUnauthorized, ...(net.isIP(host) ? {} : { servername: host }) },
    auth: loginFor(settings.login, address),
    logger: false,
    context,
    // COMPRESS=DEFLATE costs two zlib contexts (~hundreds of KiB) per connection; a watch
    // moves a few hundred bytes a minute.
    disableCompression: true,
    autoIdleDelay: AUTO_IDLE_DELAY_MS,
    maxIdleTime: MAX_IDLE_MS,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    // A silent socket is probed with NOOP after this, and dropped if that goes unanswered.
    socketTimeout: 5 * 60_000,
  });
}

type AnyError = Partial<ImapFlowError> & { message?: string; code?: string };

/** A short reason for a failed connect or a lost connection, for `IMAP server host:port: <reason>`. */
export function describeImapError(err: unknown, o: { login: string; timeoutSeconds: number }): string {
  const e = (err ?? {}) as AnyError;
  if (e.authenticationFailed) {
    const text = (e.responseText ?? '').replace(/\s*\(\d[\d.+ ]*secs?\)\.?$/, '').trim();
    return `${o.login} failed${text ? ` (${text})` : ''}; check mail.imap.login`;
  }
  if (e.tlsFailed) return `TLS failed: ${e.message}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
    case 'GREETING_TIMEOUT':
    case 'UPGRADE_TIMEOUT':
      return `no answer within ${o.timeoutSeconds} s`;
    case 'ETIMEOUT':
      return 'connection timed out';
    case 'NoConnection':
    case 'EConnectionClosed':
    case 'ClosedAfterConnectText':
    case 'ClosedAfterConnectTLS':
      return 'connection closed by the server';
  }
  if (/certificate|self.signed|CERT_|TLS|SSL/i.test(`${e.code ?? ''} ${e.message ?? ''}`)) return `TLS failed: ${e.message}`;
  if (e.responseText) return `${e.responseStatus ?? 'error'}: ${e.responseText}`;
  return e.message || String(err);
}

/** Logs out politely, but never waits long for a server that went quiet. */
export async function closeClient(client: ImapFlow, waitMs = 2000): Promise<void> {
  if (!client.usable) {
    client.close();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.logout().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    }),
  ]);
  clearTimeout(timer);
  client.close();
}
