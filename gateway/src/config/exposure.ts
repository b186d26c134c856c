// Who can reach the gateway, decided from where it is bound: a loopback bind (the default, and the
// demo's) is reachable from this machine only, so it may also speak plain HTTP; any other bind is
// exposed and speaks HTTPS only, with an https publicUrl the admin chose (it is signed into packages).
import { isIP } from 'node:net';
import { ConfigError } from './load.ts';

/** True for an address or name that only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

export interface PublicUrl {
  /** Base URL without a trailing slash. */
  url: string;
  /** Set when the URL was derived from a loopback bind: packages and the download page will point at it. */
  warning?: string;
}

/**
 * The URL clients are given (GET /api/v1/config, provision.json, the download page). Throws a
 * ConfigError naming http.publicUrl when an exposed gateway has none, or an http:// one (the
 * desktop refuses plain HTTP to another machine).
 */
export function publicUrlOf(http: { host: string; port: number; publicUrl?: string | undefined }, boundPort: number): PublicUrl {
  const loopback = isLoopbackHost(http.host);
  if (http.publicUrl) {
    const u = new URL(http.publicUrl);
    if (!loopback && u.protocol !== 'https:' && !isLoopbackHost(u.hostname)) {
      throw new ConfigError(`http.publicUrl must be an https:// URL on a gateway bound to ${http.host} (got ${http.publicUrl}); clients refuse plain HTTP to another machine`);
    }
    return { url: http.publicUrl.replace(/\/+$/, '') };
  }
  if (!loopback) {
    throw new ConfigError(
      `http.host is ${http.host}, which other machines can reach: set http.publicUrl (e.g. https://mail.example.com) to the https URL clients use; it is signed into packages and handed to the desktop`,
    );
  }
  const url = `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${boundPort}`;
  return {
    url,
    warning: `http.publicUrl is not set: using ${url}, which works on this machine only; packages and the download page will point at it (set http.publicUrl for other machines)`,
  };
}
