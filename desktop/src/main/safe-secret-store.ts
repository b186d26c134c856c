// The SecretStore port on Electron's safeStorage (the OS keychain: DPAPI on Windows, Keychain on
// macOS, libsecret/kwallet on Linux): values are encrypted by the OS and kept, base64, in
// secrets.json in the user data folder; nothing readable ever touches the disk.
//  - Encryption unavailable: values live in memory only (the user signs in again after a restart).
//  - Linux with no keyring: safeStorage falls back to `basic_text` (a hard-coded key). The token
//    is still kept, so the app stays signed in, but the user is warned: `kind` is `weak`.
import type { SecretStore } from '../core/ports/secret-store.ts';
import type { Storage } from '../core/ports/storage.ts';
import { z } from 'zod';

/** The slice of Electron's safeStorage used here (call only after app 'ready'). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only. */
  getSelectedStorageBackend?(): string;
}

export const SECRETS_FILE = 'secrets.json';
const FileSchema = z.object({ v: z.literal(1), values: z.record(z.string(), z.string()) });

export type SecretStoreKind = 'keychain' | 'weak' | 'memory';

export function secretStoreKind(safe: SafeStorageLike, platform: string): SecretStoreKind {
  if (!safe.isEncryptionAvailable()) return 'memory';
  if (platform === 'linux' && safe.getSelectedStorageBackend?.() === 'basic_text') return 'weak';
  return 'keychain';
}

export function createSafeSecretStore(d: { safe: SafeStorageLike; storage: Storage; platform: string; warn: (kind: SecretStoreKind) => void }): SecretStore & { kind: SecretStoreKind } {
  const kind = secretStoreKind(d.safe, d.platform);
  if (kind !== 'keychain') d.warn(kind);
  const memory = new Map<string, string>();

  async function load(): Promise<Record<string, string>> {
    const text = await d.storage.read(SECRETS_FILE);
    if (!text) return {};
    try {
      const r = FileSchema.safeParse(JSON.parse(text));
      return r.success ? r.data.values : {};
    } catch {
      return {};
    }
  }
  const save = (values: Record<string, string>) => d.storage.write(SECRETS_FILE, JSON.stringify({ v: 1, values }));

  return {
    kind,
    async get(key) {
      if (kind === 'memory') return memory.get(key);
      const enc = (await load())[key];
      if (enc === undefined) return undefined;
      try {
        return d.safe.decryptString(Buffer.from(enc, 'base64'));
      } catch {
        // Encrypted by another user or keyring (a copied profile): unusable, as if absent.
        return undefined;
      }
    },
    async set(key, value) {
      if (kind === 'memory') return void memory.set(key, value);
      const values = await load();
      values[key] = d.safe.encryptString(value).toString('base64');
      await save(values);
    },
    async delete(key) {
      memory.delete(key);
      if (kind === 'memory') return;
      const values = await load();
      if (!(key in values)) return;
      delete values[key];
      await save(values);
    },
  };
}
