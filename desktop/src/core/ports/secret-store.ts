// SecretStore port: the only place a device token is kept. The Electron main process fills it
// with safeStorage (OS keychain); tests use an in-memory one. Passwords never go in here.

export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}
