// `herald-gateway domain dns <domain> [--host NAME]`: are the DNS SRV records that XMPP clients
// use to find the server (RFC 6120 §3.2.1 `_xmpp-client._tcp`, XEP-0368 `_xmpps-client._tcp`)
// published, and do they point at this gateway's ports? Dino has no host or port field: without
// the record it cannot find the server at all. Prints each record as found, and the line to
// publish when it is missing or different; exit 1 then. The gateway itself publishes no DNS.
import { Resolver } from 'node:dns/promises';
import type { Settings } from '../config/schema.ts';
import { UsageError, type Flags } from './admin-commands.ts';

export interface SrvTarget {
  service: '_xmpp-client._tcp' | '_xmpps-client._tcp';
  port: number;
}
export interface SrvAnswer {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** What `domain`'s clients should find: STARTTLS on xmpp.port, and direct TLS when it is on. */
export function expectedSrv(settings: Pick<Settings['xmpp'], 'port' | 'directTlsPort'>): SrvTarget[] {
  const out: SrvTarget[] = [{ service: '_xmpp-client._tcp', port: settings.port }];
  if (settings.directTlsPort !== undefined) out.push({ service: '_xmpps-client._tcp', port: settings.directTlsPort });
  return out;
}

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
const fqdn = (h: string) => `${h.toLowerCase().replace(/\.$/, '')}.`;

/** One verdict line per expected record, and whether all are right; `found` is the lookup's answer or its error code. */
export function judgeSrv(domain: string, host: string, want: SrvTarget, found: SrvAnswer[] | string): { ok: boolean; lines: string[] } {
  const name = `${want.service}.${domain}`;
  const publish = `  publish: ${name}. 3600 IN SRV 5 0 ${want.port} ${fqdn(host)}`;
  if (typeof found === 'string' || !found.length) {
    return { ok: false, lines: [`${name}: no SRV record (${typeof found === 'string' ? found : 'empty answer'})`, publish] };
  }
  const shown = found.map((r) => `${r.priority} ${r.weight} ${r.port} ${fqdn(r.name)}`).join(', ');
  const ok = found.some((r) => fqdn(r.name) === fqdn(host) && r.port === want.port);
  return ok ? { ok, lines: [`${name}: ${shown} — ok`] } : { ok, lines: [`${name}: ${shown} — does not point at ${fqdn(host)} port ${want.port}`, publish] };
}

export async function runDnsCheck(settings: Settings, args: string[], flags: Flags, out: (line: string) => void, resolver = new Resolver({ timeout: 3000, tries: 2 })): Promise<number> {
  const domain = args[1]?.toLowerCase().replace(/\.$/, '');
  if (!domain || !HOST.test(domain)) throw new UsageError(`domain dns takes a mail domain, like example.com (got "${args[1] ?? ''}")`);
  if (args.length > 2) throw new UsageError(`domain dns takes one domain (got "${args.slice(1).join(' ')}")`);
  const given = typeof flags.host === 'string' ? flags.host : settings.http.publicUrl && new URL(settings.http.publicUrl).hostname;
  if (!given) throw new UsageError('say which host clients connect to: --host im.example.com (or set http.publicUrl)');
  if (!HOST.test(given)) throw new UsageError(`--host takes a host name (got "${given}")`);
  let ok = true;
  for (const want of expectedSrv(settings.xmpp)) {
    let found: SrvAnswer[] | string;
    try {
      found = await resolver.resolveSrv(`${want.service}.${domain}`);
    } catch (e) {
      found = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    const verdict = judgeSrv(domain, given, want, found);
    ok &&= verdict.ok;
    for (const l of verdict.lines) out(l);
  }
  out(ok ? `clients of ${domain} find ${fqdn(given)}` : `clients that only look up SRV records (Dino) cannot find the server for ${domain}; open TCP ${expectedSrv(settings.xmpp).map((t) => t.port).join(' and ')} on ${fqdn(given)}`);
  return ok ? 0 : 1;
}
