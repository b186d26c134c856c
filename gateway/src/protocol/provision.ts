// provision.json: what per-user packaging stamps into a copy of the generic desktop build (and
// what a `herald://provision?jws=...` deep link carries), so the app starts signed in without a
// wizard. Pure schemas and string helpers, shared by the gateway (which signs, issue 7) and the
// desktop core (which verifies) — no Node, no I/O.
//
// Integrity: a JSON Web Signature (RFC 7515) with EdDSA over Ed25519 (RFC 8037). Why a signature
// and not the alternatives:
//  - a SHA-256 digest only detects corruption: whoever edits the file recomputes the digest;
//  - an HMAC needs its secret on every desktop to verify, so anyone with the app could forge one;
//  - Ed25519: the gateway keeps the private key; the app holds only public keys, so a deep link
//    from a web page or a file dropped into the user's folder cannot point the app at a foreign
//    gateway (to phish the password it would fall back to) unless a trusted key signed it.
// JWS keeps it standard (any JOSE library signs or checks it); the file is the flattened JSON
// serialization (RFC 7515 §7.2.2), the deep link the compact one (§7.1).
import { z } from 'zod';
import { AddressSchema } from './api.ts';

export const PROVISION_FILE_NAME = 'provision.json';
/** `typ` of the protected header (RFC 7515 §4.1.9). */
export const PROVISION_TYP = 'herald-provision+jws';
export const PROVISION_DEEP_LINK_PREFIX = 'herald://provision';

const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding');

/** An Ed25519 public key as a JWK (RFC 8037 §2). */
export const Ed25519JwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  /** The 32-byte public key, base64url. */
  x: base64url.length(43),
  kid: z.string().min(1).max(200).optional(),
});
export type Ed25519Jwk = z.infer<typeof Ed25519JwkSchema>;

/** The trusted keys shipped with the app (`provision-keys.json` in its resources): a JWK Set (RFC 7517 §5). */
export const ProvisionKeySetSchema = z.object({ keys: z.array(Ed25519JwkSchema).max(100) });
export type ProvisionKeySet = z.infer<typeof ProvisionKeySetSchema>;

export const ProvisionHeaderSchema = z.object({
  alg: z.literal('EdDSA'),
  typ: z.literal(PROVISION_TYP),
  /** Which trusted key signed it. */
  kid: z.string().min(1).max(200),
  /**
   * The signing key itself. Only believed for a provision.json that came inside the app's own
   * resources (same trust as the app's code), never for a deep link or a user-folder file.
   */
  jwk: Ed25519JwkSchema.optional(),
});
export type ProvisionHeader = z.infer<typeof ProvisionHeaderSchema>;

export const ProvisionPayloadSchema = z.strictObject({
  v: z.literal(1),
  /** The gateway's public base URL (http or https, no credentials, no query or fragment). */
  gateway: z
    .url({ protocol: /^https?$/ })
    .refine((u) => {
      // Zod runs this check also after .url() refused the text: new URL() must not throw out of parsing.
      if (!URL.canParse(u)) return false;
      const url = new URL(u);
      return !url.username && !url.password && !url.search && !url.hash;
    }, 'must be a plain http(s) base URL without credentials, query or fragment'),
  user: AddressSchema,
  /** One-time enrollment token (POST /api/v1/enroll). */
  enrollmentToken: z.string().min(10).max(200),
  /** Who stamped it (the gateway's host name or the organisation), shown on the sign-in screen. */
  issuer: z.string().min(1).max(200),
  issuedAt: z.iso.datetime({ offset: true }),
  /** The enrollment token's expiry: after it, the app asks for the password instead. */
  expiresAt: z.iso.datetime({ offset: true }),
});
export type ProvisionPayload = z.infer<typeof ProvisionPayloadSchema>;

/** provision.json: a flattened JWS JSON serialization (RFC 7515 §7.2.2). */
export const ProvisionFileSchema = z.strictObject({
  protected: base64url.min(1).max(4096),
  payload: base64url.min(1).max(8192),
  signature: base64url.length(86),
});
export type ProvisionFile = z.infer<typeof ProvisionFileSchema>;

/** The bytes (as an ASCII string) that are signed: RFC 7515 §5.1 step 6. */
export const provisionSigningInput = (protectedB64: string, payloadB64: string): string => `${protectedB64}.${payloadB64}`;

/** Compact serialization (RFC 7515 §7.1) of a provision file, as carried by a deep link. */
export const toCompactJws = (f: ProvisionFile): string => `${f.protected}.${f.payload}.${f.signature}`;

/** Splits a compact JWS into the flattened form; undefined when it is not three base64url parts. */
export function fromCompactJws(compact: string): ProvisionFile | undefined {
  const parts = compact.split('.');
  if (parts.length !== 3) return undefined;
  const r = ProvisionFileSchema.safeParse({ protected: parts[0], payload: parts[1], signature: parts[2] });
  return r.success ? r.data : undefined;
}

/** `herald://provision?jws=<compact JWS>` */
export const provisionDeepLink = (f: ProvisionFile): string => `${PROVISION_DEEP_LINK_PREFIX}?jws=${toCompactJws(f)}`;
