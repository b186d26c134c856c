// Enrollment tokens (one-time, expiring; what provisioning stamps into an app) are traded for
// device tokens (what the desktop keeps in the OS keychain; revocable). Both are 256-bit random
// strings; only their SHA-256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import { HeraldError } from '../protocol/errors.ts';
import type { AccountRow, DeviceTokenRow, PendingEnrollRow, RevokedCounts, Store } from '../store/index.ts';
import { parseAddress } from './address.ts';
import type { Credentials } from './credentials.ts';

const ENROLL_PREFIX = 'hen_';
const DEVICE_PREFIX = 'hdt_';

/** An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: the admin sees a.b.c.d. */
const clientAddress = (a: string) => a.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '').slice(0, 100);

const newToken = (prefix: string) => prefix + randomBytes(32).toString('base64url');
const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** last_used_at is written at most this often per device: the poll path stays (nearly) read-only. */
const TOUCH_EVERY_MS = 60_000;

/** An account's tokens as an admin sees them (`token list`, the admin console). */
export interface AccountTokens {
  account: AccountRow;
  /** Every device token, live and revoked, oldest first. */
  devices: DeviceTokenRow[];
  /** Enrollment tokens that still let a device in. */
  enrollments: PendingEnrollRow[];
}

export function createTokenService({ store, enrollTtlMs, credentials }: { store: Store; enrollTtlMs: number; credentials: Credentials }) {
  const accountOf = (input: string) => {
    const a = parseAddress(input);
    const account = store.accounts.byAddress(a.address);
    if (!account) throw new HeraldError('not_found', `no user ${a.address}`);
    return account;
  };
  const issueDevice = (account: AccountRow, label: string | null, platform: string | null = null) => {
    const token = newToken(DEVICE_PREFIX);
    store.tokens.addDevice(account.id, hashToken(token), label, platform);
    return token;
  };
  // What was last written per device: a use is written only when a minute has passed or it
  // comes from another address, so a polling device costs one read per request, not a write.
  const touched = new Map<number, { at: number; address: string | undefined }>();
  const touch = (deviceId: number, address: string | undefined) => {
    const now = Date.now();
    const last = touched.get(deviceId);
    if (last && last.at > now - TOUCH_EVERY_MS && (address === undefined || address === last.address)) return;
    touched.set(deviceId, { at: now, address: address ?? last?.address });
    store.tokens.touchDevice(deviceId, now, address ?? null);
  };

  return {
    issueEnroll(address: string, ttlMs = enrollTtlMs): { token: string; expiresAt: Date; account: AccountRow } {
      const account = accountOf(address);
      const token = newToken(ENROLL_PREFIX);
      const expiresAt = Date.now() + ttlMs;
      store.tokens.addEnroll(account.id, hashToken(token), expiresAt);
      return { token, expiresAt: new Date(expiresAt), account };
    },

    /** Revokes one enrollment token not yet used (a package that could not be made); 1 when it was live. */
    revokeEnroll(token: string): number {
      return store.tokens.revokeEnroll(hashToken(token));
    },

    /** Trades a one-time enrollment token for a new device token. */
    redeemEnroll(token: string, label: string | null, platform: string | null = null): { deviceToken: string; account: AccountRow } {
      const r = token.startsWith(ENROLL_PREFIX) ? store.tokens.redeemEnroll(hashToken(token)) : ({ ok: false, reason: 'unknown' } as const);
      if (!r.ok) {
        const why = {
          unknown: ['invalid_token', 'this enrollment token is not valid'],
          used: ['invalid_token', 'this enrollment token has already been used; ask your administrator for a new one'],
          revoked: ['invalid_token', 'this enrollment token was revoked; ask your administrator for a new one'],
          expired: ['token_expired', 'this enrollment token has expired; ask your administrator for a new one, or sign in with your password'],
        } as const;
        const [code, message] = why[r.reason];
        throw new HeraldError(code, message);
      }
      const account = store.accounts.byId(r.accountId);
      if (!account) throw new HeraldError('invalid_token', 'the account of this enrollment token no longer exists');
      return { deviceToken: issueDevice(account, label, platform), account };
    },

    issueDevice,

    /**
     * The account behind a live device token; throws invalid_token otherwise. Every use counts as
     * the device's last use — HTTP, the events socket, XMPP (TCP or WebSocket) alike — and
     * `remoteAddress` (the caller's, http.trustProxy respected) its last address.
     */
    verifyDevice(token: string, remoteAddress?: string): { account: AccountRow; deviceId: number } {
      const found = token.startsWith(DEVICE_PREFIX) ? store.tokens.findDevice(hashToken(token)) : undefined;
      const account = found && store.accounts.byId(found.accountId);
      if (!found || !account) throw new HeraldError('invalid_token', 'the device token is unknown or was revoked; sign in again');
      touch(found.id, remoteAddress ? clientAddress(remoteAddress) : undefined);
      return { account, deviceId: found.id };
    },

    listDevices(address: string) {
      return store.tokens.listDevices(accountOf(address).id);
    },

    /** The user's device tokens and usable enrollment tokens. */
    listTokens(address: string): AccountTokens {
      const account = accountOf(address);
      return { account, devices: store.tokens.listDevices(account.id), enrollments: store.tokens.pendingEnrollments(account.id) };
    },

    /**
     * Revokes one device (by id), or every device and usable enrollment token of the user; what
     * used them ends (credentials.ts). One device that is not there (or no longer live) is not_found.
     */
    revoke(address: string, deviceId?: number): RevokedCounts {
      const account = accountOf(address);
      const n = credentials.revokeDevices(account.id, deviceId);
      if (deviceId !== undefined && !n.devices) {
        const revoked = store.tokens.listDevices(account.id).find((d) => d.id === deviceId)?.revokedAt;
        throw new HeraldError('not_found', revoked ? `device ${deviceId} of ${account.address} was already revoked` : `${account.address} has no device ${deviceId} (token list ${account.address} shows its devices)`);
      }
      return n;
    },
  };
}
export type TokenService = ReturnType<typeof createTokenService>;
