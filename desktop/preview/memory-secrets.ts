// The preview's SecretStore: in memory (a browser preview has no OS keychain; a restart of the
// preview signs its profiles out). The Electron app uses safeStorage (src/main/safe-secret-store.ts).
import type { SecretStore } from '../src/core/ports/secret-store.ts';

export function memorySecrets(): SecretStore {
  const m = new Map<string, string>();
  return {
    get: async (k) => m.get(k),
    set: async (k, v) => void m.set(k, v),
    delete: async (k) => void m.delete(k),
  };
}
