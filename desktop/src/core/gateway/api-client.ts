// The gateway's HTTP API v1 (gateway/src/protocol/api.ts) from the desktop: typed answers,
// typed errors (gateway-errors.ts), a timeout on every call, and the device token only ever in
// the Authorization header.
import {
  API_PREFIX,
  AlertPreviewResponseSchema,
  AlertRulesResponseSchema,
  ApiErrorSchema,
  AuthResponseSchema,
  ClientConfigSchema,
  FoldersResponseSchema,
  type AlertPreviewRequest,
  type AlertPreviewResponse,
  type AlertRule,
  type AlertRulesResponse,
  type AuthResponse,
  type ClientConfig,
  type FoldersResponse,
} from '../../../../gateway/src/protocol/api.ts';
import type { z } from 'zod';
import { AuthRevokedError, GatewayApiError, GatewayProtocolError, GatewayUnreachableError } from './gateway-errors.ts';
import { isLoopbackHostname, plainRefusal } from './plain-url.ts';
import { networkWords } from './network-words.ts';
import { platformId } from './platform-id.ts';

export const DEVICE_LABEL_MAX = 100;

export type FoldersAnswer = { changed: false; etag: string } | { changed: true; etag: string | undefined; body: FoldersResponse };

export interface ApiClient {
  readonly baseUrl: string;
  enroll(token: string, device: string): Promise<AuthResponse>;
  signIn(user: string, password: string, device: string): Promise<AuthResponse>;
  /** Revokes this device's token on the gateway. */
  signOut(deviceToken: string): Promise<void>;
  config(deviceToken: string): Promise<ClientConfig>;
  /** With `etag`, a 304 comes back as `{changed:false}`. */
  folders(deviceToken: string, etag?: string): Promise<FoldersAnswer>;
  ack(deviceToken: string, path: string, uid?: number): Promise<FoldersResponse>;
  /** The user's own mail-to-IM rules, the admin's that apply (read only), the limit and the macros. */
  alertRules(deviceToken: string): Promise<AlertRulesResponse>;
  /** Replaces the user's rules; a refusal (too many, duplicate name, unknown recipient) is a GatewayApiError naming the field. */
  putAlertRules(deviceToken: string, rules: AlertRule[]): Promise<AlertRulesResponse>;
  /** The IM a rule would send for a sample mail, expanded by the gateway. */
  previewAlertRule(deviceToken: string, req: AlertPreviewRequest): Promise<AlertPreviewResponse>;
}

/** The gateway's base URL, normalised (no trailing slash); throws for anything but http(s). */
export function normalizeGatewayUrl(input: string): string {
  let u: URL;
  try {
    u = new URL(input.trim());
  } catch {
    throw new GatewayProtocolError(`not a URL: ${JSON.stringify(input)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new GatewayProtocolError(`the gateway URL must be http or https, not ${u.protocol}`);
  if (u.username || u.password || u.search || u.hash) throw new GatewayProtocolError('the gateway URL must not contain credentials, a query or a fragment');
  // Mail passwords and device tokens go to this URL: in clear only to this machine itself.
  if (u.protocol === 'http:' && !isLoopbackHostname(u.hostname)) throw new GatewayProtocolError(plainRefusal(u.host, 'https'));
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** `platform`: what enrollment and sign-in tell the gateway this device is (default: this machine's, platform-id.ts). */
export function createApiClient({ baseUrl, timeoutMs = 15_000, platform = platformId() }: { baseUrl: string; timeoutMs?: number; platform?: string | undefined }): ApiClient {
  const base = normalizeGatewayUrl(baseUrl);

  async function call<T>(method: string, route: string, o: { token?: string; body?: unknown; etag?: string; schema?: z.ZodType<T> }): Promise<{ res: Response; data: T | undefined }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.etag) headers['if-none-match'] = o.etag;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${base}${API_PREFIX}${route}`, {
        method,
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = (e as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : networkWords(cause, (e as Error).message);
      throw new GatewayUnreachableError(`gateway ${base} is unreachable: ${why}`);
    }
    if (res.status === 204 || res.status === 304) {
      await res.body?.cancel();
      return { res, data: undefined };
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GatewayProtocolError(`${method} ${route}: HTTP ${res.status} without a JSON body (is ${base} a Herald gateway?)`);
    }
    if (!res.ok) {
      const err = ApiErrorSchema.safeParse(json);
      const code = err.success ? err.data.error.code : `http_${res.status}`;
      const message = err.success ? err.data.error.message : `HTTP ${res.status}`;
      if (res.status === 401 && o.token) throw new AuthRevokedError(message, code);
      const retry = Number(res.headers.get('retry-after'));
      throw new GatewayApiError(res.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : undefined);
    }
    if (!o.schema) return { res, data: undefined };
    const parsed = o.schema.safeParse(json);
    if (!parsed.success) throw new GatewayProtocolError(`${method} ${route}: unexpected answer (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    return { res, data: parsed.data };
  }

  const device = (d: string) => d.slice(0, DEVICE_LABEL_MAX);

  return {
    baseUrl: base,
    async enroll(token, dev) {
      return (await call('POST', '/enroll', { body: { token, device: device(dev), ...(platform ? { platform } : {}) }, schema: AuthResponseSchema })).data!;
    },
    async signIn(user, password, dev) {
      return (await call('POST', '/session', { body: { user, password, device: device(dev), ...(platform ? { platform } : {}) }, schema: AuthResponseSchema })).data!;
    },
    async signOut(token) {
      await call('DELETE', '/session', { token });
    },
    async config(token) {
      return (await call('GET', '/config', { token, schema: ClientConfigSchema })).data!;
    },
    async folders(token, etag) {
      const { res, data } = await call('GET', '/folders', { token, etag, schema: FoldersResponseSchema });
      if (res.status === 304) return { changed: false, etag: res.headers.get('etag') ?? etag ?? '' };
      return { changed: true, etag: res.headers.get('etag') ?? undefined, body: data! };
    },
    async ack(token, path, uid) {
      return (await call('POST', '/folders/ack', { token, body: uid === undefined ? { path } : { path, uid }, schema: FoldersResponseSchema })).data!;
    },
    async alertRules(token) {
      return (await call('GET', '/alert-rules', { token, schema: AlertRulesResponseSchema })).data!;
    },
    async putAlertRules(token, rules) {
      return (await call('PUT', '/alert-rules', { token, body: { rules }, schema: AlertRulesResponseSchema })).data!;
    },
    async previewAlertRule(token, req) {
      return (await call('POST', '/alert-rules/preview', { token, body: req, schema: AlertPreviewResponseSchema })).data!;
    },
  };
}
