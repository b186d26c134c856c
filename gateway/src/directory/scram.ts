// SCRAM (RFC 5802, SHA-256: RFC 7677) stored keys: what the server keeps so SASL SCRAM can check
// a password it never sees. Stored as `<iterations>$<salt b64>$<StoredKey b64>$<ServerKey b64>`.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramHash = 'sha1' | 'sha256';
export const SCRAM_ITERATIONS = 4096;

export interface ScramKeys {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (hash: ScramHash, key: Buffer, data: string | Buffer) => createHmac(hash, key).update(data).digest();
const h = (hash: ScramHash, data: Buffer) => createHash(hash).update(data).digest();
const keyLength = (hash: ScramHash) => (hash === 'sha1' ? 20 : 32);

export async function scramKeys(hash: ScramHash, password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): Promise<ScramKeys> {
  // SASLprep is approximated by NFKC normalisation (RFC 4013 maps to NFKC plus prohibitions).
  const salted = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(password.normalize('NFKC'), salt, iterations, keyLength(hash), hash, (e, k) => (e ? reject(e) : resolve(k))),
  );
  return { iterations, salt, storedKey: h(hash, hmac(hash, salted, 'Client Key')), serverKey: hmac(hash, salted, 'Server Key') };
}

export function encodeScram(k: ScramKeys): string {
  return [k.iterations, k.salt.toString('base64'), k.storedKey.toString('base64'), k.serverKey.toString('base64')].join('$');
}

export function decodeScram(s: string | null | undefined): ScramKeys | undefined {
  const p = s?.split('$');
  if (!p || p.length !== 4) return undefined;
  return { iterations: Number(p[0]), salt: Buffer.from(p[1]!, 'base64'), storedKey: Buffer.from(p[2]!, 'base64'), serverKey: Buffer.from(p[3]!, 'base64') };
}

/** Checks a client proof (RFC 5802 §3) and returns the server signature, or undefined when wrong. */
export function verifyScramProof(hash: ScramHash, keys: ScramKeys, authMessage: string, proof: Buffer): Buffer | undefined {
  const clientSignature = hmac(hash, keys.storedKey, authMessage);
  if (proof.length !== clientSignature.length) return undefined;
  const clientKey = Buffer.alloc(proof.length);
  for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
  if (!timingSafeEqual(h(hash, clientKey), keys.storedKey)) return undefined;
  return hmac(hash, keys.serverKey, authMessage);
}

/** The client side of the proof, for tests (and a future client core). */
export async function scramClientProof(hash: ScramHash, password: string, salt: Buffer, iterations: number, authMessage: string) {
  const salted = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(password.normalize('NFKC'), salt, iterations, keyLength(hash), hash, (e, k) => (e ? reject(e) : resolve(k))),
  );
  const clientKey = hmac(hash, salted, 'Client Key');
  const signature = hmac(hash, h(hash, clientKey), authMessage);
  const proof = Buffer.alloc(clientKey.length);
  for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
  return { proof, serverSignature: hmac(hash, hmac(hash, salted, 'Server Key'), authMessage) };
}

/**
 * SASL PLAIN checked against the stored keys (as Prosody does): PBKDF2 with the stored salt and
 * iteration count on libuv's thread pool, then StoredKey = H(HMAC(SaltedPassword, "Client Key"))
 * compared in constant time (RFC 5802 §3). No keys (unknown user): the same work with a random
 * salt, so the answer's timing does not tell who exists.
 */
export async function checkScramPassword(hash: ScramHash, keys: ScramKeys | undefined, password: string): Promise<boolean> {
  const { storedKey } = await scramKeys(hash, password, keys?.salt ?? randomBytes(16), keys?.iterations ?? SCRAM_ITERATIONS);
  return keys !== undefined && storedKey.length === keys.storedKey.length && timingSafeEqual(storedKey, keys.storedKey);
}
