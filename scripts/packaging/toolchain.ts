// The desktop build toolchain (Electron, electron-builder) lives in its own package,
// desktop/packaging/ (package.json + package-lock.json), not in the root package.json: both need
// Node >= 22.12 (their `engines`), the gateway runs on Node >= 20.19, and with them at the root
// `npm ci` on the gateway's Node printed 25 EBADENGINE lines. Everything that needs them —
// check-config.ts (electron-builder's schema), dist.ts, after-sign.mjs, `npm run desktop`, the
// main/preload typecheck (their tsconfig `paths`) — finds them there, through this module.
// Install: `npm run packaging:install` (npm ci --prefix desktop/packaging --ignore-scripts: no
// Electron binary download; electron-builder fetches its own Electron when it builds).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = path.resolve(import.meta.dirname, '../..');
/** The toolchain package, relative to the repository. */
export const PACKAGING_DIR = 'desktop/packaging';
/** The root npm script that installs it (package.json). */
export const INSTALL_SCRIPT = 'packaging:install';

/** The toolchain is not installed (or lacks a package): one sentence naming the command. */
export class ToolchainMissingError extends Error {
  constructor(
    readonly pkg: string,
    dir: string,
  ) {
    super(`the desktop build toolchain is not installed (${pkg} is not in ${path.join(dir, 'node_modules')}): run \`npm run ${INSTALL_SCRIPT}\` first (Node >= 22.12 to build packages)`);
    this.name = 'ToolchainMissingError';
  }
}

export function toolchainDir(repo = REPO): string {
  return path.join(repo, PACKAGING_DIR);
}

/** Resolves `spec` (a package or a file inside one) as code in desktop/packaging/ would. */
export function resolveToolchain(spec: string, repo = REPO): string {
  const dir = toolchainDir(repo);
  const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
  if (!existsSync(path.join(dir, 'node_modules', pkg, 'package.json'))) throw new ToolchainMissingError(pkg, dir);
  return createRequire(path.join(dir, 'package.json')).resolve(spec);
}

/** Imports a toolchain module (CommonJS or ESM) from desktop/packaging/node_modules. */
export async function importToolchain<T>(spec: string, repo = REPO): Promise<T> {
  return (await import(pathToFileURL(resolveToolchain(spec, repo)).href)) as T;
}

/** The installed Electron's version (electron-builder needs it: electron is not a root dependency). */
export function electronVersion(repo = REPO): string {
  const manifest = resolveToolchain('electron/package.json', repo);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** A toolchain command (node_modules/.bin), e.g. electron-builder. */
export function toolchainBin(name: string, repo = REPO): string {
  const bin = path.join(toolchainDir(repo), 'node_modules/.bin', process.platform === 'win32' ? `${name}.cmd` : name);
  if (!existsSync(bin)) throw new ToolchainMissingError(name, toolchainDir(repo));
  return bin;
}
