// `npm run dist [-- --keys FILE] [electron-builder options]`: the generic desktop builds.
//   1. checks electron-builder.yml (check-config.ts);
//   2. builds the desktop bundle (`npm run desktop:build`), and refuses a bundle that would need
//      node_modules at run time (it must be self-contained: the app ships no dependencies);
//   3. stages .build/app: a package.json with no dependencies + desktop/dist/** (the repository
//      layout the main process expects under app.getAppPath()), and Herald's build marker
//      (.build/marker/herald-build.json, shipped beside app.asar: gateway/src/provisioning/build-marker.ts);
//   4. copies the gateway's public key set (--keys, or HERALD_PROVISION_KEYS) to
//      build/provisioning/provision-keys.json, shipped in the app's resources;
//   5. runs electron-builder (from desktop/packaging/, `npm run packaging:install`; without it, one
//      sentence naming that command) — which downloads Electron: where that cannot be done (no internet,
//      no ELECTRON_MIRROR, nothing in the cache) it stops before, with one sentence saying so.
// `npm run dist -- --test-build` makes labelled TEST builds without Electron instead (test-build.ts).
// The artifacts land in dist/packages/; copy them into the gateway's builds folder (<data>/builds/).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProvisionKeySetSchema } from '../../gateway/src/protocol/provision.ts';
import { PUBLIC_KEYS_FILE } from '../../gateway/src/provisioning/signing-key.ts';
import { BUILD_MARKER_FILE, HERALD_PRODUCT_ID, type BuildMarker } from '../../gateway/src/provisioning/build-marker.ts';
import { checkPackagingConfig, gatewayOnlyPackages, MARKER_DIR, REPO } from './check-config.ts';
import { electronAvailability } from './electron-availability.ts';
import { runtimePackages } from './runtime-imports.ts';
import { makeTestBuilds } from './test-build.ts';
import { electronVersion, resolveToolchain } from './toolchain.ts';

/** What the packaged app must contain (desktop/src/main/main.ts loads these from app.getAppPath()). */
export const BUNDLE_FILES = ['desktop/dist/main.mjs', 'desktop/dist/preload.cjs', 'desktop/dist/renderer/index.html'];
export const STAGE_DIR = '.build/app';

export { MARKER_DIR };
/** The npm script that builds desktop/dist (package.json). */
export const DESKTOP_BUILD_SCRIPT = 'desktop:build';

/** Writes the app folder electron-builder packs: its package.json (no dependencies) and the bundle. */
export function stageApp(o: { repo?: string; stageDir?: string; testBuild?: boolean; now?: Date } = {}): { dir: string; manifest: Record<string, unknown>; marker: BuildMarker } {
  const repo = o.repo ?? REPO;
  const dir = path.resolve(repo, o.stageDir ?? STAGE_DIR);
  const root = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string; description?: string; license?: string };
  const missing = BUNDLE_FILES.filter((f) => !existsSync(path.join(repo, f)));
  if (missing.length) throw new Error(`the desktop bundle is not built (${missing.join(', ')} missing): build it first (npm run ${DESKTOP_BUILD_SCRIPT})`);
  const problems: string[] = [];
  const gatewayOnly = new Set(gatewayOnlyPackages(repo));
  for (const f of BUNDLE_FILES.filter((x) => /\.[mc]?js$/.test(x))) {
    for (const spec of runtimePackages(readFileSync(path.join(repo, f), 'utf8'), f.endsWith('.cjs') ? 'script' : 'module')) {
      problems.push(`${f} loads "${spec}" at run time${gatewayOnly.has(spec) ? ' (a gateway package!)' : ''}: the app ships no node_modules, so bundle it`);
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'herald',
    productName: 'Herald',
    version: root.version,
    description: root.description ?? 'Herald',
    author: { name: 'Herald contributors', email: 'herald@example.org' },
    license: root.license ?? 'MIT',
    main: BUNDLE_FILES[0],
    dependencies: {},
  };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(path.join(repo, 'desktop/dist'), path.join(dir, 'desktop/dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  const marker: BuildMarker = { product: HERALD_PRODUCT_ID, productName: 'Herald', version: root.version, builtAt: (o.now ?? new Date()).toISOString(), testBuild: o.testBuild ?? false };
  const markerDir = path.join(repo, MARKER_DIR);
  mkdirSync(markerDir, { recursive: true });
  writeFileSync(path.join(markerDir, BUILD_MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
  return { dir, manifest, marker };
}

/** Validates a provision-keys.json and puts it where electron-builder.yml takes it from. */
export function installKeys(file: string, repo = REPO): string {
  let set: unknown;
  try {
    set = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the key set ${file}: ${(e as Error).message}`);
  }
  const r = ProvisionKeySetSchema.safeParse(set);
  if (!r.success || r.data.keys.length === 0) throw new Error(`${file} is not a provision key set (a JWK Set of Ed25519 public keys; herald-gateway package keys prints one)`);
  if (JSON.stringify(set).includes('"d"')) throw new Error(`${file} contains a private key part: ship only the public key set`);
  const dir = path.join(repo, 'build/provisioning');
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, PUBLIC_KEYS_FILE);
  writeFileSync(target, `${JSON.stringify(r.data, null, 2)}\n`);
  return target;
}

async function main(argv: string[]): Promise<number> {
  const testBuild = argv.includes('--test-build');
  argv = argv.filter((a) => a !== '--test-build');
  const i = argv.indexOf('--keys');
  const keys = i >= 0 ? argv[i + 1] : process.env.HERALD_PROVISION_KEYS;
  const builderArgs = i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
  const { problems } = await checkPackagingConfig();
  if (problems.length) {
    console.error(`electron-builder.yml:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  }
  // Before building anything: can electron-builder get Electron here?
  if (!testBuild) {
    const e = await electronAvailability();
    if (!e.ok) {
      console.error(`npm run dist: ${e.reason}, so no app can be built on this machine — run it where Electron can be downloaded (or set ELECTRON_MIRROR, or put ${e.zip} into ${e.cacheDir}); here, \`npm run dist -- --test-build\` makes labelled TEST builds (not runnable) for trying the download page and packaging.`);
      return 1;
    }
  }
  const scripts = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  if (!scripts[DESKTOP_BUILD_SCRIPT]) throw new Error(`package.json has no "${DESKTOP_BUILD_SCRIPT}" script to build the desktop bundle`);
  const b = spawnSync('npm', ['run', DESKTOP_BUILD_SCRIPT], { cwd: REPO, stdio: 'inherit' });
  if (b.status !== 0) return b.status ?? 1;
  const staged = stageApp({ testBuild });
  console.log(`staged ${path.relative(REPO, staged.dir)} (package.json without dependencies + desktop/dist) and ${MARKER_DIR}/${BUILD_MARKER_FILE}`);
  if (keys) console.log(`shipping the provisioning key set: ${path.relative(REPO, installKeys(keys))}`);
  else if (!existsSync(path.join(REPO, 'build/provisioning', PUBLIC_KEYS_FILE))) {
    console.warn('no --keys: stamped packages work (they carry their key), but herald:// links and provision.json files beside installers need the gateway’s key set in the app');
  }
  if (testBuild) {
    const made = makeTestBuilds({ repo: REPO, stageDir: staged.dir, marker: staged.marker });
    for (const f of made) console.log(`TEST BUILD (not runnable): ${path.relative(REPO, f)}`);
    console.log('done: copy them into the gateway’s builds folder (<data>/builds/) to try the download page and `herald-gateway package`');
    return 0;
  }
  // electron-builder and Electron are in desktop/packaging/ (toolchain.ts), not in the root
  // package.json electron-builder would look at: it is run from there, and told Electron's version.
  const builder = [resolveToolchain('electron-builder/cli.js'), '--config', 'electron-builder.yml', `-c.electronVersion=${electronVersion()}`, '--publish', 'never', ...builderArgs];
  const r = spawnSync(process.execPath, builder, { cwd: REPO, stdio: 'inherit' });
  if (r.status === 0) console.log('done: dist/packages/ — copy the zip, tar.gz and installers into the gateway’s builds folder (<data>/builds/)');
  return r.status ?? 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`npm run dist: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
