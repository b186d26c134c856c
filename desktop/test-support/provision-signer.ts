// Signs provision.json files the way the gateway's packaging will (issue 7): a real Ed25519 key
// pair and a flattened JWS (RFC 7515 §7.2.2, RFC 8037). Tests use it to prove the verify side
// against genuine signatures — and against tampered ones.
import { generateKeyPairSync, sign } from 'node:crypto';
import {
  PROVISION_TYP,
  provisionSigningInput,
  type Ed25519Jwk,
  type ProvisionFile,
  type ProvisionHeader,
  type ProvisionPayload,
} from '../../gateway/src/protocol/provision.ts';

export interface TestSigner {
  kid: string;
  publicJwk: Ed25519Jwk & { kid: string };
  sign(payload: ProvisionPayload | Record<string, unknown>, opts?: { embedKey?: boolean; header?: Record<string, unknown> }): ProvisionFile;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');

export function createTestSigner(kid = 'gw-test-1'): TestSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as { kty: 'OKP'; crv: 'Ed25519'; x: string };
  const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid };
  return {
    kid,
    publicJwk,
    sign(payload, opts = {}) {
      const header: ProvisionHeader | Record<string, unknown> = { alg: 'EdDSA', typ: PROVISION_TYP, kid, ...(opts.embedKey ? { jwk: publicJwk } : {}), ...opts.header };
      const protectedB64 = b64(header);
      const payloadB64 = b64(payload);
      const signature = sign(null, Buffer.from(provisionSigningInput(protectedB64, payloadB64), 'ascii'), privateKey).toString('base64url');
      return { protected: protectedB64, payload: payloadB64, signature };
    },
  };
}

/** A payload valid for `ttlMs` from `now`. */
export function provisionPayload(o: { gateway: string; user: string; token: string; now?: number; ttlMs?: number; issuer?: string }): ProvisionPayload {
  const now = o.now ?? Date.now();
  return {
    v: 1,
    gateway: o.gateway,
    user: o.user,
    enrollmentToken: o.token,
    issuer: o.issuer ?? 'gw.example.com',
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + (o.ttlMs ?? 3600_000)).toISOString(),
  };
}
