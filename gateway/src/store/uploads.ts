// HTTP File Upload (XEP-0363) slots and the files uploaded to them.
//
// A slot is one row: an unguessable id (144 random bits, base64url — the URL is the only key to
// the file, XEP-0363 §11), its owner (the bare JID that asked; kept when the account goes, so links
// in other people's chats keep working until retention), the sanitised filename, the announced
// size and content type, when it was made and until when its PUT URL works, and `uploaded_at`
// (NULL until the PUT completed: the "uploaded" flag and the retention clock in one column).
//
// Files live in <data>/uploads/<id> — named by the id alone, never by anything the client sent,
// so no filename can reach outside that folder. An upload is written to <data>/uploads/tmp/ and
// renamed into place when complete: a reader never sees half a file, and a crash leaves only a
// temp file, which sweep() removes at start along with files no row knows (a crash between the
// rename and the row update).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Db } from './db.ts';

export interface UploadSlot {
  id: string;
  /** Bare JID of the user who asked for the slot. */
  owner: string;
  filename: string;
  size: number;
  /** Announced content type ('' when the request gave none: the PUT's is taken). */
  contentType: string;
  createdAt: number;
  expiresAt: number;
  /** When the PUT completed; undefined while the slot waits for its file. */
  uploadedAt: number | undefined;
  /**
   * The credential of the session that asked (directory/credentials.ts): the account, and the
   * device token (null: the password). A pending slot stops working when that credential ends.
   */
  accountId: number | null;
  deviceId: number | null;
  /** When the credential that made the slot ended (its PUT is refused from then on). */
  revokedAt: number | undefined;
}

/** What a new slot is made of (the store adds the id). */
export type NewSlot = Omit<UploadSlot, 'id' | 'uploadedAt' | 'revokedAt'>;

export interface SlotLimits {
  /** Bytes an owner may hold (uploaded files plus open slots); 0 = no quota. */
  quotaBytes: number;
  /** Open (not yet uploaded, not expired) slots an owner may hold. */
  maxPendingSlots: number;
}

/** Why a slot was not made: the quota would be exceeded, or too many slots are open (retryAt: when the oldest expires). */
export type SlotRefusal = { reason: 'quota'; usedBytes: number } | { reason: 'pending'; retryAt: number };

interface SlotRowDb {
  id: string;
  owner: string;
  filename: string;
  size: number;
  content_type: string;
  created_at: number;
  expires_at: number;
  uploaded_at: number | null;
  account_id: number | null;
  device_id: number | null;
  revoked_at: number | null;
}

/** Slot ids: 18 random bytes in base64url, exactly 24 characters of [A-Za-z0-9_-]. */
export const SLOT_ID = /^[A-Za-z0-9_-]{24}$/;
const newSlotId = () => randomBytes(18).toString('base64url');

const fromDb = (r: SlotRowDb): UploadSlot => ({
  id: r.id,
  owner: r.owner,
  filename: r.filename,
  size: r.size,
  contentType: r.content_type,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  uploadedAt: r.uploaded_at ?? undefined,
  accountId: r.account_id,
  deviceId: r.device_id,
  revokedAt: r.revoked_at ?? undefined,
});

export const uploadDir = (dataDir: string) => path.join(dataDir, 'uploads');

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);
const PARAM = new RegExp(`^(${TOKEN})=(${TOKEN}|"[^"\\\\\\x00-\\x1f\\x7f]*")$`);

/**
 * A content type (RFC 9110 §8.3.1) in one canonical form — `type/subtype; name=value`, type,
 * subtype and parameter names lower case, no extra spaces — so the slot's and the PUT's compare
 * as strings; undefined when it is not a media type (or is longer than 255 characters).
 */
export function normalizeContentType(s: string): string | undefined {
  if (s.length > 255) return undefined;
  const [head, ...params] = s.split(';').map((p) => p.trim());
  const m = MEDIA_TYPE.exec(head ?? '');
  if (!m) return undefined;
  const out = [`${m[1]!.toLowerCase()}/${m[2]!.toLowerCase()}`];
  for (const p of params) {
    if (!p) continue;
    const pm = PARAM.exec(p.replace(/\s*=\s*/, '='));
    if (!pm) return undefined;
    out.push(`${pm[1]!.toLowerCase()}=${pm[2]}`);
  }
  return out.join('; ');
}

export function createUploadStore(db: Db, dataDir: string) {
  const dir = uploadDir(dataDir);
  const tmpDir = path.join(dir, 'tmp');
  const get = db.prepare('SELECT * FROM upload_slots WHERE id = ?');
  const insert = db.prepare(
    'INSERT INTO upload_slots (id, owner, filename, size, content_type, created_at, expires_at, account_id, device_id) VALUES (@id, @owner, @filename, @size, @contentType, @createdAt, @expiresAt, @accountId, @deviceId)',
  );
  const used = db.prepare('SELECT coalesce(sum(size), 0) AS bytes FROM upload_slots WHERE owner = ? AND (uploaded_at IS NOT NULL OR (expires_at > ? AND revoked_at IS NULL))');
  const pending = db.prepare('SELECT count(*) AS n, min(expires_at) AS first FROM upload_slots WHERE owner = ? AND uploaded_at IS NULL AND revoked_at IS NULL AND expires_at > ?');
  const markUploaded = db.prepare('UPDATE upload_slots SET uploaded_at = ?, content_type = ? WHERE id = ? AND uploaded_at IS NULL AND revoked_at IS NULL');
  const expiredSlots = db.prepare('DELETE FROM upload_slots WHERE uploaded_at IS NULL AND expires_at <= ?');
  const pastRetention = db.prepare('SELECT id FROM upload_slots WHERE uploaded_at IS NOT NULL AND uploaded_at < ? LIMIT 1000');
  const del = db.prepare('DELETE FROM upload_slots WHERE id = ?');
  const pendingOf = 'uploaded_at IS NULL AND revoked_at IS NULL';
  const revokeDevice = db.prepare(`UPDATE upload_slots SET revoked_at = ? WHERE ${pendingOf} AND account_id = ? AND device_id = ?`);
  const revokeDevices = db.prepare(`UPDATE upload_slots SET revoked_at = ? WHERE ${pendingOf} AND account_id = ? AND device_id IS NOT NULL`);
  const revokePassword = db.prepare(`UPDATE upload_slots SET revoked_at = ? WHERE ${pendingOf} AND account_id = ? AND device_id IS NULL`);
  const revokeAccount = db.prepare(`UPDATE upload_slots SET revoked_at = ? WHERE ${pendingOf} AND account_id = ?`);
  const revokeDomain = db.prepare(`UPDATE upload_slots SET revoked_at = ? WHERE ${pendingOf} AND account_id IN (SELECT id FROM accounts WHERE domain = ?)`);
  const known = db.prepare('SELECT 1 FROM upload_slots WHERE id = ? AND uploaded_at IS NOT NULL');

  const create = db.transaction((slot: NewSlot, limits: SlotLimits): UploadSlot | SlotRefusal => {
    const now = slot.createdAt;
    const open = pending.get(slot.owner, now) as { n: number; first: number | null };
    if (open.n >= limits.maxPendingSlots) return { reason: 'pending', retryAt: open.first ?? now };
    if (limits.quotaBytes > 0) {
      const bytes = (used.get(slot.owner, now) as { bytes: number }).bytes;
      if (bytes + slot.size > limits.quotaBytes) return { reason: 'quota', usedBytes: bytes };
    }
    const row = { ...slot, id: newSlotId(), uploadedAt: undefined, revokedAt: undefined };
    insert.run(row);
    return row;
  });

  const removeFile = (file: string) => {
    try {
      unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  };

  return {
    dir,
    tmpDir,
    /** Makes a slot unless the owner's quota or open-slot limit says no (checked and inserted in one transaction). */
    create(slot: NewSlot, limits: SlotLimits): UploadSlot | SlotRefusal {
      return create.immediate(slot, limits);
    },
    get(id: string): UploadSlot | undefined {
      if (!SLOT_ID.test(id)) return undefined;
      const r = get.get(id) as SlotRowDb | undefined;
      return r && fromDb(r);
    },
    /**
     * A credential ended (directory/credentials.ts, inside its transaction): the pending slots its
     * sessions were given stop taking uploads. Uploaded files stay (links in chats keep working).
     */
    revokePending(ended: { ends: 'device' | 'devices' | 'password' | 'account'; accountId: number; deviceId?: number } | { ends: 'domain-im'; domain: string }, now = Date.now()): number {
      switch (ended.ends) {
        case 'device':
          return revokeDevice.run(now, ended.accountId, ended.deviceId ?? -1).changes;
        case 'devices':
          return revokeDevices.run(now, ended.accountId).changes;
        case 'password':
          return revokePassword.run(now, ended.accountId).changes;
        case 'account':
          return revokeAccount.run(now, ended.accountId).changes;
        case 'domain-im':
          return revokeDomain.run(now, ended.domain).changes;
      }
    },
    /** Bytes the owner holds now: uploaded files and open slots. */
    usedBytes(owner: string, now = Date.now()): number {
      return (used.get(owner, now) as { bytes: number }).bytes;
    },
    /** Where the slot's file lives (ids are checked: nothing outside the uploads folder). */
    fileOf(id: string): string {
      if (!SLOT_ID.test(id)) throw new Error(`not an upload slot id: ${JSON.stringify(id).slice(0, 40)}`);
      return path.join(dir, id);
    },
    /** A fresh temp file name for an upload in progress (the folder is created on demand). */
    tempFileFor(id: string): string {
      if (!SLOT_ID.test(id)) throw new Error(`not an upload slot id: ${JSON.stringify(id).slice(0, 40)}`);
      mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
      return path.join(tmpDir, `${id}.${randomBytes(6).toString('hex')}`);
    },
    /** The PUT completed (file renamed into place): false when the slot was already marked. */
    markUploaded(id: string, contentType: string, at = Date.now()): boolean {
      return markUploaded.run(at, contentType, id).changes === 1;
    },
    /**
     * Deletes slots that expired unused before `slotsExpiredBefore` (give uploads that started in
     * time a grace period to finish), and files uploaded before `uploadedBefore` with their rows
     * (undefined = keep files). Returns how many of each went.
     */
    purge({ slotsExpiredBefore, uploadedBefore }: { slotsExpiredBefore: number; uploadedBefore: number | undefined }): { files: number; slots: number } {
      const slots = expiredSlots.run(slotsExpiredBefore).changes;
      let files = 0;
      if (uploadedBefore === undefined) return { files, slots };
      for (;;) {
        const ids = (pastRetention.all(uploadedBefore) as { id: string }[]).map((r) => r.id);
        if (!ids.length) break;
        for (const id of ids) {
          // File first: a row without its file would answer 404 anyway; a file without a row is swept at start.
          removeFile(path.join(dir, id));
          del.run(id);
          files++;
        }
      }
      return { files, slots };
    },
    /**
     * At start (no upload in progress): removes temp files of interrupted uploads and files no
     * uploaded slot owns. Returns how many files went.
     */
    sweep(): number {
      let n = 0;
      rmSync(tmpDir, { recursive: true, force: true });
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw e;
      }
      for (const name of names) {
        if (SLOT_ID.test(name) && known.get(name)) continue;
        rmSync(path.join(dir, name), { recursive: true, force: true });
        n++;
      }
      return n;
    },
  };
}
export type UploadStore = ReturnType<typeof createUploadStore>;
