// Users and domains: the one place that adds, removes and authenticates accounts.
import { HeraldError } from '../protocol/errors.ts';
import type { AccountRow, DomainRow, Store } from '../store/index.ts';
import { parseAddress, parseDomain } from './address.ts';
import type { AuthBackend } from './auth-backend.ts';
import type { Credentials } from './credentials.ts';
import { hashPassword } from './password-hash.ts';
import { decodeScram, encodeScram, scramKeys, type ScramHash, type ScramKeys } from './scram.ts';

/** Everything stored for a password: the scrypt hash (PLAIN, HTTP) and SCRAM keys (XMPP). */
async function passwordSecrets(password: string) {
  const [hash, sha1, sha256] = await Promise.all([hashPassword(password), scramKeys('sha1', password), scramKeys('sha256', password)]);
  return { hash, scram: { sha1: encodeScram(sha1), sha256: encodeScram(sha256) } };
}
import type { RateLimiter } from './rate-limit.ts';

export interface DirectoryDeps {
  store: Store;
  backend: AuthBackend;
  perAccount: RateLimiter;
  perAddress: RateLimiter;
  /** imap backend: create the account row on the first successful login. */
  autoCreate: boolean;
  /** Where credentials end (removing users, changing passwords, IM off): the one path to live sessions. */
  credentials: Credentials;
}

export function createDirectory({ store, backend, perAccount, perAddress, autoCreate, credentials }: DirectoryDeps) {
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
      credentials.setDomainIm(parseDomain(name), on);
    },
    listDomains(): DomainRow[] {
      return store.domains.list();
    },
    /** Links two domains: their users become each other's contacts (symmetric, not transitive). */
    linkDomains(first: string, second: string): boolean {
      const [a, b] = [parseDomain(first), parseDomain(second)];
      if (a === b) throw new HeraldError('bad_request', `cannot link ${a} with itself: a domain's users always see each other`);
      for (const d of [a, b]) if (!store.domains.get(d)) throw new HeraldError('not_found', `no domain ${d}; add it first (domain add ${d})`);
      return store.domainLinks.link(a, b);
    },
    /** False when the two domains were not linked. */
    unlinkDomains(first: string, second: string): boolean {
      const [a, b] = [parseDomain(first), parseDomain(second)];
      for (const d of [a, b]) if (!store.domains.get(d)) throw new HeraldError('not_found', `no domain ${d}`);
      return store.domainLinks.unlink(a, b);
    },
    linkedDomains(name: string): string[] {
      return store.domainLinks.linkedTo(parseDomain(name));
    },

    async addUser(input: string, password: string | null, displayName?: string): Promise<AccountRow> {
      const a = parseAddress(input);
      if (!store.domains.get(a.domain)) throw new HeraldError('not_found', `no domain ${a.domain}; add it first (domain add ${a.domain})`);
      if (store.accounts.byAddress(a.address)) throw new HeraldError('bad_request', `user ${a.address} already exists`);
      if (backend.name === 'local' && !password) throw new HeraldError('bad_request', 'a password is required for local accounts');
      const secrets = password ? await passwordSecrets(password) : null;
      const account = store.accounts.add({ ...a, displayName: displayName ?? displayNameOf(a.local), passwordHash: secrets?.hash ?? null });
      if (secrets) store.accounts.setPasswordHash(a.address, secrets.hash, secrets.scram);
      return store.accounts.byAddress(account.address)!;
    },
    removeUser(input: string): void {
      credentials.removeAccount(parseAddress(input).address);
    },
    /** New password: sessions that used the old one end, and so do the device tokens unless `keepDevices`. */
    async setPassword(input: string, password: string, { keepDevices = false }: { keepDevices?: boolean } = {}): Promise<{ devicesRevoked: number }> {
      const a = parseAddress(input);
      if (!password) throw new HeraldError('bad_request', 'the password must not be empty');
      const secrets = await passwordSecrets(password);
      return credentials.changePassword(a.address, secrets, keepDevices);
    },
    listUsers(domain?: string): AccountRow[] {
      return store.accounts.list(domain ? parseDomain(domain) : undefined);
    },
    get(input: string): AccountRow | undefined {
      return store.accounts.byAddress(parseAddress(input).address);
    },

    /**
     * SCRAM stored keys for a local account (undefined for unknown users and passwords we do not
     * hold). The SASL exchange itself is the XMPP server's; it reports the outcome back here so
     * the same failed-login limits apply to it.
     */
    scramKeysFor(input: string, hash: ScramHash): ScramKeys | undefined {
      const account = store.accounts.byAddress(parseAddress(input).address);
      return decodeScram(hash === 'sha1' ? account?.scramSha1 : account?.scramSha256);
    },
    checkLoginLimits(input: string, clientAddress: string): void {
      perAddress.check(clientAddress);
      perAccount.check(parseAddress(input).address);
    },
    recordLogin(input: string, clientAddress: string, ok: boolean): void {
      const address = parseAddress(input).address;
      if (ok) return perAccount.reset(address);
      perAddress.fail(clientAddress);
      perAccount.fail(address);
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
