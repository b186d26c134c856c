// The safeStorage-backed SecretStore with a fake safeStorage (a reversible cipher standing in for
// the OS keychain) over a real folder: nothing readable reaches the disk, values survive a restart,
// a Linux basic_text fallback warns (and still works), no encryption at all keeps values in memory
// only, and a file encrypted by someone else's keyring reads as absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDirStorage } from '../core/storage/dir-storage.ts';
import { SECRETS_FILE, createSafeSecretStore, type SafeStorageLike, type SecretStoreKind } from './safe-secret-store.ts';

function fakeSafe(o: { available?: boolean; backend?: string; key?: number } = {}): SafeStorageLike {
  const key = o.key ?? 0x5a;
  return {
    isEncryptionAvailable: () => o.available ?? true,
    // 'v10', the key's id (as a keyring would know its own), then the XOR-ed bytes.
    encryptString: (s) => Buffer.concat([Buffer.from('v10'), Buffer.from([key]), Buffer.from(Buffer.from(s, 'utf8').map((b) => b ^ key))]),
    decryptString(b) {
      if (b.subarray(0, 3).toString() !== 'v10' || b[3] !== key) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(b.subarray(4).map((x) => x ^ key)).toString('utf8');
    },
    getSelectedStorageBackend: () => o.backend ?? 'gnome_libsecret',
  };
}
const TOKEN = 'hdt_secret-device-token-123';
const tmp = () => mkdtempSync(path.join(tmpdir(), 'herald-secrets-'));
const everything = (dir: string) => readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');

test('keychain: encrypted on disk, readable after a restart, deletable; no warning', async () => {
  const dir = tmp();
  const warned: SecretStoreKind[] = [];
  const s = createSafeSecretStore({ safe: fakeSafe(), storage: createDirStorage(dir), platform: 'linux', warn: (k) => void warned.push(k) });
  assert.equal(s.kind, 'keychain');
  await s.set('herald.device-token', TOKEN);
  assert.ok(!everything(dir).includes(TOKEN), 'the token is not readable on disk');
  const again = createSafeSecretStore({ safe: fakeSafe(), storage: createDirStorage(dir), platform: 'linux', warn: (k) => void warned.push(k) });
  assert.equal(await again.get('herald.device-token'), TOKEN);
  await again.delete('herald.device-token');
  assert.equal(await again.get('herald.device-token'), undefined);
  assert.deepEqual(warned, []);
  rmSync(dir, { recursive: true, force: true });
});

test('Linux basic_text: works, but warns that the protection is weak; other platforms ignore the backend', async () => {
  const dir = tmp();
  const warned: SecretStoreKind[] = [];
  const s = createSafeSecretStore({ safe: fakeSafe({ backend: 'basic_text' }), storage: createDirStorage(dir), platform: 'linux', warn: (k) => void warned.push(k) });
  assert.equal(s.kind, 'weak');
  await s.set('k', TOKEN);
  assert.equal(await s.get('k'), TOKEN);
  assert.deepEqual(warned, ['weak']);
  const mac = createSafeSecretStore({ safe: fakeSafe({ backend: 'basic_text' }), storage: createDirStorage(dir), platform: 'darwin', warn: (k) => void warned.push(k) });
  assert.equal(mac.kind, 'keychain');
  rmSync(dir, { recursive: true, force: true });
});

test('no encryption: memory only — nothing is written, the user signs in again after a restart', async () => {
  const dir = tmp();
  const warned: SecretStoreKind[] = [];
  const s = createSafeSecretStore({ safe: fakeSafe({ available: false }), storage: createDirStorage(dir), platform: 'linux', warn: (k) => void warned.push(k) });
  assert.equal(s.kind, 'memory');
  await s.set('k', TOKEN);
  assert.equal(await s.get('k'), TOKEN);
  assert.deepEqual(readdirSync(dir), []);
  assert.deepEqual(warned, ['memory']);
  rmSync(dir, { recursive: true, force: true });
});

test('a secrets file from another keyring, or a broken one, reads as absent and is replaced on the next set', async () => {
  const dir = tmp();
  const a = createSafeSecretStore({ safe: fakeSafe({ key: 1 }), storage: createDirStorage(dir), platform: 'win32', warn: () => {} });
  await a.set('k', TOKEN);
  const b = createSafeSecretStore({ safe: fakeSafe({ key: 2 }), storage: createDirStorage(dir), platform: 'win32', warn: () => {} });
  assert.equal(await b.get('k'), undefined);
  const storage = createDirStorage(dir);
  await storage.write(SECRETS_FILE, '{ not json');
  assert.equal(await b.get('k'), undefined);
  await b.set('k', 'new');
  assert.equal(await b.get('k'), 'new');
  rmSync(dir, { recursive: true, force: true });
});
