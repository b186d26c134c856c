// Adds one file to a copy of a .tar.gz without re-compressing it. The catch: the original's
// end-of-archive zero blocks sit inside its compressed stream, so a member appended after it
// (gzip allows a file of several members, RFC 1952 §2.2) would come after the end marker —
// `tar -t` stops there and never sees it. Cutting the end marker out would mean re-encoding the
// deflate stream from its last block boundary (bit-aligned, not byte-aligned). Instead the new
// entry goes FIRST: one small gzip member holding just its tar header and data (no end blocks),
// followed by the original file byte for byte. Decompressed, that is one tar archive — the new
// entry, then every original entry, then the original end marker — which GNU tar, bsdtar and
// node-tar read (extracting creates the entry's parent folders; the folder entries that follow
// set their modes). Reading the archive once (to find the resources folder and refuse a stamped
// copy) inflates it; that plan is cached per file, so each further copy costs one small gzip
// member plus a byte copy.
import { createGunzip, gzipSync } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import { ArtifactError, provisionEntryFor } from './app-resources.ts';
import { createTarNameReader, tarFileEntry } from './tar-format.ts';

export interface TarGzPlan {
  entryName: string;
  /** Entries in the original archive. */
  entries: number;
}

/** Inflates the archive once (streaming) to read its entry names and check its integrity. */
export async function planTarGz(fh: FileHandle): Promise<TarGzPlan> {
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0);
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) throw new ArtifactError('not a gzip file (a .tar.gz starts with 1f 8b)');
  const reader = createTarNameReader();
  const gunzip = createGunzip();
  fh.createReadStream({ start: 0, highWaterMark: 1 << 20, autoClose: false }).pipe(gunzip);
  try {
    for await (const chunk of gunzip) reader.write(chunk as Buffer); // after the end marker: only the gzip check runs
  } catch (e) {
    if (e instanceof ArtifactError) throw e;
    throw new ArtifactError(`damaged gzip data: ${(e as Error).message}`);
  } finally {
    gunzip.destroy();
  }
  const names = reader.end();
  return { entryName: provisionEntryFor(names), entries: names.length };
}

/** The gzip member to put in front of the original file. */
export function tarGzPrefix(plan: TarGzPlan, data: Buffer, now = new Date()): Buffer {
  return gzipSync(tarFileEntry(plan.entryName, data, now), { level: 9 });
}
