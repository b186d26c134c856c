// Whether a Windows installer is a Herald build, by content: electron-builder writes the app's
// productName (electron-builder.yml: `productName: Herald`) into the installer's version resource
// (VS_VERSIONINFO, StringFileInfo "ProductName"), the name Explorer shows under Details. An NSIS
// installer compresses the app itself, so the app's files cannot be seen; the version resource can.
// Read with resedit/pe-library from the installer's own PE only (headers and sections), not the
// compressed payload appended after them, so a 100 MB installer costs a few hundred KiB.
import { NtExecutable, NtExecutableResource, Resource } from 'resedit';

export const HERALD_PRODUCT_NAME = 'Herald';
/** The installer's own PE is small (NSIS stub: ~0.5 MB); anything larger is not looked into. */
export const PE_MARKER_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The ProductName values of the version resource in `pe`: the PE up to the end of its sections.
 * `securityDirOffset` is where its certificate-table entry is: cleared in the copy given to
 * pe-library, which otherwise reads everything up to the table (an NSIS installer's whole payload).
 */
export function peProductNames(pe: Uint8Array, securityDirOffset?: number): string[] {
  let names: string[] = [];
  try {
    const copy = new Uint8Array(pe); // pe-library takes an ArrayBuffer; the copy may be edited
    if (securityDirOffset !== undefined && securityDirOffset + 8 <= copy.length) copy.fill(0, securityDirOffset, securityDirOffset + 8);
    const exe = NtExecutable.from(copy.buffer, { ignoreCert: true });
    const res = NtExecutableResource.from(exe);
    for (const vi of Resource.VersionInfo.fromEntries(res.entries)) {
      for (const lang of vi.getAllLanguagesForStringValues()) {
        const name = vi.getStringValues(lang).ProductName;
        if (name) names.push(name);
      }
    }
  } catch {
    names = []; // not a readable PE or no version resource: not ours
  }
  return names;
}

export const isHeraldPe = (pe: Uint8Array, securityDirOffset?: number) => peProductNames(pe, securityDirOffset).includes(HERALD_PRODUCT_NAME);
