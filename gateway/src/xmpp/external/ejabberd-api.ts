// A client of ejabberd's HTTP API (mod_http_api at /api, on the loopback listener that
// `herald-gateway ejabberd config` writes): POST /api/<command> with the arguments as a JSON object,
// the result as JSON (ejabberd's "ReST API" docs). The gateway calls it while `serve` runs in
// xmpp.mode=external; every node of a cluster answers for the whole cluster (ejabberd_sm is shared).
import { HeraldError } from '../../protocol/errors.ts';

export interface EjabberdApi {
  call<T = unknown>(command: string, args: Record<string, string | number>): Promise<T>;
}

export function apiUrlOf(x: { apiHost: string; apiPort: number }): string {
  const host = x.apiHost.includes(':') ? `[${x.apiHost}]` : x.apiHost;
  return `http://${host}:${x.apiPort}/api`;
}

export function createEjabberdApi(o: { url: string; timeoutMs?: number }): EjabberdApi {
  const base = o.url.replace(/\/$/, '');
  return {
    async call<T>(command: string, args: Record<string, string | number>): Promise<T> {
      let res: Response;
      try {
        res = await fetch(`${base}/${command}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args), signal: AbortSignal.timeout(o.timeoutMs ?? 15_000) });
      } catch (e) {
        throw new HeraldError('internal', `ejabberd's HTTP API at ${base} cannot be reached (${(e as Error).message})`);
      }
      const text = await res.text();
      if (!res.ok) throw new HeraldError('internal', `ejabberd ${command}: HTTP ${res.status} ${text.slice(0, 200)}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}
