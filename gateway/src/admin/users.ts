// Users as an admin sees them: search and page, add, delete, password, admin flag, devices and
// enrollment links. ONE implementation for the console's API and the CLI; every change is audited
// (admin/audit.ts), and every change that ends a credential goes through the directory and token
// service, i.e. directory/credentials.ts — the one path by which live sessions end.
import type { Directory } from '../directory/directory.ts';
import type { TokenService } from '../directory/tokens.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { AccountRow, RevokedCounts, Store } from '../store/index.ts';
import type { Actor, AuditLog } from './audit.ts';

export interface UserView {
  address: string;
  displayName: string;
  domain: string;
  isAdmin: boolean;
  totp: boolean;
}

export function createAdminUsers({ store, directory, tokens, audit, minPasswordLength }: { store: Store; directory: Directory; tokens: TokenService; audit: AuditLog; minPasswordLength: number }) {
  const view = (a: AccountRow): UserView => ({ address: a.address, displayName: a.displayName, domain: a.domain, isAdmin: a.isAdmin, totp: store.adminTotp.enrolled(a.id) });
  const existing = (address: string): AccountRow => {
    const a = directory.get(address);
    if (!a) throw new HeraldError('not_found', `no user ${address}`);
    return a;
  };
  return {
    minPasswordLength,
    /** One page (1-based) of users whose address or name starts with `q`. */
    search(q: string, page = 1, pageSize = 50): { users: UserView[]; total: number; page: number; pageSize: number } {
      const size = Math.min(200, Math.max(1, pageSize));
      const p = Math.max(1, page);
      const r = store.accounts.search(q, size, (p - 1) * size);
      return { users: r.rows.map(view), total: r.total, page: p, pageSize: size };
    },
    get: (address: string) => view(existing(address)),
    async add(actor: Actor, address: string, password: string | null, displayName?: string): Promise<UserView> {
      const a = await directory.addUser(address, password, displayName);
      audit.record(actor, 'user.add', a.address, { name: a.displayName });
      return view(a);
    },
    remove(actor: Actor, address: string): void {
      const a = existing(address);
      directory.removeUser(a.address);
      audit.record(actor, 'user.del', a.address);
    },
    async setPassword(actor: Actor, address: string, password: string, keepDevices = false): Promise<{ devicesRevoked: number }> {
      const a = existing(address);
      const r = await directory.setPassword(a.address, password, { keepDevices });
      audit.record(actor, 'user.passwd', a.address, { keepDevices, devicesRevoked: r.devicesRevoked });
      return r;
    },
    unlock(actor: Actor, address: string): boolean {
      const had = directory.unlock(address);
      audit.record(actor, 'user.unlock', existing(address).address, { hadFailures: had });
      return had;
    },
    /** Grants or revokes the admin flag; false when it already was so (nothing audited then). */
    setAdmin(actor: Actor, address: string, on: boolean): boolean {
      const a = existing(address);
      if (a.isAdmin === on) return false;
      store.accounts.setAdmin(a.address, on);
      // A revoked admin's second factor goes with the right it protected.
      if (!on) store.adminTotp.remove(a.id);
      audit.record(actor, on ? 'user.admin.grant' : 'user.admin.revoke', a.address);
      return true;
    },
    devices(address: string) {
      return tokens.listDevices(existing(address).address).map((d) => ({ id: d.id, label: d.label, createdAt: d.createdAt, lastUsedAt: d.lastUsedAt, lastAddress: d.lastAddress, revokedAt: d.revokedAt }));
    },
    /** Revokes one device (by id) or all of them; the count revoked. Live sessions end (credentials.ts). */
    revokeDevices(actor: Actor, address: string, deviceId?: number): RevokedCounts {
      const a = existing(address);
      const n = tokens.revoke(a.address, deviceId);
      audit.record(actor, 'token.revoke', a.address, { device: deviceId ?? 'all', devices: n.devices, enrollments: n.enrollments });
      return n;
    },
    /** A one-time enrollment token (the secret goes to the caller only, never to the audit log). */
    enroll(actor: Actor, address: string, ttlMs?: number): { token: string; expiresAt: Date; address: string } {
      const a = existing(address);
      const t = tokens.issueEnroll(a.address, ttlMs);
      audit.record(actor, 'token.enroll', a.address, { expires: t.expiresAt.toISOString() });
      return { token: t.token, expiresAt: t.expiresAt, address: a.address };
    },
  };
}
export type AdminUsers = ReturnType<typeof createAdminUsers>;
