// Whether a Windows installer (.exe) is a Herald build, by content — one marker, signed or not:
// the string BUILD_MARKER (`herald-build:org.herald.desktop`, the product id every Herald build
// names) under the key `HeraldBuild` in the installer's version resource (VS_VERSIONINFO,
// StringFileInfo), put there by `VIAddVersionKey "HeraldBuild"` in build/installer.nsh. An NSIS
// installer compresses the app itself, so the app's own marker file cannot be seen; the version
// resource can. Read with resedit/pe-library from the installer's own PE only (headers and
// sections), not the compressed payload appended after them, so a 100 MB installer costs a few
// hundred KiB. The key is read where the version resource keeps it (not found by a byte scan), and
// the product name alone (any vendor may call a program "Herald") does not count.
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Resedit from 'resedit';
import { PE_HEAD_BYTES } from '../protocol/pe-tag.ts';
import { BUILD_MARKER } from './build-marker.ts';

// resedit and pe-library are 1.2 MiB of heap once loaded, for the rare request that reads an
// installer (a build found in the packages folder, `herald-gateway package`): loaded then, not at
// start (issue 12: RSS at rest). require() loads the ES module synchronously (Node >= 20.19), so
// the callers stay synchronous.
let resedit: typeof Resedit | undefined;
const loadResedit = () => (resedit ??= createRequire(import.meta.url)('resedit') as typeof Resedit);

/** The version-resource key that carries BUILD_MARKER (build/installer.nsh). */
export const BUILD_MARKER_KEY = 'HeraldBuild';
/** The installer's own PE is small (NSIS stub: ~0.5 MB); anything larger is not looked into. */
export const PE_MARKER_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The BUILD_MARKER_KEY values of the version resource in `pe`: the PE up to the end of its sections.
 * `securityDirOffset` is where its certificate-table entry is (signed programs): cleared in the copy
 * given to pe-library, which otherwise reads everything up to the table (an NSIS installer's whole payload).
 */
export function peBuildMarkers(pe: Uint8Array, securityDirOffset?: number): string[] {
  let values: string[] = [];
  const { NtExecutable, NtExecutableResource, Resource } = loadResedit();
  try {
    const copy = new Uint8Array(pe); // pe-library takes an ArrayBuffer; the copy may be edited
    if (securityDirOffset !== undefined && securityDirOffset + 8 <= copy.length) copy.fill(0, securityDirOffset, securityDirOffset + 8);
    const exe = NtExecutable.from(copy.buffer, { ignoreCert: true });
    const res = NtExecutableResource.from(exe);
    for (const vi of Resource.VersionInfo.fromEntries(res.entries)) {
      for (const lang of vi.getAllLanguagesForStringValues()) {
        const v = vi.getStringValues(lang)[BUILD_MARKER_KEY];
        if (v) values.push(v);
      }
    }
  } catch {
    values = []; // not a readable PE or no version resource: not ours
  }
  return values;
}

export const isHeraldPe = (pe: Uint8Array, securityDirOffset?: number) => peBuildMarkers(pe, securityDirOffset).includes(BUILD_MARKER);

/**
 * Where a PE's own bytes end (headers and sections; an installer's payload and a signature come
 * after) and where its certificate-table entry is, signed or not (PE/COFF: MZ → e_lfanew → "PE\0\0",
 * the file header, the optional header's data directories, the section table). Undefined for what
 * is not a PE.
 */
export function peOwnExtent(head: Uint8Array): { end: number; securityDirOffset?: number } | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < 0x40 || b.readUInt16LE(0) !== 0x5a4d) return undefined;
  const pe = b.readUInt32LE(0x3c);
  if (pe < 0x40 || pe + 24 > b.length || b.readUInt32LE(pe) !== 0x00004550) return undefined;
  const sections = b.readUInt16LE(pe + 6);
  const optSize = b.readUInt16LE(pe + 20);
  const opt = pe + 24;
  if (opt + 2 > b.length) return undefined;
  const magic = b.readUInt16LE(opt);
  if (magic !== 0x10b && magic !== 0x20b) return undefined;
  const plus = magic === 0x20b;
  const count = opt + (plus ? 108 : 92) + 4 <= b.length ? b.readUInt32LE(opt + (plus ? 108 : 92)) : 0;
  const security = opt + (plus ? 112 : 96) + 4 * 8; // IMAGE_DIRECTORY_ENTRY_SECURITY = 4
  const sectionTable = opt + optSize;
  if (sectionTable + sections * 40 > b.length) return undefined;
  let end = sectionTable + sections * 40;
  for (let i = 0; i < sections; i++) {
    const s = sectionTable + i * 40;
    end = Math.max(end, b.readUInt32LE(s + 20) + b.readUInt32LE(s + 16));
  }
  return { end, ...(count > 4 && security + 8 <= sectionTable ? { securityDirOffset: security } : {}) };
}

/**
 * Whether an installer carries Herald's marker in its version resource (signed or unsigned). An
 * installer format whose payload is compressed throws: it cannot be checked.
 */
export async function installerHasMarker(file: string): Promise<boolean> {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.exe') throw new Error(`a ${ext || 'file without an extension'} cannot be checked for Herald's marker (its content is compressed); package the build's .zip or .tar.gz instead`);
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const read = async (length: number) => {
      const b = Buffer.alloc(Math.min(length, size));
      const { bytesRead } = await fh.read(b, 0, b.length, 0);
      return b.subarray(0, bytesRead);
    };
    const extent = peOwnExtent(await read(PE_HEAD_BYTES));
    if (!extent || extent.end > PE_MARKER_MAX_BYTES || extent.end > size) return false;
    return isHeraldPe(await read(extent.end), extent.securityDirOffset);
  } finally {
    await fh.close();
  }
}
