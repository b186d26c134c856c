// Reads the resources of a PE file (a Windows .msstyles is a resource-only DLL) within fixed
// limits. pe-library parses the headers; the section table is checked against the file first
// (pe-library allocates whatever size a section claims), and the resource tree is walked here
// rather than with NtExecutableResource.from, which follows every directory entry without a bound:
// a directory whose entries point back at itself costs it entries³ steps. Layout: PE/COFF
// specification, "The .rsrc Section" (type → name → language directories, then data entries).
import { NtExecutable, Format } from 'pe-library';

export class PeFormatError extends Error {
  override name = 'PeFormatError';
}

export const PE_LIMITS = {
  fileBytes: 16 * 1024 * 1024,
  resourceBytes: 2 * 1024 * 1024,
  /** Directory entries read in all, over the three levels. */
  entries: 20_000,
  sections: 96,
} as const;

/** x86, x86-64, ARM Thumb-2, ARM64: what Windows and Wine build themes for. */
const MACHINES = new Map([
  [0x14c, 'x86'],
  [0x8664, 'x86-64'],
  [0x1c4, 'ARM'],
  [0xaa64, 'ARM64'],
]);

export interface PeResources {
  machine: string;
  /** type (upper-case name, or the number as text) → name (upper-case, or number as text) → bytes (first language). */
  types: Map<string, Map<string, Uint8Array>>;
}

/** Checks what pe-library would trust: the header offset and every section's extent. */
function checkLayout(b: Uint8Array): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 64 || b[0] !== 0x4d || b[1] !== 0x5a) throw new PeFormatError('not a Windows PE file (no "MZ" header)');
  const pe = v.getUint32(0x3c, true);
  if (pe + 24 > b.length) throw new PeFormatError(`truncated: the PE header at ${pe} lies past the end of the ${b.length}-byte file`);
  if (v.getUint32(pe, true) !== 0x4550) throw new PeFormatError('not a Windows PE file (no "PE" signature; a DOS program?)');
  const machine = v.getUint16(pe + 4, true);
  if (!MACHINES.has(machine)) throw new PeFormatError(`built for machine type 0x${machine.toString(16)}, not x86, x86-64, ARM or ARM64`);
  const count = v.getUint16(pe + 6, true);
  if (count > PE_LIMITS.sections) throw new PeFormatError(`${count} sections; at most ${PE_LIMITS.sections}`);
  const optSize = v.getUint16(pe + 20, true);
  const table = pe + 24 + optSize;
  if (table + count * 40 > b.length) throw new PeFormatError(`truncated: the section table ends past the end of the ${b.length}-byte file`);
  for (let i = 0; i < count; i++) {
    const o = table + i * 40;
    const size = v.getUint32(o + 16, true);
    const at = v.getUint32(o + 20, true);
    const name = String.fromCharCode(...b.subarray(o, o + 8)).replace(/\0.*$/s, '');
    if (size && at + size > b.length) throw new PeFormatError(`truncated: section ${JSON.stringify(name)} claims bytes ${at}–${at + size} of a ${b.length}-byte file`);
  }
}

export function readPeResources(bytes: Uint8Array): PeResources {
  if (bytes.length > PE_LIMITS.fileBytes) throw new PeFormatError(`the file is ${bytes.length} bytes; at most ${PE_LIMITS.fileBytes} are read`);
  checkLayout(bytes);
  let exe: NtExecutable;
  try {
    exe = NtExecutable.from(bytes, { ignoreCert: true });
  } catch (e) {
    throw new PeFormatError(`not a readable PE file: ${(e as Error).message}`);
  }
  const machine = MACHINES.get(exe.newHeader.fileHeader.machine)!;
  const dir = exe.newHeader.optionalHeaderDataDirectory.get(Format.ImageDirectoryEntry.Resource);
  const section = exe.getSectionByEntry(Format.ImageDirectoryEntry.Resource);
  if (!dir.size || !section?.data) throw new PeFormatError('the file has no resources (a theme keeps everything in them)');
  const data = new Uint8Array(section.data);
  const base = section.info.virtualAddress;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const root = dir.virtualAddress - base;
  const need = (off: number, len: number, what: string) => {
    if (off < 0 || off + len > data.length) throw new PeFormatError(`broken resource directory: ${what} at ${off} lies outside the ${data.length}-byte resource section`);
  };
  const visited = new Set<number>();
  let entries = 0;

  const name = (raw: number): string => {
    if (!(raw & 0x80000000)) return String(raw & 0xffff);
    const off = raw & 0x7fffffff;
    need(off, 2, 'a resource name');
    const len = v.getUint16(off, true);
    need(off + 2, len * 2, 'a resource name');
    return new TextDecoder('utf-16le').decode(data.subarray(off + 2, off + 2 + len * 2)).toUpperCase();
  };
  /** The entries of one directory table: [name, offset, isSubdirectory]. Each table is read once. */
  const table = (off: number): [string, number, boolean][] => {
    if (visited.has(off)) throw new PeFormatError(`broken resource directory: the table at ${off} is reached twice (a loop)`);
    visited.add(off);
    need(off, 16, 'a directory table');
    const n = v.getUint16(off + 12, true) + v.getUint16(off + 14, true);
    entries += n;
    if (entries > PE_LIMITS.entries) throw new PeFormatError(`more than ${PE_LIMITS.entries} resource directory entries`);
    need(off + 16, n * 8, 'a directory table');
    const out: [string, number, boolean][] = [];
    for (let i = 0; i < n; i++) {
      const e = off + 16 + i * 8;
      const target = v.getUint32(e + 4, true);
      out.push([name(v.getUint32(e, true)), target & 0x7fffffff, (target & 0x80000000) !== 0]);
    }
    return out;
  };

  const types = new Map<string, Map<string, Uint8Array>>();
  for (const [type, typeOff, typeSub] of table(root)) {
    if (!typeSub) throw new PeFormatError(`broken resource directory: type ${type} points at data, not a directory`);
    const names = new Map<string, Uint8Array>();
    types.set(type, names);
    for (const [res, nameOff, nameSub] of table(typeOff)) {
      if (!nameSub) throw new PeFormatError(`broken resource directory: ${type}/${res} points at data, not a language directory`);
      const langs = table(nameOff);
      const first = langs[0];
      if (!first) continue;
      if (first[2]) throw new PeFormatError(`broken resource directory: ${type}/${res} nests deeper than type, name and language`);
      need(first[1], 16, 'a data entry');
      const rva = v.getUint32(first[1], true);
      const size = v.getUint32(first[1] + 4, true);
      if (size > PE_LIMITS.resourceBytes) throw new PeFormatError(`resource ${type}/${res} claims ${size} bytes; at most ${PE_LIMITS.resourceBytes}`);
      need(rva - base, size, `the data of ${type}/${res}`);
      if (!names.has(res)) names.set(res, data.subarray(rva - base, rva - base + size));
    }
  }
  return { machine, types };
}
