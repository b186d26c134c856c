// `npm run dist [-- --keys FILE] [electron-builder options]`: the generic desktop builds.
//   1. checks electron-builder.yml (check-config.ts);
//   2. builds the desktop bundle when the project has a `build:desktop` script, and refuses a
//      bundle that would need node_modules at run time (it must be self-contained: the app ships
//      no dependencies);
//   3. stages .build/app: a package.json with no dependencies + desktop/dist/** (the repository
//      layout the main process expects under app.getAppPath());
//   4. copies the gateway's public key set (--keys, or HERALD_PROVISION_KEYS) to
//      build/provisioning/provision-keys.json, shipped in the app's resources;
//   5. runs electron-builder (downloads Electron: needs a machine with internet access).
// The artifacts land in dist/packages/; copy them into the gateway's builds folder (<data>/builds/).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProvisionKeySetSchema } from '../../gateway/src/protocol/provision.ts';
import { PUBLIC_KEYS_FILE } from '../../gateway/src/provisioning/signing-key.ts';
import { checkPackagingConfig, gatewayOnlyPackages, REPO } from './check-config.ts';

/** What the packaged app must contain (desktop/src/main/main.ts loads these from app.getAppPath()). */
export const BUNDLE_FILES = ['desktop/dist/main.mjs', 'desktop/dist/preload.cjs', 'desktop/dist/renderer/index.html'];
export const STAGE_DIR = '.build/app';

/** Bare module specifiers a bundle loads at run time (static, dynamic, require), minus electron and Node's own. */
export function runtimeImports(code: string): string[] {
  const found = new Set<string>();
  const patterns = [/\bfrom\s*["']([^"'./][^"']*)["']/g, /\bimport\s*["']([^"'./][^"']*)["']/g, /\bimport\(\s*["']([^"'./][^"']*)["']\s*\)/g, /\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) found.add(m[1]!);
  const builtin = new Set(builtinModules);
  return [...found]
    .filter((s) => s !== 'electron' && !s.startsWith('electron/') && !s.startsWith('node:') && !builtin.has(s) && !builtin.has(s.split('/')[0]!))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!))
    .filter((s, i, all) => all.indexOf(s) === i)
    .sort();
}

/** Writes the app folder electron-builder packs: its package.json (no dependencies) and the bundle. */
export function stageApp(o: { repo?: string; stageDir?: string } = {}): { dir: string; manifest: Record<string, unknown> } {
  const repo = o.repo ?? REPO;
  const dir = path.resolve(repo, o.stageDir ?? STAGE_DIR);
  const root = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string; description?: string; license?: string };
  const missing = BUNDLE_FILES.filter((f) => !existsSync(path.join(repo, f)));
  if (missing.length) throw new Error(`the desktop bundle is not built (${missing.join(', ')} missing): build it first (npm run build:desktop)`);
  const problems: string[] = [];
  const gatewayOnly = new Set(gatewayOnlyPackages(repo));
  for (const f of BUNDLE_FILES.filter((x) => /\.[mc]?js$/.test(x))) {
    for (const spec of runtimeImports(readFileSync(path.join(repo, f), 'utf8'))) {
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
  return { dir, manifest };
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
  const i = argv.indexOf('--keys');
  const keys = i >= 0 ? argv[i + 1] : process.env.HERALD_PROVISION_KEYS;
  const builderArgs = i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
  const { problems } = await checkPackagingConfig();
  if (problems.length) {
    console.error(`electron-builder.yml:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  }
  const scripts = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  if (scripts['build:desktop']) {
    const b = spawnSync('npm', ['run', 'build:desktop'], { cwd: REPO, stdio: 'inherit' });
    if (b.status !== 0) return b.status ?? 1;
  }
  const staged = stageApp();
  console.log(`staged ${path.relative(REPO, staged.dir)} (package.json without dependencies + desktop/dist)`);
  if (keys) console.log(`shipping the provisioning key set: ${path.relative(REPO, installKeys(keys))}`);
  else if (!existsSync(path.join(REPO, 'build/provisioning', PUBLIC_KEYS_FILE))) {
    console.warn('no --keys: stamped packages work (they carry their key), but herald:// links and provision.json files beside installers need the gateway’s key set in the app');
  }
  const r = spawnSync(path.join(REPO, 'node_modules/.bin/electron-builder'), ['--config', 'electron-builder.yml', '--publish', 'never', ...builderArgs], { cwd: REPO, stdio: 'inherit' });
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
