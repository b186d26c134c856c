// Where provision.json goes inside a generic build: the Electron app's resources folder — the one
// holding app.asar (or app/ when asar is off): `resources/` in Windows and Linux builds
// (`Herald-0.1.0/resources/` in a tar.gz), `Herald.app/Contents/Resources/` in macOS builds.
// That is process.resourcesPath at run time, where the desktop core looks
// (desktop/src/core/provisioning/provision-sources.ts).
import { PROVISION_FILE_NAME } from '../protocol/provision.ts';
import { BUILD_MARKER_FILE } from './build-marker.ts';

export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

const APP_MARKER = /(^|\/)(resources|Resources)\/(app\.asar|app\/package\.json)$/;

/** Entry names as archives write them: no leading `./`, directories without their trailing `/`. */
export const normalizeEntryName = (name: string) => name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');

/**
 * The archive path of provision.json for these entry names; throws when the archive holds no
 * Electron app, or already holds a provision (a stamped copy, not the generic build).
 */
export function provisionEntryFor(names: Iterable<string>): string {
  const all = new Set<string>();
  let best: string | undefined;
  for (const raw of names) {
    const name = normalizeEntryName(raw);
    all.add(name);
    const m = APP_MARKER.exec(name);
    if (!m) continue;
    const dir = name.slice(0, m.index + m[1]!.length + m[2]!.length + 1);
    if (best === undefined || dir.length < best.length) best = dir;
  }
  if (best === undefined) {
    throw new ArtifactError('no Electron app in this archive: expected resources/app.asar (Windows, Linux) or Herald.app/Contents/Resources/app.asar (macOS)');
  }
  // Herald's own marker beside app.asar (written by `npm run dist`, scripts/packaging/dist.ts):
  // any other Electron app — or a zip that merely looks like one — gets no token.
  if (!all.has(`${best}${BUILD_MARKER_FILE}`)) {
    throw new ArtifactError(`not a Herald build: an Electron app without ${best}${BUILD_MARKER_FILE} (the marker \`npm run dist\` puts into every Herald build)`);
  }
  const entry = `${best}${PROVISION_FILE_NAME}`;
  if (all.has(entry)) throw new ArtifactError(`the archive already contains ${entry}: stamp the generic build, not a stamped copy`);
  return entry;
}
