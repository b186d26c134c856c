// Users and domains: the one place that adds, removes and authenticates accounts.
import { HeraldError } from '../protocol/errors.ts';
import type { AccountRow, DomainRow, Store } from '../store/index.ts';
import { parseAddress, parseDomain } from './address.ts';
import type { AuthBackend } from './auth-backend.ts';
import { hashPassword } from './password-hash.ts';
import type { RateLimiter } from './rate-limit.ts';

export interface DirectoryDeps {
  store: Store;
  backend: AuthBackend;
  perAccount: RateLimiter;
  perAddress: RateLimiter;
  /** imap backend: create the account row on the first successful login. */
  autoCreate: boolean;
}

export function createDirectory({ store, backend, perAccount, perAddress, autoCreate }: DirectoryDeps) {
  const displayNameOf = (local: string) =>
    local
      .split(/[._-]+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join(' ') || local;

  return {
    backendName: backend.name,

    addDomain(name: string, imEnabled = true): DomainRow {
      const domain = parseDomain(name);
      if (store.domains.get(domain)) throw new HeraldError('bad_request', `domain ${domain} already exists`);
      store.domains.add(domain, imEnabled);
      return store.domains.get(domain)!;
    },
    setDomainIm(name: string, on: boolean): void {
      const domain = parseDomain(name);
      if (!store.domains.setImEnabled(domain, on)) throw new HeraldError('not_found', `no domain ${domain}`);
    },
    listDomains(): DomainRow[] {
      return store.domains.list();
    },

    async addUser(input: string, password: string | null, displayName?: string): Promise<AccountRow> {
      const a = parseAddress(input);
      if (!store.domains.get(a.domain)) throw new HeraldError('not_found', `no domain ${a.domain}; add it first (domain add ${a.domain})`);
      if (store.accounts.byAddress(a.address)) throw new HeraldError('bad_request', `user ${a.address} already exists`);
      if (backend.name === 'local' && !password) throw new HeraldError('bad_request', 'a password is required for local accounts');
      const hash = password ? await hashPassword(password) : null;
      return store.accounts.add({ ...a, displayName: displayName ?? displayNameOf(a.local), passwordHash: hash });
    },
    removeUser(input: string): void {
      const a = parseAddress(input);
      if (!store.accounts.remove(a.address)) throw new HeraldError('not_found', `no user ${a.address}`);
    },
    async setPassword(input: string, password: string): Promise<void> {
      const a = parseAddress(input);
      if (!password) throw new HeraldError('bad_request', 'the password must not be empty');
      if (!store.accounts.setPasswordHash(a.address, await hashPassword(password))) throw new HeraldError('not_found', `no user ${a.address}`);
    },
    listUsers(domain?: string): AccountRow[] {
      return store.accounts.list(domain ? parseDomain(domain) : undefined);
    },
    get(input: string): AccountRow | undefined {
      return store.accounts.byAddress(parseAddress(input).address);
    },

    /**
     * Checks a password. Failures count against the account and the client's address;
     * past the limit every attempt is refused (429) before the password is even looked at.
     */
    async authenticate(input: string, password: string, clientAddress: string): Promise<AccountRow> {
      const a = parseAddress(input);
      perAddress.check(clientAddress);
      perAccount.check(a.address);
      let account = store.accounts.byAddress(a.address);
      const ok = await backend.verify(a.address, account, password);
      if (ok && !account && autoCreate && backend.name === 'imap' && store.domains.get(a.domain)) {
        account = store.accounts.add({ ...a, displayName: displayNameOf(a.local), passwordHash: null });
      }
      if (!ok || !account) {
        perAddress.fail(clientAddress);
        perAccount.fail(a.address);
        throw new HeraldError('invalid_credentials', 'wrong user name or password');
      }
      perAccount.reset(a.address);
      return account;
    },
  };
}
export type Directory = ReturnType<typeof createDirectory>;
