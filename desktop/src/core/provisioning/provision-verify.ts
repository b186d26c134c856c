// Verifies a provision.json (gateway/src/protocol/provision.ts): the JWS structure, the Ed25519
// signature by a trusted key, the payload schema and the expiry. Which keys are trusted depends
// on where the file came from: one inside the app's own resources may bring its signing key in
// the protected header (it is as trustworthy as the app's code); a deep link or a file in the
// user's folder must be signed by a key the app already trusts (shipped, or pinned at the first
// enrollment) — otherwise any web page could send the app to a foreign gateway.
import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  Ed25519JwkSchema,
  ProvisionFileSchema,
  ProvisionHeaderSchema,
  ProvisionPayloadSchema,
  provisionSigningInput,
  type Ed25519Jwk,
  type ProvisionFile,
  type ProvisionPayload,
} from '../../../../gateway/src/protocol/provision.ts';

/** `installer`: the tag in a signed Windows installer's signature (installer-tag.ts), as little trusted as a deep link. */
export type ProvisionOrigin = 'resources' | 'user-data' | 'deep-link' | 'installer';

export interface VerifiedProvision {
  payload: ProvisionPayload;
  origin: ProvisionOrigin;
  /** The key that signed it (to pin after a successful enrollment). */
  key: Ed25519Jwk & { kid: string };
  /** Identifies this provision (SHA-256 of its signature), to remember it was used. */
  fingerprint: string;
}

export type ProvisionFailure = 'malformed' | 'untrusted-key' | 'bad-signature' | 'expired';

export class ProvisionError extends Error {
  override name = 'ProvisionError';
  constructor(
    readonly reason: ProvisionFailure,
    message: string,
    /** For an expired but genuine provision: gateway and user to prefill the sign-in form. */
    readonly payload?: ProvisionPayload,
  ) {
    super(message);
  }
}

const decodeJson = (b64: string, what: string): unknown => {
  try {
    return JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    throw new ProvisionError('malformed', `the provision's ${what} is not base64url JSON`);
  }
};

export const sameKey = (a: Ed25519Jwk, b: Ed25519Jwk) => a.x === b.x;

export function verifyProvision(input: unknown, o: { trusted: readonly Ed25519Jwk[]; origin: ProvisionOrigin; now: number }): VerifiedProvision {
  const file = ProvisionFileSchema.safeParse(input);
  if (!file.success) throw new ProvisionError('malformed', `not a provision file: ${file.error.issues[0]?.path.join('.') || 'structure'} ${file.error.issues[0]?.message ?? ''}`.trim());
  const f: ProvisionFile = file.data;
  const header = ProvisionHeaderSchema.safeParse(decodeJson(f.protected, 'header'));
  if (!header.success) throw new ProvisionError('malformed', `unsupported provision header (${header.error.issues[0]?.path.join('.')}: ${header.error.issues[0]?.message}); expected alg EdDSA`);
  const h = header.data;

  let key = o.trusted.find((k) => k.kid === h.kid) ?? (h.jwk ? o.trusted.find((k) => sameKey(k, h.jwk!)) : undefined);
  if (!key && h.jwk && o.origin === 'resources') {
    if (h.jwk.kid !== undefined && h.jwk.kid !== h.kid) throw new ProvisionError('malformed', 'the header key id and its key disagree');
    key = h.jwk;
  }
  if (!key) {
    throw new ProvisionError('untrusted-key', `the provision is signed by key ${JSON.stringify(h.kid)}, which this app does not trust${o.origin === 'resources' ? '' : ' (a deep link, an installer tag or a file in the user folder must be signed by a key shipped with the app or used before)'}`);
  }
  const jwk = Ed25519JwkSchema.parse(key);
  const publicKey = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  const ok = verify(null, Buffer.from(provisionSigningInput(f.protected, f.payload), 'ascii'), publicKey, Buffer.from(f.signature, 'base64url'));
  if (!ok) throw new ProvisionError('bad-signature', 'the provision signature does not match: the file was changed after it was signed');

  const payload = ProvisionPayloadSchema.safeParse(decodeJson(f.payload, 'payload'));
  if (!payload.success) throw new ProvisionError('malformed', `invalid provision payload: "${payload.error.issues[0]?.path.join('.')}" ${payload.error.issues[0]?.message}`);
  const p = payload.data;
  if (Date.parse(p.expiresAt) <= o.now) throw new ProvisionError('expired', `the provision for ${p.user} expired on ${p.expiresAt}; sign in with your password`, p);
  return {
    payload: p,
    origin: o.origin,
    key: { ...jwk, kid: h.kid },
    fingerprint: createHash('sha256').update(f.signature).digest('base64url'),
  };
}
