// Stamping a signed Windows installer (.exe) per user: the signed provision.json goes into the
// Authenticode signature's unauthenticated attributes (protocol/pe-tag.ts), so the signature still
// verifies. Only the end of the file changes — the certificate table is its last bytes — plus
// two header fields: the table's Size in the data directory, and the optional header's CheckSum
// (recomputed as imagehlp's CheckSumMappedFile does; Windows does not check it for programs, but
// osslsigncode and signtool warn about a wrong one). The stamped copy is: new header bytes,
// the build's bytes up to the table, the new table.
import { closeSync, openSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { PE_HEAD_BYTES, PeTagError, locatePe, tagCertificateTable, type PeLayout } from '../protocol/pe-tag.ts';
import { ArtifactError } from './app-resources.ts';
import { PE_MARKER_MAX_BYTES, isHeraldPe } from './pe-marker.ts';

export interface PePlan {
  layout: PeLayout;
  /** The file's bytes up to the end of the certificate-table entry (the part whose fields change). */
  head: Buffer;
  table: Buffer;
  /** 16-bit word sum of everything before the table, CheckSum and table Size counted as zero. */
  wordSum: number;
  /** Where the provision goes, for logs and reports. */
  entryName: string;
}

const CHUNK = 8 << 20;

async function readAt(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Adds the little-endian 16-bit words of `b` (even length) to a running sum. */
function addWords(sum: number, b: Buffer): number {
  const words = new Uint16Array(b.buffer, b.byteOffset, b.length >> 1);
  for (let i = 0; i < words.length; i++) sum += words[i]!;
  return sum;
}

/** CheckSumMappedFile's result: the folded 16-bit one's-complement-style sum plus the file length. */
function finishChecksum(sum: number, fileLength: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return (sum + fileLength) >>> 0;
}

/** Reads what a stamp needs; throws ArtifactError for an unsigned, foreign or malformed program. */
export async function planPe(fh: FileHandle, size: number): Promise<PePlan> {
  try {
    const first = await readAt(fh, Math.min(size, PE_HEAD_BYTES), 0);
    const layout = locatePe(first, size);
    if (layout.sectionsEnd > PE_MARKER_MAX_BYTES) throw new ArtifactError(`the installer's program is ${layout.sectionsEnd} bytes: too large to be a Herald installer`);
    const own = layout.sectionsEnd <= first.length ? first.subarray(0, layout.sectionsEnd) : await readAt(fh, layout.sectionsEnd, 0);
    if (!isHeraldPe(own, layout.securityDirOffset)) throw new ArtifactError('not a Herald installer: its version resource carries no HeraldBuild marker');
    const table = await readAt(fh, layout.tableSize, layout.tableOffset);
    tagCertificateTable(table, Buffer.alloc(0)); // the signature must be one we can tag, before any token is issued
    // The checksum of everything before the table, with the two fields that change counted as zero.
    let wordSum = 0;
    const buf = Buffer.alloc(CHUNK); // not pooled: aligned for the Uint16Array view
    for (let pos = 0; pos < layout.tableOffset; pos += CHUNK) {
      const n = Math.min(CHUNK, layout.tableOffset - pos);
      const { bytesRead } = await fh.read(buf, 0, n, pos);
      if (bytesRead !== n) throw new ArtifactError('the installer got shorter while it was being read');
      for (const at of [layout.checksumOffset, layout.securityDirOffset + 4]) if (at >= pos && at + 4 <= pos + n) buf.fill(0, at - pos, at - pos + 4);
      wordSum = addWords(wordSum, buf.subarray(0, n));
    }
    return { layout, head: Buffer.from(first.subarray(0, layout.securityDirOffset + 8)), table, wordSum, entryName: 'Authenticode unauthenticated attribute' };
  } catch (e) {
    if (e instanceof PeTagError) throw new ArtifactError(`not a signed Herald installer: ${e.message}`);
    throw e;
  }
}

/** The stamped installer: new header bytes, the build's bytes up to its table, the tagged table. */
export function peParts(plan: PePlan, provision: Buffer): [{ bytes: Buffer }, { start: number; length: number }, { bytes: Buffer }] {
  const { layout } = plan;
  const table = tagCertificateTable(plan.table, provision);
  const head = Buffer.from(plan.head);
  head.writeUInt32LE(table.length, layout.securityDirOffset + 4);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(table.length);
  head.writeUInt32LE(finishChecksum(addWords(addWords(plan.wordSum, size), table), layout.tableOffset + table.length), layout.checksumOffset);
  return [{ bytes: head }, { start: head.length, length: layout.tableOffset - head.length }, { bytes: table }];
}

const checked = new Map<string, boolean>();
const CHECKED_MAX = 64;

/**
 * Whether the .exe at `file` is a signed Herald installer that can be stamped (the build
 * catalogue's content check, synchronous like the catalogue): a PE whose version resource carries
 * Herald's marker and whose signature can carry a tag. Remembered per file identity, so a page view costs
 * a stat, not a read.
 */
export function isStampableInstaller(file: string, st: { dev: number; ino: number; size: number; mtimeMs: number }): boolean {
  const key = `${file}:${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const known = checked.get(key);
  if (known !== undefined) return known;
  let ok = false;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const read = (length: number, position: number) => {
      const b = Buffer.alloc(length);
      const n = readSync(fd!, b, 0, length, position);
      return b.subarray(0, n);
    };
    const layout = locatePe(read(Math.min(st.size, PE_HEAD_BYTES), 0), st.size);
    if (layout.sectionsEnd <= PE_MARKER_MAX_BYTES && isHeraldPe(read(layout.sectionsEnd, 0), layout.securityDirOffset)) {
      tagCertificateTable(read(layout.tableSize, layout.tableOffset), Buffer.alloc(0));
      ok = true;
    }
  } catch {
    ok = false; // unsigned, foreign or damaged: served as it is (with the sign-in link), never stamped
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (checked.size >= CHECKED_MAX) checked.delete(checked.keys().next().value!);
  checked.set(key, ok);
  return ok;
}
