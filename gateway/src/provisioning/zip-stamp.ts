// Adds one file to a copy of a ZIP archive without unpacking or re-compressing anything
// (APPNOTE.TXT 6.3.10, the PKWARE ZIP specification): every local entry is copied byte for byte
// (their offsets do not change), the new entry (stored, CRC-32) goes where the central directory
// was, then the old central directory records, a record for the new entry, and a new end record
// — ZIP64 (APPNOTE 4.3.14–4.3.16) when the original was ZIP64 or the result needs it.
// Only the central directory is read to plan it; the bulk of the file is streamed.
import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import { ArtifactError, provisionEntryFor } from './app-resources.ts';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const ZIP64_EOCD_SIZE = 56;
const LOCATOR_SIZE = 20;
const MAX_CD_BYTES = 64 * 1024 * 1024;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const FLAG_UTF8 = 0x0800;

export interface ZipPlan {
  /** Where the central directory starts: everything before it is copied as it is. */
  cdOffset: number;
  cdSize: number;
  entries: number;
  zip64: boolean;
  comment: Buffer;
  /** The new entry's path (inside the app's resources folder). */
  entryName: string;
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new ArtifactError(`the ZIP file ends early (reading ${length} bytes at ${position})`);
    done += bytesRead;
  }
  return buf;
}

const u64 = (buf: Buffer, at: number): number => {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArtifactError('ZIP64 value out of range');
  return Number(v);
};

/** Reads the end records and the central directory and decides where provision.json goes. */
export async function planZip(fh: FileHandle, size: number): Promise<ZipPlan> {
  if (size < EOCD_SIZE) throw new ArtifactError('not a ZIP file (too short)');
  const tailLen = Math.min(size, EOCD_SIZE + U16_MAX + LOCATOR_SIZE);
  const tail = await readAt(fh, size - tailLen, tailLen);
  // The end record is the last signature whose comment length reaches exactly to the end of the file.
  let at = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD && i + EOCD_SIZE + tail.readUInt16LE(i + 20) === tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new ArtifactError('not a ZIP file (no end of central directory record)');
  const eocdPos = size - tailLen + at;
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) throw new ArtifactError('multi-volume ZIP archives are not supported');
  let entries = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  const comment = Buffer.from(tail.subarray(at + EOCD_SIZE, at + EOCD_SIZE + tail.readUInt16LE(at + 20)));
  let cdEnd = eocdPos;
  let zip64 = false;
  if (at >= LOCATOR_SIZE && tail.readUInt32LE(at - LOCATOR_SIZE) === SIG_ZIP64_LOCATOR) {
    const zip64Pos = u64(tail, at - LOCATOR_SIZE + 8);
    const rec = await readAt(fh, zip64Pos, ZIP64_EOCD_SIZE);
    if (rec.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw new ArtifactError('broken ZIP64 end of central directory record');
    entries = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
    cdEnd = zip64Pos;
    zip64 = true;
  } else if (entries === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    throw new ArtifactError('the ZIP end record needs a ZIP64 record that is missing');
  }
  if (cdOffset + cdSize !== cdEnd) {
    throw new ArtifactError('unsupported ZIP layout: the central directory does not end where its end record starts (prefixed or self-extracting archive?)');
  }
  if (cdSize > MAX_CD_BYTES) throw new ArtifactError(`the ZIP central directory is larger than ${MAX_CD_BYTES} bytes`);

  const cd = await readAt(fh, cdOffset, cdSize);
  const names: string[] = [];
  let p = 0;
  for (let n = 0; n < entries; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) throw new ArtifactError(`broken ZIP central directory at entry ${n + 1}`);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const utf8 = (cd.readUInt16LE(p + 8) & FLAG_UTF8) !== 0;
    names.push(cd.subarray(p + 46, p + 46 + nameLen).toString(utf8 ? 'utf8' : 'latin1'));
    p += 46 + nameLen + extraLen + commentLen;
  }
  if (p !== cd.length) throw new ArtifactError('broken ZIP central directory (its size does not match its entries)');
  return { cdOffset, cdSize, entries, zip64, comment, entryName: provisionEntryFor(names) };
}

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

export interface ZipAddition {
  /** Bytes after the copied prefix and before the copied central directory. */
  entry: Buffer;
  /** Bytes after the copied central directory: the new record and the end records. */
  trailer: Buffer;
  /** Size of the whole stamped archive. */
  size: number;
}

/** The bytes to add for one stored file `data` (mode 0644, time `now`). */
export function zipAddition(plan: ZipPlan, data: Buffer, now = new Date()): ZipAddition {
  const name = Buffer.from(plan.entryName, 'utf8');
  const crc = crc32(data) >>> 0;
  const { time, date } = dosDateTime(now);
  const localOffset = plan.cdOffset;
  const offsetNeeds64 = localOffset >= U32_MAX;

  const local = Buffer.alloc(30 + name.length);
  local.writeUInt32LE(SIG_LOCAL, 0);
  local.writeUInt16LE(offsetNeeds64 ? 45 : 20, 4); // version needed: 2.0, or 4.5 for ZIP64
  local.writeUInt16LE(FLAG_UTF8, 6);
  local.writeUInt16LE(0, 8); // stored
  local.writeUInt16LE(time, 10);
  local.writeUInt16LE(date, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  local.writeUInt16LE(0, 28);
  name.copy(local, 30);

  // The central record; its offset goes into a ZIP64 extra field (APPNOTE 4.5.3) when it must.
  const extra = offsetNeeds64 ? Buffer.alloc(12) : Buffer.alloc(0);
  if (offsetNeeds64) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8, 2);
    extra.writeBigUInt64LE(BigInt(localOffset), 4);
  }
  const central = Buffer.alloc(46 + name.length + extra.length);
  central.writeUInt32LE(SIG_CENTRAL, 0);
  central.writeUInt16LE((3 << 8) | 45, 4); // made by: Unix, spec 4.5 (so the mode below counts)
  central.writeUInt16LE(offsetNeeds64 ? 45 : 20, 6);
  central.writeUInt16LE(FLAG_UTF8, 8);
  central.writeUInt16LE(0, 10);
  central.writeUInt16LE(time, 12);
  central.writeUInt16LE(date, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt16LE(extra.length, 30);
  central.writeUInt16LE(0, 32); // comment
  central.writeUInt16LE(0, 34); // disk
  central.writeUInt16LE(1, 36); // internal attributes: text
  central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
  central.writeUInt32LE(offsetNeeds64 ? U32_MAX : localOffset, 42);
  name.copy(central, 46);
  extra.copy(central, 46 + name.length);

  const entries = plan.entries + 1;
  const cdOffset = plan.cdOffset + local.length + data.length;
  const cdSize = plan.cdSize + central.length;
  const zip64 = plan.zip64 || entries >= U16_MAX || cdOffset >= U32_MAX || cdSize >= U32_MAX;
  const parts: Buffer[] = [central];
  if (zip64) {
    const rec = Buffer.alloc(ZIP64_EOCD_SIZE);
    rec.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    rec.writeBigUInt64LE(BigInt(ZIP64_EOCD_SIZE - 12), 4);
    rec.writeUInt16LE((3 << 8) | 45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeUInt32LE(0, 16);
    rec.writeUInt32LE(0, 20);
    rec.writeBigUInt64LE(BigInt(entries), 24);
    rec.writeBigUInt64LE(BigInt(entries), 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const locator = Buffer.alloc(LOCATOR_SIZE);
    locator.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
    locator.writeUInt32LE(0, 4);
    locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(rec, locator);
  }
  const eocd = Buffer.alloc(EOCD_SIZE + plan.comment.length);
  eocd.writeUInt32LE(SIG_EOCD, 0);
  eocd.writeUInt16LE(Math.min(entries, U16_MAX), 8);
  eocd.writeUInt16LE(Math.min(entries, U16_MAX), 10);
  eocd.writeUInt32LE(zip64 ? U32_MAX : cdSize, 12);
  eocd.writeUInt32LE(zip64 ? U32_MAX : cdOffset, 16);
  eocd.writeUInt16LE(plan.comment.length, 20);
  plan.comment.copy(eocd, EOCD_SIZE);
  parts.push(eocd);

  const entry = Buffer.concat([local, data]);
  const trailer = Buffer.concat(parts);
  return { entry, trailer, size: plan.cdOffset + entry.length + plan.cdSize + trailer.length };
}
