// Users and domains: the one place that adds, removes and authenticates accounts.
import { HeraldError } from '../protocol/errors.ts';
import type { UpdateMode } from '../store/domains.ts';
import type { AccountRow, DomainRow, Store } from '../store/index.ts';
import { parseAddress, parseDomain } from './address.ts';
import type { AuthBackend } from './auth-backend.ts';
import type { Credentials, RemovedDomain } from './credentials.ts';
import { closest } from '../config/did-you-mean.ts';
import { hashPassword } from './password-hash.ts';
import type { LoginGuard } from './login-guard.ts';
import { checkScramPassword, decodeScram, encodeScram, scramKeys, type ScramHash, type ScramKeys } from './scram.ts';

/** Everything stored for a password: the scrypt hash (PLAIN, HTTP) and SCRAM keys (XMPP). */
async function passwordSecrets(password: string) {
  const [hash, sha1, sha256] = await Promise.all([hashPassword(password), scramKeys('sha1', password), scramKeys('sha256', password)]);
  return { hash, scram: { sha1: encodeScram(sha1), sha256: encodeScram(sha256) } };
}

export interface DirectoryDeps {
  store: Store;
  backend: AuthBackend;
  /** Failed-login limits (per client address, per account and address; slows the account). */
  guard: LoginGuard;
  /** imap backend: create the account row on the first successful login. */
  autoCreate: boolean;
  /** Where credentials end (removing users, changing passwords, IM off): the one path to live sessions. */
  credentials: Credentials;
  /** Passwords set here (CLI, admin API) have at least this many characters. */
  minPasswordLength: number;
}

/** How a password is checked: the backend's way (scrypt for local accounts), or PBKDF2 against the SCRAM keys (XMPP PLAIN). */
export type PasswordCheck = 'backend' | 'scram-keys';

export function createDirectory({ store, backend, guard, autoCreate, minPasswordLength, credentials }: DirectoryDeps) {
  const checkPolicy = (password: string) => {
    // Characters as people count them (code points), not UTF-16 units.
    if ([...password].length < minPasswordLength) {
      throw new HeraldError('bad_request', `the password is too short: use at least ${minPasswordLength} characters (directory.minPasswordLength)`);
    }
  };
  const displayNameOf = (local: string) =>
    local
      .split(/[._-]+/)
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join(' ') || local;

  /** The domain, or not_found naming the nearest existing one (`exmaple.com`: did you mean example.com?). */
  const existingDomain = (name: string): string => {
    const domain = parseDomain(name);
    if (!store.domains.get(domain)) {
      const near = closest(domain, store.domains.list().map((d) => d.name));
      throw new HeraldError('not_found', `no domain ${domain}${near ? `; did you mean ${near}?` : ''}`);
    }
    return domain;
  };

  // Who is in which domain, and which domains are linked, changed in this process (the CLI's changes
  // reach `serve` through its data_version poll): ejabberd's shared roster follows (main.ts).
  const changeListeners = new Set<() => void>();
  const changed = () => {
    for (const f of changeListeners) f();
  };

  return {
    backendName: backend.name,
    /** Called after users, domains, links or a domain's IM switch changed here; returns the unsubscribe. */
    onChanged(f: () => void): () => void {
      changeListeners.add(f);
      return () => changeListeners.delete(f);
    },

    addDomain(name: string, imEnabled = true): DomainRow {
      const domain = parseDomain(name);
      if (store.domains.get(domain)) throw new HeraldError('bad_request', `domain ${domain} already exists`);
      store.domains.add(domain, imEnabled);
      changed();
      return store.domains.get(domain)!;
    },
    setDomainIm(name: string, on: boolean): void {
      credentials.setDomainIm(parseDomain(name), on);
      changed();
    },
    /**
     * Removes a domain; with accounts only when `force` (they go too, and their sessions end).
     * Message logs and archives stay; so does the mail in the mail store (not ours).
     */
    removeDomain(name: string, { force = false }: { force?: boolean } = {}): RemovedDomain {
      const removed = credentials.removeDomain(existingDomain(name), { force });
      for (const a of removed.accounts) guard.forget(a);
      changed();
      return removed;
    },
    setDomainUpdates(name: string, mode: UpdateMode): void {
      const domain = parseDomain(name);
      if (!store.domains.setUpdates(domain, mode)) throw new HeraldError('not_found', `no domain ${domain}; add it first (domain add ${domain})`);
    },
    listDomains(): DomainRow[] {
      return store.domains.list();
    },
    /** Links two domains: their users become each other's contacts (symmetric, not transitive). */
    linkDomains(first: string, second: string): boolean {
      const [a, b] = [parseDomain(first), parseDomain(second)];
      if (a === b) throw new HeraldError('bad_request', `cannot link ${a} with itself: a domain's users always see each other`);
      for (const d of [a, b]) if (!store.domains.get(d)) throw new HeraldError('not_found', `no domain ${d}; add it first (domain add ${d})`);
      const added = store.domainLinks.link(a, b);
      if (added) changed();
      return added;
    },
    /** False when the two domains were not linked. */
    unlinkDomains(first: string, second: string): boolean {
      const [a, b] = [parseDomain(first), parseDomain(second)];
      for (const d of [a, b]) if (!store.domains.get(d)) throw new HeraldError('not_found', `no domain ${d}`);
      const removed = store.domainLinks.unlink(a, b);
      if (removed) changed();
      return removed;
    },
    linkedDomains(name: string): string[] {
      return store.domainLinks.linkedTo(parseDomain(name));
    },

    async addUser(input: string, password: string | null, displayName?: string): Promise<AccountRow> {
      const a = parseAddress(input);
      if (!store.domains.get(a.domain)) throw new HeraldError('not_found', `no domain ${a.domain}; add it first (domain add ${a.domain})`);
      if (store.accounts.byAddress(a.address)) throw new HeraldError('bad_request', `user ${a.address} already exists`);
      if (backend.name === 'local' && !password) throw new HeraldError('bad_request', 'a password is required for local accounts');
      if (password) checkPolicy(password);
      const secrets = password ? await passwordSecrets(password) : null;
      const account = store.accounts.add({ ...a, displayName: displayName ?? displayNameOf(a.local), passwordHash: secrets?.hash ?? null });
      if (secrets) store.accounts.setPasswordHash(a.address, secrets.hash, secrets.scram);
      changed();
      return store.accounts.byAddress(account.address)!;
    },
    removeUser(input: string): void {
      const a = parseAddress(input);
      credentials.removeAccount(a.address);
      guard.forget(a.address);
      changed();
    },
    /** New password: sessions that used the old one end, and so do the device tokens unless `keepDevices`. */
    async setPassword(input: string, password: string, { keepDevices = false }: { keepDevices?: boolean } = {}): Promise<{ devicesRevoked: number }> {
      const a = parseAddress(input);
      if (!password) throw new HeraldError('bad_request', 'the password must not be empty');
      checkPolicy(password);
      const secrets = await passwordSecrets(password);
      const r = credentials.changePassword(a.address, secrets, keepDevices);
      // A new password starts with a clean slate: the failures were against the old one.
      guard.clear(a.address);
      return r;
    },
    /** `user unlock`: forgets the account's failed sign-ins. False when there were none. */
    unlock(input: string): boolean {
      const a = parseAddress(input);
      if (!store.accounts.byAddress(a.address)) throw new HeraldError('not_found', `no user ${a.address}`);
      return guard.clear(a.address) > 0;
    },
    listUsers(domain?: string): AccountRow[] {
      return store.accounts.list(domain === undefined ? undefined : existingDomain(domain));
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
      guard.check(parseAddress(input).address, clientAddress);
    },
    recordLogin(input: string, clientAddress: string, ok: boolean): void {
      const address = parseAddress(input).address;
      if (ok) guard.succeeded(address, clientAddress);
      else guard.failed(address, clientAddress);
    },

    /**
     * Checks a password. Failures count against the client's address, the (account, address)
     * pair and the account (login-guard.ts); past a limit the attempt is refused (429) before the
     * password is even looked at. `how`: 'scram-keys' checks a local account's password against
     * its SCRAM-SHA-1 stored keys (PBKDF2, 4,096 iterations: XMPP PLAIN, as Prosody does);
     * accounts without them (imap backend, rows older than the keys) use the backend.
     */
    async authenticate(input: string, password: string, clientAddress: string, how: PasswordCheck = 'backend'): Promise<AccountRow> {
      const a = parseAddress(input);
      guard.check(a.address, clientAddress);
      let account = store.accounts.byAddress(a.address);
      const keys = how === 'scram-keys' && backend.name === 'local' ? decodeScram(account?.scramSha1) : undefined;
      const ok =
        keys || (how === 'scram-keys' && backend.name === 'local' && !account)
          ? await checkScramPassword('sha1', keys, password)
          : await backend.verify(a.address, account, password);
      if (ok && !account && autoCreate && backend.name === 'imap' && store.domains.get(a.domain)) {
        account = store.accounts.add({ ...a, displayName: displayNameOf(a.local), passwordHash: null });
        changed();
      }
      if (!ok || !account) {
        guard.failed(a.address, clientAddress);
        throw new HeraldError('invalid_credentials', 'wrong user name or password');
      }
      guard.succeeded(a.address, clientAddress);
      return account;
    },
  };
}
export type Directory = ReturnType<typeof createDirectory>;
