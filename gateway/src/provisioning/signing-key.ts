// The gateway's provisioning key: one Ed25519 key pair (RFC 8032, JWK per RFC 8037) made on first
// use in <data>/provisioning/. The private key (PKCS#8 PEM, mode 0600) signs every provision.json;
// the public key is exported as a JWK Set, provision-keys.json, for builds to ship in the app's
// resources (desktop/src/core/provisioning/provision-sources.ts trusts it for deep links and files
// in the user's folder). Creation is atomic (write a private temp file, link(2) it into place), so
// `serve` and the CLI starting together agree on one key.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ed25519JwkSchema, type Ed25519Jwk, type ProvisionKeySet } from '../protocol/provision.ts';

export const SIGNING_KEY_FILE = 'signing-key.pem';
export const PUBLIC_KEYS_FILE = 'provision-keys.json';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Ed25519Jwk & { kid: string };
  /** The JWK Set to ship as provision-keys.json. */
  keySet: ProvisionKeySet;
  /** Where the key pair lives. */
  dir: string;
  /** True when this call made the key (first use). */
  created: boolean;
  /** Set when the private key file is readable by others than its owner. */
  warning?: string;
}

export const provisioningDirOf = (dataDir: string) => path.resolve(dataDir, 'provisioning');

function publicJwkOf(privateKey: KeyObject): Ed25519Jwk & { kid: string } {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as { kty?: string; crv?: string; x?: string };
  // The key id is derived from the key itself (stable, and different for every key).
  const kid = `herald-${createHash('sha256').update(jwk.x ?? '').digest('base64url').slice(0, 16)}`;
  return { ...Ed25519JwkSchema.parse({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }), kid };
}

function createKeyFile(file: string): boolean {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, pem, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file); // fails with EEXIST when another process was first: theirs is kept
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Loads the key pair from <data>/provisioning/, making it on first use. */
export function loadSigningKey(dataDir: string): SigningKey {
  const dir = provisioningDirOf(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, SIGNING_KEY_FILE);
  let created = false;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the provisioning key ${file}: ${(e as Error).message}`);
    created = createKeyFile(file);
    pem = readFileSync(file, 'utf8');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (e) {
    throw new Error(`${file} is not a PEM private key: ${(e as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} holds a ${privateKey.asymmetricKeyType} key; provisioning needs Ed25519`);
  const mode = statSync(file).mode & 0o777;
  const warning = mode & 0o077 ? `${file} is readable by others (mode ${mode.toString(8)}): anyone who can read it can forge provisioning; chmod 600 it` : undefined;

  const publicJwk = publicJwkOf(privateKey);
  const keySet: ProvisionKeySet = { keys: [publicJwk] };
  const keysFile = path.join(dir, PUBLIC_KEYS_FILE);
  const keysText = `${JSON.stringify(keySet, null, 2)}\n`;
  let current: string | undefined;
  try {
    current = readFileSync(keysFile, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== keysText) {
    // Public, but private at rest like everything in the data folder (`package keys --out` copies it out).
    writeFileSync(keysFile, keysText, { mode: 0o600 });
    chmodSync(keysFile, 0o600);
  }
  return { kid: publicJwk.kid, privateKey, publicJwk, keySet, dir, created, ...(warning ? { warning } : {}) };
}
