// Whether electron-builder can get Electron on this machine — asked before `npm run dist` builds
// anything, so a machine without internet gets one clear sentence instead of a stack trace from
// deep inside a download. electron-builder fetches electron-v<version>-<platform>-<arch>.zip
// through @electron/get: from ELECTRON_MIRROR (else GitHub's releases), cached in ELECTRON_CACHE
// (else the OS cache folder, https://github.com/electron/get#how-it-works). The electron package
// (its version) is in the desktop build toolchain, desktop/packaging/ (toolchain.ts).
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { REPO } from './check-config.ts';
import { electronVersion, ToolchainMissingError } from './toolchain.ts';

export type ElectronAvailability = { ok: true; from: 'cache' | 'download'; zip: string } | { ok: false; reason: string; zip: string; cacheDir: string };

const DEFAULT_MIRROR = 'https://github.com/electron/electron/releases/download/';

export function electronCacheDir(env = process.env, platform = process.platform): string {
  if (env.ELECTRON_CACHE) return env.ELECTRON_CACHE;
  if (platform === 'darwin') return path.join(homedir(), 'Library/Caches/electron');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(homedir(), 'AppData/Local'), 'electron/Cache');
  return path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'electron');
}

function inCache(dir: string, zip: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).some((f) => path.basename(f) === zip);
}

export async function electronAvailability(o: { repo?: string; env?: NodeJS.ProcessEnv; platform?: string; arch?: string; timeoutMs?: number } = {}): Promise<ElectronAvailability> {
  const env = o.env ?? process.env;
  const cacheDir = electronCacheDir(env);
  let version: string;
  try {
    version = electronVersion(o.repo ?? REPO);
  } catch (e) {
    if (!(e instanceof ToolchainMissingError)) throw e;
    return { ok: false, reason: e.message, zip: 'electron-v<version>-<platform>-<arch>.zip', cacheDir };
  }
  const platform = o.platform ?? process.platform;
  const arch = o.arch ?? process.arch;
  const zip = `electron-v${version}-${platform}-${arch}.zip`;
  if (inCache(cacheDir, zip)) return { ok: true, from: 'cache', zip };
  const mirror = env.ELECTRON_MIRROR ?? DEFAULT_MIRROR;
  const url = `${mirror.replace(/\/*$/, '/')}v${version}/${zip}`;
  try {
    const r = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(o.timeoutMs ?? 8000) });
    if (r.ok) return { ok: true, from: 'download', zip };
    return { ok: false, reason: `Electron ${version} for ${platform}-${arch} cannot be downloaded (${url} answers ${r.status})`, zip, cacheDir };
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    return { ok: false, reason: `Electron ${version} for ${platform}-${arch} cannot be downloaded (${new URL(url).host}: ${why})`, zip, cacheDir };
  }
}
