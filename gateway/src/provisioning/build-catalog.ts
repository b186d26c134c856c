// The generic builds an admin put in the builds folder (provisioning.buildsDir, default
// <data>/builds/), recognised by the names electron-builder.yml gives them:
// `${productName}-${version}-${os}-${arch}.${ext}` (Herald-0.1.0-linux-x64.tar.gz). A zip or tar.gz
// is stamped per user; so is a signed Windows installer (.exe) that its content shows to be a
// Herald build (pe-stamp.ts: the provision goes into its signature), which is then preferred over
// the zip. Other installers (dmg, AppImage, deb, rpm, msi, pkg, an unsigned exe) cannot be edited,
// so they are served as they are, with the user's provision as a sidecar file or a deep link.
//
// A dmg, pkg, AppImage, deb, rpm or msi compresses everything it carries: Herald's marker inside
// (resources/herald-build.json) cannot be checked without unpacking it. Such a file is offered
// only when its build vouches for it: a channel file electron-builder wrote beside it
// (latest.yml, latest-mac.yml, latest-linux*.yml — `files[].url` + `sha512`, or `path` + `sha512`)
// lists it by name with the SHA-512 its bytes have. Copying the channel files into the builds
// folder with the builds is enough; any other file under a Herald name is skipped, and the admin
// is told why (listBuilds's onSkip; the gateway logs it once per file).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { isStampableInstaller } from './pe-stamp.ts';
import { stampableFormatOf, type StampableFormat } from './stamper.ts';

export type Os = 'win' | 'mac' | 'linux';
export type Arch = 'x64' | 'arm64';

export interface Platform {
  id: `${Os}-${Arch}`;
  os: Os;
  arch: Arch;
  label: string;
}

/** The platforms the download page offers, in its order. */
export const PLATFORMS: readonly Platform[] = [
  { id: 'win-x64', os: 'win', arch: 'x64', label: 'Windows (64-bit)' },
  { id: 'win-arm64', os: 'win', arch: 'arm64', label: 'Windows on Arm' },
  { id: 'mac-arm64', os: 'mac', arch: 'arm64', label: 'macOS (Apple silicon)' },
  { id: 'mac-x64', os: 'mac', arch: 'x64', label: 'macOS (Intel)' },
  { id: 'linux-x64', os: 'linux', arch: 'x64', label: 'Linux (64-bit)' },
  { id: 'linux-arm64', os: 'linux', arch: 'arm64', label: 'Linux on Arm (64-bit)' },
];
export type PlatformId = Platform['id'];
export const platformById = (id: string): Platform | undefined => PLATFORMS.find((p) => p.id === id);

export interface BuildFile {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  version: string;
  os: Os;
  /** `universal` (macOS) serves both architectures. */
  arch: Arch | 'universal';
  /** zip / tar.gz / a signed Herald .exe: stamped per user; else an installer served as it is. */
  stampable: StampableFormat | undefined;
  ext: string;
}

const NAME = /^(?<product>.+?)-(?<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)-(?<os>win|mac|linux)-(?<arch>x64|amd64|x86_64|arm64|aarch64|universal)\.(?<ext>zip|tar\.gz|tgz|exe|msi|dmg|pkg|AppImage|deb|rpm)$/;
const ARCH: Record<string, Arch | 'universal'> = { x64: 'x64', amd64: 'x64', x86_64: 'x64', arm64: 'arm64', aarch64: 'arm64', universal: 'universal' };

/** What a build file's name says it is; undefined for names that do not follow the pattern. */
export function classifyBuild(name: string): Omit<BuildFile, 'path' | 'size' | 'mtimeMs'> | undefined {
  const m = NAME.exec(name);
  if (!m?.groups) return undefined;
  const g = m.groups as { version: string; os: Os; arch: string; ext: string };
  // An .exe is stampable only if its content says so (listBuilds): the name cannot tell.
  return { name, version: g.version, os: g.os, arch: ARCH[g.arch]!, stampable: g.ext === 'exe' ? undefined : stampableFormatOf(name), ext: g.ext };
}

/** Installer kinds whose content cannot be checked: offered only when a channel file vouches for them. */
const VOUCHED = new Set(['dmg', 'pkg', 'AppImage', 'deb', 'rpm', 'msi']);
const CHANNEL_FILE = /^latest(?:-[a-z0-9-]+)?\.yml$/;
const CHANNEL_MAX_BYTES = 1 << 20;

/** A YAML scalar as electron-builder writes them (plain, or single/double quoted). */
function scalar(v: string): string {
  const t = v.trim();
  if (t.startsWith('"')) {
    try {
      return JSON.parse(t) as string;
    } catch {
      return t;
    }
  }
  if (t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replaceAll("''", "'");
  return t;
}

/**
 * name → SHA-512 (base64) from electron-builder's channel files in `dir`: each `url` of `files:`
 * with the `sha512` that follows it, and the top-level `path` with the top-level `sha512`. Only
 * these two keys are read (line by line: the files are electron-builder's fixed shape).
 */
export function vouchedHashes(dir: string, names: readonly string[]): Map<string, { sha512: string; by: string }> {
  const out = new Map<string, { sha512: string; by: string }>();
  for (const yml of names.filter((n) => CHANNEL_FILE.test(n)).sort()) {
    let text: string;
    try {
      const file = path.join(dir, yml);
      const st = statSync(file);
      if (!st.isFile() || st.size > CHANNEL_MAX_BYTES) continue;
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    let url: string | undefined;
    let top: string | undefined;
    for (const line of text.split(/\r?\n/)) {
      const m = /^(\s*)(?:-\s+)?(url|path|sha512):\s*(.*)$/.exec(line);
      if (!m) continue;
      const [, indent, key, raw] = m as unknown as [string, string, string, string];
      const value = scalar(raw);
      let name: string;
      try {
        name = decodeURIComponent(value);
      } catch {
        name = value;
      }
      if (key === 'url') url = name;
      else if (key === 'path' && indent === '') top = name;
      else if (key === 'sha512') {
        const target = indent === '' ? top : url;
        if (target && !out.has(target)) out.set(target, { sha512: value, by: yml });
        if (indent === '') top = undefined;
        else url = undefined;
      }
    }
  }
  return out;
}

const hashes = new Map<string, string>();
const HASHES_MAX = 64;

/** The base64 SHA-512 of a file (what electron-builder writes), remembered per file identity. */
function sha512Of(file: string, st: { dev: number; ino: number; size: number; mtimeMs: number }): string {
  const key = `${file}:${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const known = hashes.get(key);
  if (known) return known;
  const h = createHash('sha512');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const digest = h.digest('base64');
  if (hashes.size >= HASHES_MAX) hashes.delete(hashes.keys().next().value!);
  hashes.set(key, digest);
  return digest;
}

/** Why a build file under a Herald name is not offered (the admin is told). */
export type SkipListener = (name: string, why: string) => void;

/** Every recognisable build in `dir` (a missing folder is an empty catalog). */
export function listBuilds(dir: string, onSkip?: SkipListener): BuildFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: BuildFile[] = [];
  let vouched: Map<string, { sha512: string; by: string }> | undefined;
  for (const name of names) {
    const c = classifyBuild(name);
    if (!c) continue;
    const file = path.join(dir, name);
    try {
      const st = statSync(file);
      if (!st.isFile()) continue;
      if (VOUCHED.has(c.ext)) {
        vouched ??= vouchedHashes(dir, names);
        const v = vouched.get(name);
        if (!v) {
          onSkip?.(name, `not offered: a .${c.ext} cannot be checked for Herald's marker (its content is compressed), and no channel file from its build (latest*.yml) lists it — copy the build's latest*.yml into the builds folder with it`);
          continue;
        }
        if (sha512Of(file, st) !== v.sha512) {
          onSkip?.(name, `not offered: its SHA-512 is not the one ${v.by} lists for it (a different or damaged file)`);
          continue;
        }
      }
      const stampable = c.ext === 'exe' && isStampableInstaller(file, st) ? 'exe' : c.stampable;
      out.push({ ...c, stampable, path: file, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // removed while listing
    }
  }
  return out;
}

const versionKey = (v: string) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? p.padStart(8, '0') : p));
const newer = (a: BuildFile, b: BuildFile) => {
  const ka = versionKey(a.version);
  const kb = versionKey(b.version);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    if (ka[i] === kb[i]) continue;
    if (ka[i] === undefined) return true; // 1.0.0 is newer than 1.0.0-beta
    if (kb[i] === undefined) return false;
    return ka[i]! > kb[i]!;
  }
  return a.mtimeMs > b.mtimeMs;
};

/** At one version: a stampable installer, then a stampable archive, then an installer served as it is. */
const rank = (b: BuildFile) => (b.stampable === 'exe' ? 2 : b.stampable ? 1 : 0);

/**
 * The build to serve for a platform: the newest version; at one version the best ranked (a stamped
 * installer before a stamped zip). `only` narrows it to one kind (the zip offered as a fallback).
 */
export function buildFor(builds: readonly BuildFile[], platform: Platform, only?: (b: BuildFile) => boolean): BuildFile | undefined {
  let best: BuildFile | undefined;
  for (const b of builds) {
    if (b.os !== platform.os || (b.arch !== platform.arch && b.arch !== 'universal')) continue;
    if (only && !only(b)) continue;
    if (!best) best = b;
    else if (b.version === best.version) {
      if (rank(b) > rank(best) || (rank(b) === rank(best) && b.mtimeMs > best.mtimeMs)) best = b;
    } else if (newer(b, best)) best = b;
  }
  return best;
}

/**
 * The platform a browser runs on, from User-Agent Client Hints when sent (Sec-CH-UA-Platform,
 * Sec-CH-UA-Arch), else the User-Agent string. Browsers on Apple silicon still say "Intel Mac OS X",
 * so a Mac defaults to Apple silicon (every Mac sold since 2021) unless a hint says x86.
 */
export function platformFromBrowser(userAgent: string, hints: { platform?: string; arch?: string } = {}): PlatformId | undefined {
  const hint = hints.platform?.replace(/"/g, '').toLowerCase();
  const hintArch = hints.arch?.replace(/"/g, '').toLowerCase();
  const ua = userAgent.toLowerCase();
  let os: Os | undefined;
  if (hint === 'windows' || (!hint && ua.includes('windows nt'))) os = 'win';
  else if (hint === 'macos' || (!hint && ua.includes('macintosh'))) os = 'mac';
  else if (hint === 'linux' || hint === 'chrome os' || (!hint && ua.includes('linux') && !ua.includes('android'))) os = 'linux';
  if (!os) return undefined;
  let arch: Arch;
  if (hintArch) arch = hintArch === 'arm' ? 'arm64' : 'x64';
  else if (os === 'mac') arch = 'arm64';
  else arch = /aarch64|arm64|armv8/.test(ua) ? 'arm64' : 'x64';
  return `${os}-${arch}`;
}
