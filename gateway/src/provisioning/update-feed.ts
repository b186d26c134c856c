// The electron-updater "generic" feed computed from the builds folder, so enrolled desktops update
// from the company's own gateway (http/routes/update-routes.ts serves it). The channel files are
// what electron-builder writes next to its artifacts (app-builder-lib publish/updateInfoBuilder):
//   latest.yml            Windows: the NSIS installers (.exe)        (NsisUpdater)
//   latest-mac.yml        macOS: the zips (Squirrel.Mac installs from a zip, not a dmg)  (MacUpdater)
//   latest-linux.yml      Linux x64: the AppImage                     (AppImageUpdater)
//   latest-linux-arm64.yml  Linux arm64 (electron-updater adds `-<arch>` for Linux arches other than x64)
// Each lists `version`, `files[]` ({url, sha512, size}), the legacy `path`/`sha512` of the first file
// and `releaseDate`; sha512 is the base64 SHA-512 of the whole file, which electron-updater checks
// after downloading (builder-util-runtime DigestTransform). Hashing a 100 MB installer takes a
// while, so hashes are cached by file identity (inode, size, mtime): each build is read once.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { BuildFile, Os } from './build-catalog.ts';

export const UPDATE_CHANNELS = ['stable', 'beta'] as const;
export type UpdateChannel = (typeof UPDATE_CHANNELS)[number];

export interface FeedKind {
  os: Os;
  /** Narrows Linux to one architecture (its own channel file); Windows and macOS list every arch in one file. */
  arch?: 'x64' | 'arm64';
  ext: string;
}

/** The channel files electron-updater asks for, by the file name it appends to the feed URL. */
export const FEED_FILES: Record<string, FeedKind> = {
  'latest.yml': { os: 'win', ext: 'exe' },
  'latest-mac.yml': { os: 'mac', ext: 'zip' },
  'latest-linux.yml': { os: 'linux', arch: 'x64', ext: 'AppImage' },
  'latest-linux-arm64.yml': { os: 'linux', arch: 'arm64', ext: 'AppImage' },
};

export interface FeedEntry {
  name: string;
  sha512: string;
  size: number;
}

export interface Feed {
  version: string;
  files: FeedEntry[];
  releaseDate: string;
  /** The channel file as electron-updater parses it (YAML). */
  yaml: string;
}

const versionKey = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? p.padStart(8, '0') : p));
/** Semver order, enough for x.y.z[-pre]: numeric parts compared as numbers, a release after its pre-releases. */
export function compareVersions(a: string, b: string): number {
  const [ka, kb] = [versionKey(a), versionKey(b)];
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    if (ka[i] === kb[i]) continue;
    if (ka[i] === undefined) return 1;
    if (kb[i] === undefined) return -1;
    return ka[i]! > kb[i]! ? 1 : -1;
  }
  return 0;
}

/** The builds of one channel file: of its kind, `stable` without pre-releases (1.2.0-beta.1). */
export function feedBuilds(builds: readonly BuildFile[], kind: FeedKind, channel: UpdateChannel): BuildFile[] {
  const mine = builds.filter(
    (b) => b.os === kind.os && b.ext === kind.ext && (kind.arch === undefined || b.arch === kind.arch) && (channel === 'beta' || !b.version.includes('-')),
  );
  const newest = mine.reduce<string | undefined>((v, b) => (v === undefined || compareVersions(b.version, v) > 0 ? b.version : v), undefined);
  return mine.filter((b) => b.version === newest).sort((a, b) => a.name.localeCompare(b.name));
}

/** A YAML double-quoted scalar: JSON's string escapes are valid YAML 1.2 ones. */
const q = (s: string) => JSON.stringify(s);

export function feedYaml(f: Omit<Feed, 'yaml'>): string {
  const lines = [`version: ${q(f.version)}`, 'files:'];
  for (const e of f.files) lines.push(`  - url: ${q(encodeURIComponent(e.name))}`, `    sha512: ${q(e.sha512)}`, `    size: ${e.size}`);
  lines.push(`path: ${q(encodeURIComponent(f.files[0]!.name))}`, `sha512: ${q(f.files[0]!.sha512)}`, `releaseDate: ${q(f.releaseDate)}`);
  return `${lines.join('\n')}\n`;
}

export interface FileHasher {
  /** The base64 SHA-512 of a file, computed once per (inode, size, mtime). */
  sha512(file: string): Promise<string>;
  /** How many files were actually read (for tests and logs). */
  readonly reads: number;
}

export function createFileHasher(): FileHasher {
  const cache = new Map<string, { id: string; hash: Promise<string> }>();
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    sha512(file) {
      const st = statSync(file, { bigint: true });
      const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
      const hit = cache.get(file);
      if (hit?.id === id) return hit.hash;
      reads++;
      const hash = new Promise<string>((resolve, reject) => {
        const h = createHash('sha512');
        createReadStream(file)
          .on('data', (c) => h.update(c))
          .on('error', reject)
          .on('end', () => resolve(h.digest('base64')));
      });
      cache.set(file, { id, hash });
      // A failed read is not cached: the next request tries again.
      hash.catch(() => cache.get(file)?.hash === hash && cache.delete(file));
      return hash;
    },
  };
}

/** The feed for one channel file, or undefined when the builds folder has nothing of its kind. */
export async function computeFeed(builds: readonly BuildFile[], kind: FeedKind, channel: UpdateChannel, hasher: FileHasher): Promise<Feed | undefined> {
  const chosen = feedBuilds(builds, kind, channel);
  if (chosen.length === 0) return undefined;
  const files = await Promise.all(chosen.map(async (b) => ({ name: b.name, sha512: await hasher.sha512(b.path), size: b.size })));
  // The release date is when the newest of its files was put there: stable across requests.
  const releaseDate = new Date(Math.max(...chosen.map((b) => b.mtimeMs))).toISOString();
  const f = { version: chosen[0]!.version, files, releaseDate };
  return { ...f, yaml: feedYaml(f) };
}
