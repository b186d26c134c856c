// How a file proves it is a Herald build, by its content — checked before any enrollment token is
// issued for it (stamper.ts, cli/package-commands.ts):
//   - zip / tar.gz: the entry `herald-build.json` in the Electron resources folder, beside
//     app.asar (electron-builder.yml ships it as an extra resource; scripts/packaging/dist.ts writes
//     it): { "product": "org.herald.desktop", "version", "builtAt", "testBuild" }.
//   - Windows installer (.exe), signed or not: the string BUILD_MARKER under the key `HeraldBuild`
//     in its version resource, put there by `VIAddVersionKey` in build/installer.nsh (pe-marker.ts
//     reads it: version resources are stored uncompressed, outside the NSIS payload).
//   - .dmg, .AppImage, .deb, .rpm, .msi, .pkg compress everything they carry: nothing readable
//     without unpacking them, so they are refused (their zip / tar.gz siblings are packaged instead).
export const BUILD_MARKER_FILE = 'herald-build.json';
/** The product id every Herald build names (electron-builder.yml appId). */
export const HERALD_PRODUCT_ID = 'org.herald.desktop';
/** The string a Herald installer carries in its version resource (pe-marker.ts). */
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
