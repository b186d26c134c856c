// Where credentials end: the ONE module that signs a device out, changes a password, removes an
// account or switches a domain's IM off — each written together with a row of the credential
// journal (store/credential-events.ts) in the same SQLite transaction — and the one pump that
// hands those rows, as events, to whoever holds a live credential (main.ts fans them out to the
// events sockets and the XMPP sessions). Every caller — the HTTP sign-out, the CLI in another
// process, the admin console — goes through here, so a revocation travels one way only:
//   change + journal row (one transaction) → pump → every live holder.
// The pump runs on the next microtask after a change made in this process, and when the server
// sees another process commit (PRAGMA data_version, which never moves for its own writes).
// Pending upload slots (XEP-0363) are holders too; theirs is ended in the same transaction.
import { HeraldError } from '../protocol/errors.ts';
import type { CredentialEnds, CredentialEventRow, CredentialReason, RevokedCounts, Store } from '../store/index.ts';

export type CredentialEvent = CredentialEventRow;

/** What a live thing (events socket, XMPP session, upload slot) was authenticated with. */
export interface HeldCredential {
  accountId: number;
  /** The account's domain (IM switched off for it ends XMPP sessions). */
  domain: string;
  /** The device token's id; undefined: the account's password (PLAIN or SCRAM). */
  deviceId: number | undefined;
}

/** Does the ended credential cover what this holder used? */
export function endsHeld(e: CredentialEvent, held: HeldCredential): boolean {
  switch (e.ends) {
    case 'device':
      return held.accountId === e.accountId && held.deviceId !== undefined && held.deviceId === e.deviceId;
    case 'devices':
      return held.accountId === e.accountId && held.deviceId !== undefined;
    case 'password':
      return held.accountId === e.accountId && held.deviceId === undefined;
    case 'account':
      return held.accountId === e.accountId;
    case 'domain-im':
      return held.domain === e.domain;
  }
}

/** The words a holder shows for why it ended (stream error text, WebSocket close reason). */
export const REASON_TEXT: Record<CredentialReason, string> = {
  'signed-out': 'your device was signed out',
  'password-changed': 'your password was changed',
  'account-removed': 'your account was removed',
  'im-off': 'instant messaging was switched off for your domain',
};

/** What `removeDomain` took with it. */
export interface RemovedDomain {
  accounts: string[];
  /** Live device tokens and usable enrollment tokens of those accounts. */
  devices: number;
  enrollments: number;
  /** The domains it was linked to. */
  links: string[];
}

export type CredentialListener = (e: CredentialEvent) => void;

export function createCredentials({ store, onListenerError }: { store: Store; onListenerError?: (e: unknown, event: CredentialEvent) => void }) {
  const listeners = new Set<CredentialListener>();
  let seen = store.credentialEvents.lastId();
  let scheduled = false;

  const record = (ends: CredentialEnds, reason: CredentialReason, o: { accountId?: number; deviceId?: number; domain?: string }) => {
    store.credentialEvents.append({ ends, reason, accountId: o.accountId ?? null, deviceId: o.deviceId ?? null, domain: o.domain ?? null });
    if (ends === 'domain-im') store.uploads.revokePending({ ends, domain: o.domain! });
    else store.uploads.revokePending({ ends, accountId: o.accountId!, deviceId: o.deviceId });
  };
  /** Runs `change` and its journal rows in one transaction, then pumps on the next microtask. */
  const commit = <T>(change: () => T): T => {
    const result = store.db.transaction(change).immediate();
    if (listeners.size && !scheduled) {
      scheduled = true;
      queueMicrotask(pump);
    }
    return result;
  };

  /** Hands every journal row not seen yet to the listeners, in order. */
  function pump(): void {
    scheduled = false;
    if (!listeners.size) return;
    for (;;) {
      const rows = store.credentialEvents.after(seen);
      if (!rows.length) return;
      for (const e of rows) {
        seen = e.id;
        for (const l of listeners) {
          // One holder's failure must not keep the others from hearing of the revocation.
          try {
            l(e);
          } catch (err) {
            onListenerError?.(err, e);
          }
        }
      }
    }
  }

  return {
    /** Revokes one device token (by id), or every device and pending enrollment token of the account. */
    revokeDevices(accountId: number, deviceId?: number): RevokedCounts {
      return commit(() => {
        const n = store.tokens.revoke(accountId, deviceId);
        if (n.devices + n.enrollments > 0) record(deviceId === undefined ? 'devices' : 'device', 'signed-out', { accountId, deviceId });
        return n;
      });
    },

    /** Removes the account (its device tokens go with it). */
    removeAccount(address: string): void {
      commit(() => {
        const account = store.accounts.byAddress(address);
        if (!account || !store.accounts.remove(address)) throw new HeraldError('not_found', `no user ${address}`);
        record('account', 'account-removed', { accountId: account.id });
      });
    },

    /**
     * Stores new password secrets: the sessions that used the old password end, and so do the
     * device tokens issued before now, unless `keepDevices` (the admin says they stay).
     */
    changePassword(address: string, secrets: { hash: string; scram: { sha1: string; sha256: string } }, keepDevices = false): { devicesRevoked: number } {
      return commit(() => {
        const account = store.accounts.byAddress(address);
        if (!account || !store.accounts.setPasswordHash(address, secrets.hash, secrets.scram)) throw new HeraldError('not_found', `no user ${address}`);
        record('password', 'password-changed', { accountId: account.id });
        const devicesRevoked = keepDevices ? 0 : store.tokens.revokeDevices(account.id);
        if (devicesRevoked) record('devices', 'password-changed', { accountId: account.id });
        return { devicesRevoked };
      });
    },

    /**
     * Removes a domain. While it has accounts, only with `force`: then they go first, each with its
     * journal row (so their sessions end like `user del`'s), all in one transaction. Its domain
     * links go with it (ON DELETE CASCADE); message logs and archives are not touched.
     */
    removeDomain(domain: string, { force = false }: { force?: boolean } = {}): RemovedDomain {
      return commit(() => {
        if (!store.domains.get(domain)) throw new HeraldError('not_found', `no domain ${domain}`);
        const accounts = store.accounts.list(domain);
        if (accounts.length && !force) {
          throw new HeraldError('conflict', `domain ${domain} still has ${accounts.length} account(s); delete them first, or add --force to delete them with the domain`);
        }
        const removed: RemovedDomain = { accounts: [], devices: 0, enrollments: 0, links: store.domainLinks.linkedTo(domain) };
        for (const a of accounts) {
          removed.devices += store.tokens.listDevices(a.id).filter((d) => d.revokedAt === null).length;
          removed.enrollments += store.tokens.pendingEnrollments(a.id).length;
          store.accounts.remove(a.address);
          record('account', 'account-removed', { accountId: a.id });
          removed.accounts.push(a.address);
        }
        store.domains.remove(domain);
        return removed;
      });
    },

    /** IM on or off for a domain; off ends its users' XMPP sessions (and pending upload slots). */
    setDomainIm(domain: string, on: boolean): void {
      commit(() => {
        const was = store.domains.get(domain);
        if (!was || !store.domains.setImEnabled(domain, on)) throw new HeraldError('not_found', `no domain ${domain}`);
        if (!on && was.imEnabled) record('domain-im', 'im-off', { domain });
      });
    },

    /**
     * The journal's position now. A check that takes time (a password hash, a SCRAM exchange's two
     * round trips) marks it first and asks endedSince() when it succeeded: a credential that ended
     * meanwhile — its event possibly already fanned out — is not let in.
     */
    mark(): number {
      return store.credentialEvents.lastId();
    },
    /** The first change after `mark` that ended `held`, if any. */
    endedSince(mark: number, held: HeldCredential): CredentialEvent | undefined {
      return store.credentialEvents.after(mark).find((e) => endsHeld(e, held));
    },

    /** Hears of every credential that ends from now on (the server's fan-out). */
    onEnded(listener: CredentialListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Reads the journal for rows another process wrote (call when PRAGMA data_version moved). */
    pump,
  };
}
export type Credentials = ReturnType<typeof createCredentials>;
