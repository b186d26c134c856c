// How a file proves it is a Herald build, by its content — checked before any enrollment token is
// issued for it (stamper.ts, cli/package-commands.ts):
//   - zip / tar.gz: the entry `herald-build.json` in the Electron resources folder, beside
//     app.asar (electron-builder.yml ships it as an extra resource; scripts/packaging/dist.ts writes
//     it): { "product": "org.herald.desktop", "version", "builtAt", "testBuild" }.
//   - Windows installer (.exe): the string BUILD_MARKER in its version resource (UTF-16LE), put
//     there by `VIAddVersionKey` in build/installer.nsh — resources are stored uncompressed, so a
//     byte scan finds it without unpacking the NSIS payload.
//   - .dmg, .AppImage, .deb, .rpm, .msi, .pkg compress everything they carry: nothing readable
//     without unpacking them, so they are refused (their zip / tar.gz siblings are packaged instead).
import { open } from 'node:fs/promises';
import path from 'node:path';

export const BUILD_MARKER_FILE = 'herald-build.json';
/** The product id every Herald build names (electron-builder.yml appId). */
export const HERALD_PRODUCT_ID = 'org.herald.desktop';
/** The string a Herald installer carries in its version resource. */
export const BUILD_MARKER = `herald-build:${HERALD_PRODUCT_ID}`;

export interface BuildMarker {
  product: typeof HERALD_PRODUCT_ID;
  productName: string;
  version: string;
  builtAt: string;
  /** A test build made without Electron (`npm run dist -- --test-build`): not runnable. */
  testBuild: boolean;
  /** Set on test builds: "TEST BUILD — not runnable: …". */
  note?: string;
}

/** Installer extensions whose marker can be found by a byte scan. */
const SCANNABLE = new Set(['.exe']);
const CHUNK = 4 << 20;

/**
 * Whether an installer carries Herald's marker (ASCII or UTF-16LE) anywhere in its bytes; an
 * installer format whose payload is compressed throws (it cannot be checked).
 */
export async function installerHasMarker(file: string): Promise<boolean> {
  const ext = path.extname(file).toLowerCase();
  if (!SCANNABLE.has(ext)) throw new Error(`a ${ext || 'file without an extension'} cannot be checked for Herald's marker (its content is compressed); package the build's .zip or .tar.gz instead`);
  const needles = [Buffer.from(BUILD_MARKER, 'latin1'), Buffer.from(BUILD_MARKER, 'utf16le')];
  const overlap = Math.max(...needles.map((n) => n.length)) - 1;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(CHUNK + overlap);
    let carried = 0;
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(buf, carried, CHUNK, pos);
      if (bytesRead === 0) return false;
      const view = buf.subarray(0, carried + bytesRead);
      if (needles.some((n) => view.includes(n))) return true;
      pos += bytesRead;
      carried = Math.min(overlap, view.length);
      view.copyWithin(0, view.length - carried);
    }
  } finally {
    await fh.close();
  }
}
