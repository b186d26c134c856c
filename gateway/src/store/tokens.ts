// Enrollment tokens (one-time, expiring) and device tokens (revocable). Only SHA-256 hashes
// of the tokens are stored: the tokens are 256-bit random, so a fast hash is enough.
import type { Db } from './db.ts';

export interface DeviceTokenRow {
  id: number;
  accountId: number;
  label: string | null;
  /** What the device said it runs on, or what its User-Agent showed ("linux-x64"); null: unknown. */
  platform: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  /** The remote address of that last use (behind http.trustProxy, the client's, as the proxy said); null: never used or not recorded. */
  lastAddress: string | null;
  revokedAt: number | null;
}

/** An enrollment token not used, revoked or expired yet (the token itself is not stored). */
export interface PendingEnrollRow {
  id: number;
  createdAt: number;
  expiresAt: number;
}

/** What a revocation ended, by kind. */
export interface RevokedCounts {
  devices: number;
  enrollments: number;
}

export type RedeemResult =
  | { ok: true; accountId: number }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' | 'revoked' };

export function createTokenStore(db: Db) {
  const insertEnroll = db.prepare('INSERT INTO enroll_tokens (account_id, hash, created_at, expires_at) VALUES (?, ?, ?, ?)');
  const getEnroll = db.prepare('SELECT id, account_id, expires_at, used_at, revoked_at FROM enroll_tokens WHERE hash = ?');
  const useEnroll = db.prepare('UPDATE enroll_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL');
  // Expired ones are not counted: they no longer let anyone in.
  const revokeEnroll = db.prepare('UPDATE enroll_tokens SET revoked_at = ? WHERE account_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?');
  const insertDevice = db.prepare('INSERT INTO device_tokens (account_id, hash, label, platform, created_at) VALUES (?, ?, ?, ?, ?)');
  const pendingEnroll = db.prepare(
    'SELECT id, created_at, expires_at FROM enroll_tokens WHERE account_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? ORDER BY id',
  );
  const revokeOneEnroll = db.prepare('UPDATE enroll_tokens SET revoked_at = ? WHERE hash = ? AND used_at IS NULL AND revoked_at IS NULL');
  const getDevice = db.prepare('SELECT id, account_id, revoked_at FROM device_tokens WHERE hash = ?');
  const touchDevice = db.prepare('UPDATE device_tokens SET last_used_at = ?, last_address = coalesce(?, last_address) WHERE id = ?');
  const listDevices = db.prepare(
    'SELECT id, account_id, label, platform, created_at, last_used_at, last_address, revoked_at FROM device_tokens WHERE account_id = ? ORDER BY id',
  );
  const revokeDevices = db.prepare('UPDATE device_tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL');
  const revokeDevice = db.prepare('UPDATE device_tokens SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at IS NULL');

  const redeem = db.transaction((hash: Buffer, now: number): RedeemResult => {
    const r = getEnroll.get(hash) as
      | { id: number; account_id: number; expires_at: number; used_at: number | null; revoked_at: number | null }
      | undefined;
    if (!r) return { ok: false, reason: 'unknown' };
    if (r.revoked_at !== null) return { ok: false, reason: 'revoked' };
    if (r.used_at !== null) return { ok: false, reason: 'used' };
    if (r.expires_at <= now) return { ok: false, reason: 'expired' };
    if (useEnroll.run(now, r.id).changes !== 1) return { ok: false, reason: 'used' };
    return { ok: true, accountId: r.account_id };
  });

  return {
    addEnroll(accountId: number, hash: Buffer, expiresAt: number): void {
      insertEnroll.run(accountId, hash, Date.now(), expiresAt);
    },
    /** Atomically marks the enrollment token used; a second redemption fails with 'used'. */
    redeemEnroll(hash: Buffer, now = Date.now()): RedeemResult {
      return redeem.immediate(hash, now);
    },
    addDevice(accountId: number, hash: Buffer, label: string | null, platform: string | null = null): number {
      return Number(insertDevice.run(accountId, hash, label, platform, Date.now()).lastInsertRowid);
    },
    /** The account's enrollment tokens that still let a device in. */
    pendingEnrollments(accountId: number, now = Date.now()): PendingEnrollRow[] {
      return (pendingEnroll.all(accountId, now) as { id: number; created_at: number; expires_at: number }[]).map((r) => ({
        id: r.id,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      }));
    },
    /** The live device token's ids, or undefined when unknown or revoked. */
    findDevice(hash: Buffer): { id: number; accountId: number } | undefined {
      const r = getDevice.get(hash) as { id: number; account_id: number; revoked_at: number | null } | undefined;
      if (!r || r.revoked_at !== null) return undefined;
      return { id: r.id, accountId: r.account_id };
    },
    /** Records a use of the device (and where from, when known). */
    touchDevice(id: number, now = Date.now(), address: string | null = null): void {
      touchDevice.run(now, address, id);
    },
    listDevices(accountId: number): DeviceTokenRow[] {
      return (
        listDevices.all(accountId) as {
          id: number;
          account_id: number;
          label: string | null;
          platform: string | null;
          created_at: number;
          last_used_at: number | null;
          last_address: string | null;
          revoked_at: number | null;
        }[]
      ).map((r) => ({
        id: r.id,
        accountId: r.account_id,
        label: r.label,
        platform: r.platform,
        createdAt: r.created_at,
        lastUsedAt: r.last_used_at,
        lastAddress: r.last_address,
        revokedAt: r.revoked_at,
      }));
    },
    /** Revokes one pending enrollment token (by its hash); 1 when it was live. */
    revokeEnroll(hash: Buffer): number {
      return revokeOneEnroll.run(Date.now(), hash).changes;
    },
    /** Revokes every live device token of the account (pending enrollment tokens stay). */
    revokeDevices(accountId: number): number {
      return revokeDevices.run(Date.now(), accountId).changes;
    },
    /** Revokes one device token (by id) or all of an account's device and pending enrollment tokens. */
    revoke(accountId: number, deviceId?: number): RevokedCounts {
      const now = Date.now();
      if (deviceId !== undefined) return { devices: revokeDevice.run(now, accountId, deviceId).changes, enrollments: 0 };
      return db.transaction(() => ({ devices: revokeDevices.run(now, accountId).changes, enrollments: revokeEnroll.run(now, accountId, now).changes }))();
    },
  };
}
export type TokenStore = ReturnType<typeof createTokenStore>;
