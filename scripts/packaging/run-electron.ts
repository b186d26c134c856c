// `npm run desktop`: the desktop app in Electron, from the desktop build toolchain
// (desktop/packaging/, toolchain.ts). `npm run packaging:install` skips Electron's own postinstall
// (no binary download: enough for typecheck and packaging checks); the electron package downloads
// its binary the first time it is asked for it (its index.js) — where that cannot be done, one
// sentence after its own output.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { resolveToolchain, toolchainDir } from './toolchain.ts';

/** The Electron executable (the electron package's main export is its path; it throws when the binary was not downloaded). */
export function electronBinary(): string {
  const main = resolveToolchain('electron');
  try {
    return createRequire(import.meta.url)(main) as string;
  } catch {
    throw new Error(`Electron's binary is not in ${toolchainDir()}/node_modules/electron and could not be downloaded (above): run it where Electron can be downloaded (or set ELECTRON_MIRROR)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let bin: string;
  try {
    bin = electronBinary();
  } catch (e) {
    console.error(`npm run desktop: ${(e as Error).message}`);
    process.exit(1);
  }
  const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
