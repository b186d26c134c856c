// Signs provision.json: a flattened JWS (RFC 7515 §7.2.2) with EdDSA over Ed25519 (RFC 8037),
// the format of gateway/src/protocol/provision.ts that the desktop core verifies. The protected
// header names the key (kid) and carries it (jwk): a provision.json inside the app's own
// resources may bring its key along; deep links and files elsewhere need a key the app ships
// (provision-keys.json) or pinned at its first enrollment.
import { sign } from 'node:crypto';
import {
  PROVISION_TYP,
  ProvisionPayloadSchema,
  provisionSigningInput,
  type ProvisionFile,
  type ProvisionHeader,
  type ProvisionPayload,
} from '../protocol/provision.ts';
import type { SigningKey } from './signing-key.ts';

const b64json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');

export function signProvision(key: SigningKey, payload: ProvisionPayload): ProvisionFile {
  // Whatever is signed must pass the desktop's schema: a bad gateway URL fails here, not on a desktop.
  const checked = ProvisionPayloadSchema.safeParse(payload);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new Error(`cannot sign this provision: "${issue.path.join('.')}" ${issue.message}`);
  }
  const header: ProvisionHeader = { alg: 'EdDSA', typ: PROVISION_TYP, kid: key.kid, jwk: key.publicJwk };
  const protectedB64 = b64json(header);
  const payloadB64 = b64json(payload);
  const signature = sign(null, Buffer.from(provisionSigningInput(protectedB64, payloadB64), 'ascii'), key.privateKey).toString('base64url');
  return { protected: protectedB64, payload: payloadB64, signature };
}

/** The bytes of provision.json as stamped into a package (pretty enough to read, with a final newline). */
export const provisionFileBytes = (file: ProvisionFile): Buffer => Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
