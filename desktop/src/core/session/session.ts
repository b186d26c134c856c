// Signing in and out. A session is a gateway URL, a user and a device token; the token lives only
// in the SecretStore, the rest in session.json (no secrets). Ways in: a stored token (restore), a
// provision (enrollment token → device token), or user + password (never stored anywhere). Ways
// out: sign-out (token revoked on the gateway when reachable), or revocation seen by the feed.
import { z } from 'zod';
import type { UserInfo } from '../../../../gateway/src/protocol/api.ts';
import { Ed25519JwkSchema } from '../../../../gateway/src/protocol/provision.ts';
import type { SignInPrompt } from '../../shared/state.ts';
import { createApiClient, normalizeGatewayUrl, type ApiClient } from '../gateway/api-client.ts';
import { GatewayApiError, GatewayProtocolError, GatewayUnreachableError } from '../gateway/gateway-errors.ts';
import { coreStrings, type CoreText } from '../i18n/core-strings.ts';
import type { Clock } from '../ports/clock.ts';
import type { SecretStore } from '../ports/secret-store.ts';
import type { Storage } from '../ports/storage.ts';
import { findProvision, shippedKeys, type ProvisionPlaces } from '../provisioning/provision-sources.ts';
import { sameKey, type VerifiedProvision } from '../provisioning/provision-verify.ts';

export const SESSION_FILE = 'session.json';
export const DEVICE_TOKEN_KEY = 'herald.device-token';

const RecordSchema = z.object({
  v: z.literal(1),
  gatewayUrl: z.string().nullable(),
  user: z.object({ address: z.string(), displayName: z.string() }).nullable(),
  /** Keys that signed a provision this app enrolled with: trusted for later deep links. */
  pinnedKeys: z.array(Ed25519JwkSchema).max(20),
  /** Fingerprints of provisions already used (their one-time tokens are spent). */
  usedProvisions: z.array(z.string()).max(100),
});
type SessionRecord = z.infer<typeof RecordSchema>;

export interface SignedIn {
  api: ApiClient;
  token: string;
  user: UserInfo;
  gatewayUrl: string;
}

export type StartResult = { signedIn: SignedIn } | { prompt: SignInPrompt } | { unreachable: string; retry: () => Promise<StartResult> };

/** A user + password sign-in that failed, with a message for the form. */
export class SignInError extends Error {
  override name = 'SignInError';
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface SessionDeps {
  storage: Storage;
  secrets: SecretStore;
  clock: Clock;
  places: ProvisionPlaces;
  deviceName: string;
  apiTimeoutMs?: number;
  /** The gateway the sign-in form offers before the user ever signed in (a preview or a test knows it). */
  suggestedGatewayUrl?: string;
  /** The words of the sign-in prompts (the reasons inside them are the gateway's); default English. */
  text?: CoreText;
}

export function createSession(d: SessionDeps) {
  let record: SessionRecord = { v: 1, gatewayUrl: null, user: null, pinnedKeys: [], usedProvisions: [] };
  const api = (url: string) => createApiClient({ baseUrl: url, timeoutMs: d.apiTimeoutMs });
  const save = () => d.storage.write(SESSION_FILE, JSON.stringify(record));
  const words = d.text ?? coreStrings();

  async function loadRecord(): Promise<void> {
    const text = await d.storage.read(SESSION_FILE);
    if (text === undefined) return;
    try {
      const r = RecordSchema.safeParse(JSON.parse(text));
      if (r.success) record = r.data;
    } catch {
      // unreadable: start as a fresh install (the token in the SecretStore is then unusable too)
    }
  }

  async function established(gatewayUrl: string, token: string, user: UserInfo, via?: VerifiedProvision): Promise<SignedIn> {
    await d.secrets.set(DEVICE_TOKEN_KEY, token);
    record.gatewayUrl = gatewayUrl;
    record.user = user;
    if (via) {
      if (!record.pinnedKeys.some((k) => sameKey(k, via.key))) record.pinnedKeys = [...record.pinnedKeys, via.key].slice(-20);
      record.usedProvisions = [...record.usedProvisions, via.fingerprint].slice(-100);
    }
    await save();
    return { api: api(gatewayUrl), token, user, gatewayUrl };
  }

  const prefill = () => ({ ...(record.gatewayUrl ?? d.suggestedGatewayUrl ? { gatewayUrl: record.gatewayUrl ?? d.suggestedGatewayUrl } : {}), ...(record.user ? { user: record.user.address } : {}) });

  /** Tries the provisions in their places (and a deep link); a prompt when none is usable. */
  async function provision(deepLink?: string): Promise<StartResult> {
    const shipped = await shippedKeys(d.places.resourcesDir);
    const { found, problems } = await findProvision({
      places: d.places,
      deepLink,
      trusted: [...shipped.keys, ...record.pinnedKeys],
      used: new Set(record.usedProvisions),
      now: d.clock.now(),
    });
    if (!found) {
      const p = problems[0]?.error;
      if (!p) return { prompt: { reason: 'not-provisioned', message: words.t('promptNotProvisioned'), ...prefill() } };
      const expired = p.reason === 'expired';
      // An expired provision is said in the user's words; why another one is unusable, in the verifier's.
      const message = !expired
        ? words.t('promptProvisionInvalid', { reason: p.message })
        : p.payload
          ? words.t('promptProvisionExpired', { user: p.payload.user, date: words.date(new Date(p.payload.expiresAt)) })
          : p.message;
      return {
        prompt: {
          reason: expired ? 'provision-expired' : 'provision-invalid',
          message,
          ...prefill(),
          ...(p.payload ? { gatewayUrl: p.payload.gateway, user: p.payload.user } : {}),
        },
      };
    }
    const { payload } = found;
    let gatewayUrl: string;
    try {
      gatewayUrl = normalizeGatewayUrl(payload.gateway);
    } catch (e) {
      // A signed package naming http:// to another machine (or a broken URL): nothing is sent there.
      return { prompt: { reason: 'provision-invalid', message: words.t('promptProvisionInvalid', { reason: (e as Error).message }), ...prefill(), user: payload.user } };
    }
    try {
      const r = await api(gatewayUrl).enroll(payload.enrollmentToken, d.deviceName);
      return { signedIn: await established(gatewayUrl, r.deviceToken, r.user, found) };
    } catch (e) {
      if (e instanceof GatewayUnreachableError) return { unreachable: e.message, retry: () => provision(deepLink) };
      if (e instanceof GatewayApiError && e.status === 401) {
        // Spent, revoked or expired on the gateway: never try this one again.
        record.usedProvisions = [...record.usedProvisions, found.fingerprint].slice(-100);
        await save();
      }
      const why = e instanceof GatewayApiError || e instanceof GatewayProtocolError ? e.message : String(e);
      return { prompt: { reason: 'enrollment-refused', message: words.t('promptEnrollmentRefused', { reason: why }), gatewayUrl, user: payload.user } };
    }
  }

  return {
    /** A stored session, else a provision, else the sign-in form. */
    async start(): Promise<StartResult> {
      await loadRecord();
      const token = await d.secrets.get(DEVICE_TOKEN_KEY);
      if (token && record.gatewayUrl && record.user) {
        // A session stored before plain http:// to another machine was refused: sign in again (over https).
        try {
          normalizeGatewayUrl(record.gatewayUrl);
        } catch (e) {
          return { prompt: { reason: 'login-failed', message: (e as Error).message, ...prefill() } };
        }
      }
      if (token && record.gatewayUrl && record.user) return { signedIn: { api: api(record.gatewayUrl), token, user: record.user, gatewayUrl: record.gatewayUrl } };
      return provision();
    },

    /** A `herald://provision?...` link while signed out. */
    provision,

    /** User + password; the password goes to the gateway once and nowhere else. */
    async signIn(gatewayUrl: string, user: string, password: string): Promise<SignedIn> {
      let url: string;
      try {
        url = normalizeGatewayUrl(gatewayUrl);
      } catch (e) {
        throw new SignInError((e as Error).message);
      }
      try {
        const r = await api(url).signIn(user, password, d.deviceName);
        return await established(url, r.deviceToken, r.user);
      } catch (e) {
        if (e instanceof GatewayApiError) throw new SignInError(e.message, e.retryAfterSeconds);
        if (e instanceof GatewayUnreachableError || e instanceof GatewayProtocolError) throw new SignInError(e.message);
        throw e;
      }
    },

    /** Revokes the token on the gateway (best effort) and forgets it here. */
    async signOut(current: SignedIn | undefined): Promise<SignInPrompt> {
      if (current) await current.api.signOut(current.token).catch(() => {});
      await d.secrets.delete(DEVICE_TOKEN_KEY);
      return { reason: 'signed-out', message: words.t('promptSignedOut'), ...prefill() };
    },

    /** The gateway no longer accepts the token: forget it. */
    async revoked(message: string): Promise<SignInPrompt> {
      await d.secrets.delete(DEVICE_TOKEN_KEY);
      return { reason: 'revoked', message: words.t('promptRevoked', { reason: message }), ...prefill() };
    },
  };
}
export type Session = ReturnType<typeof createSession>;
