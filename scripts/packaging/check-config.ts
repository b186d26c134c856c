// `npm run check:packaging`: electron-builder.yml checked without building (Electron cannot be
// downloaded here): first electron-builder's own loader and JSON-schema validation
// (app-builder-lib's validateConfiguration, the check `electron-builder` runs before a build), then
// what Herald needs from it: every target the product promises, the herald:// protocol, the skins
// as extra resources, an app folder that carries only the desktop bundle (no gateway package), and
// artifact names that the gateway's build catalog recognises (so /download and `package` find them);
// x64 and arm64 for every target, a per-user NSIS installer, the signing/notarization hook, the
// icons, and Herald's build marker shipped beside app.asar.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
// app-builder-lib comes with electron-builder from desktop/packaging/ (toolchain.ts); the type
// resolves there through test/tsconfig.json's paths.
import type { Configuration } from 'app-builder-lib';
import { PROVISION_DEEP_LINK_PREFIX } from '../../gateway/src/protocol/provision.ts';
import { classifyBuild } from '../../gateway/src/provisioning/build-catalog.ts';
import { BUILD_MARKER_FILE } from '../../gateway/src/provisioning/build-marker.ts';
import { importToolchain } from './toolchain.ts';

/** The part of app-builder-lib/out/util/config/config.js used here (electron-builder's own loader and schema check). */
interface BuilderConfigModule {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: Configuration | null): Promise<Configuration>;
  validateConfiguration(config: Configuration, debugLogger: unknown): Promise<void>;
}

export const REPO = path.resolve(import.meta.dirname, '../..');
export const CONFIG_FILE = 'electron-builder.yml';
/** Where npm run dist writes the build marker (dist.ts imports it from here: no import cycle). */
export const MARKER_DIR = '.build/marker';

/** The targets PRODUCT.md / issue 7 promise, per platform section of the config. */
export const REQUIRED_TARGETS = { linux: ['AppImage', 'deb', 'tar.gz'], win: ['nsis', 'zip'], mac: ['dmg', 'zip'] } as const;
const OS_OF = { linux: 'linux', win: 'win', mac: 'mac' } as const;
/** What a target's file is called, for the artifact-name check. */
const EXT_OF: Record<string, string> = { AppImage: 'AppImage', deb: 'deb', 'tar.gz': 'tar.gz', nsis: 'exe', zip: 'zip', dmg: 'dmg' };
const ARCH_OF: Record<string, string> = { deb: 'amd64', AppImage: 'x86_64' };

export interface CheckResult {
  config: Configuration;
  problems: string[];
}

/** Every target must be built for both (the download page offers both: build-catalog.ts PLATFORMS). */
export const REQUIRED_ARCHS = ['x64', 'arm64'] as const;
/** The icon each platform section must name (made by scripts/packaging/icons.ts). */
export const REQUIRED_ICONS = { linux: 'build/icons', win: 'build/icon.ico', mac: 'build/icon.icns' } as const;
export const AFTER_SIGN_HOOK = 'scripts/packaging/after-sign.mjs';

/** The architectures of each target in a platform section (a bare target name: the host's only). */
const targetArchs = (t: unknown): [string, string[]][] =>
  (Array.isArray(t) ? t : t === undefined || t === null ? [] : [t]).map((x) =>
    typeof x === 'string' ? [x, []] : [(x as { target?: string }).target ?? '?', [(x as { arch?: string | string[] }).arch ?? []].flat()],
  );

const targetNames = (t: unknown): string[] =>
  (Array.isArray(t) ? t : t === undefined || t === null ? [] : [t]).map((x) => (typeof x === 'string' ? x : ((x as { target?: string }).target ?? '?')));

/** Packages the gateway imports and the desktop does not: they must never be in the app. */
export function gatewayOnlyPackages(repo = REPO): string[] {
  const deps = Object.keys((JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  const importsIn = (dir: string): string => {
    let text = '';
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) text += readFileSync(path.join(e.parentPath, e.name), 'utf8');
    }
    return text;
  };
  const gateway = importsIn(path.join(repo, 'gateway/src'));
  const desktop = importsIn(path.join(repo, 'desktop/src'));
  const imported = (src: string, pkg: string) => new RegExp(`from '${pkg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(/[^']*)?'`).test(src);
  return deps.filter((d) => imported(gateway, d) && !imported(desktop, d));
}

export async function checkPackagingConfig(o: { repo?: string; configFile?: string } = {}): Promise<CheckResult> {
  const repo = o.repo ?? REPO;
  const file = path.resolve(repo, o.configFile ?? CONFIG_FILE);
  const problems: string[] = [];
  // Its named exports (a CommonJS module: Node's cjs-module-lexer finds them, with or without tsx).
  const builderConfig = await importToolchain<BuilderConfigModule>('app-builder-lib/out/util/config/config.js');
  const config = (await builderConfig.getConfig(repo, file, null)) as Configuration;
  try {
    await builderConfig.validateConfiguration(config, { isEnabled: false, add() {} } as never);
  } catch (e) {
    problems.push(`electron-builder rejects it: ${(e as Error).message.split('\n').slice(0, 4).join(' ').replace(/\s+/g, ' ')}`);
  }

  for (const [section, wanted] of Object.entries(REQUIRED_TARGETS) as [keyof typeof REQUIRED_TARGETS, readonly string[]][]) {
    const have = targetNames((config[section] as { target?: unknown } | null | undefined)?.target);
    for (const t of wanted) if (!have.includes(t)) problems.push(`${section}.target lacks ${t} (has ${have.join(', ') || 'nothing'})`);
  }

  for (const section of Object.keys(REQUIRED_TARGETS) as (keyof typeof REQUIRED_TARGETS)[]) {
    const sec = config[section] as { target?: unknown; icon?: string | null } | null | undefined;
    for (const [name, archs] of targetArchs(sec?.target)) {
      const lacking = REQUIRED_ARCHS.filter((a) => !archs.includes(a));
      if (lacking.length) problems.push(`${section} ${name} is not built for ${lacking.join(', ')} (arch: [${REQUIRED_ARCHS.join(', ')}] on every target; a bare name builds only the host's)`);
    }
    const icon = REQUIRED_ICONS[section];
    if (sec?.icon !== icon) problems.push(`${section}.icon must be ${icon} (made by npm run icons; has ${sec?.icon ?? 'nothing'})`);
    else if (!existsSync(path.join(repo, icon))) problems.push(`${section}.icon ${icon} does not exist (npm run icons)`);
  }
  const nsis = (config.nsis ?? {}) as { perMachine?: boolean; oneClick?: boolean };
  if (nsis.perMachine !== false) problems.push('nsis.perMachine must be false: a per-user installer (no administrator rights)');
  if (config.afterSign !== AFTER_SIGN_HOOK) problems.push(`afterSign must be ${AFTER_SIGN_HOOK} (notarization from APPLE_ID etc., warnings when signing is skipped)`);
  else if (!existsSync(path.join(repo, AFTER_SIGN_HOOK))) problems.push(`afterSign ${AFTER_SIGN_HOOK} does not exist`);
  if ((config.mac as { notarize?: unknown } | null | undefined)?.notarize !== false) problems.push('mac.notarize must be false: after-sign.mjs notarizes when APPLE_ID etc. are set (electron-builder’s own fails without them)');

  const scheme = new URL(PROVISION_DEEP_LINK_PREFIX).protocol.replace(':', '');
  const protocols = Array.isArray(config.protocols) ? config.protocols : config.protocols ? [config.protocols] : [];
  if (!protocols.some((p) => (Array.isArray(p.schemes) ? p.schemes : [p.schemes]).includes(scheme))) problems.push(`protocols must register the ${scheme}:// scheme (provisioning deep links)`);

  const extra = (Array.isArray(config.extraResources) ? config.extraResources : config.extraResources ? [config.extraResources] : []).map((x) => (typeof x === 'string' ? { from: x, to: x } : x));
  const styles = extra.find((x) => x.from === 'styles' && (x.to === 'styles' || x.to === 'styles/'));
  if (!styles) problems.push('extraResources must copy styles/ to styles (the bundled skins)');
  const marker = extra.find((x) => x.from === MARKER_DIR && (x.to === undefined || x.to === '.' || x.to === './') && [x.filter ?? []].flat().includes(BUILD_MARKER_FILE));
  if (!marker) problems.push(`extraResources must ship ${MARKER_DIR}/${BUILD_MARKER_FILE} to the resources folder (to: ., filter: [${BUILD_MARKER_FILE}]): the gateway packages only builds carrying Herald's marker`);
  for (const skin of readdirSync(path.join(repo, 'styles'), { withFileTypes: true }).filter((d) => d.isDirectory())) {
    if (!existsSync(path.join(repo, 'styles', skin.name, `${skin.name}.msstyles`))) problems.push(`styles/${skin.name} has no ${skin.name}.msstyles`);
  }

  // The app folder: a staging folder with the desktop bundle only, never the repository itself
  // (electron-builder would copy every production dependency of the root package.json).
  const appDir = config.directories?.app;
  if (!appDir || path.resolve(repo, appDir) === repo) problems.push('directories.app must be the staging folder (.build/app), not the repository: the root package.json lists the gateway’s dependencies');
  const files = (Array.isArray(config.files) ? config.files : config.files ? [config.files] : []).flatMap((f) => (typeof f === 'string' ? [f] : ((f as { filter?: string | string[] }).filter ?? [])));
  for (const f of [files].flat()) {
    const pattern = String(f);
    if (pattern.startsWith('!')) continue;
    if (pattern !== 'package.json' && !pattern.startsWith('desktop/dist/')) problems.push(`files pattern "${pattern}" reaches beyond the desktop bundle (only package.json and desktop/dist/**)`);
  }
  const nsisInclude = (config.nsis as { include?: string } | null | undefined)?.include;
  if (nsisInclude && !existsSync(path.join(repo, nsisInclude))) problems.push(`nsis.include ${nsisInclude} does not exist`);

  // Artifact names: what the gateway's catalog makes of each target's file.
  const pattern = config.artifactName;
  if (!pattern) problems.push('artifactName must be set: ${productName}-${version}-${os}-${arch}.${ext} (the gateway recognises builds by it)');
  else {
    const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;
    for (const [section, wanted] of Object.entries(REQUIRED_TARGETS) as [keyof typeof REQUIRED_TARGETS, readonly string[]][]) {
      for (const t of wanted) {
        const name = pattern
          .replaceAll('${productName}', config.productName ?? 'Herald')
          .replaceAll('${version}', version)
          .replaceAll('${os}', OS_OF[section])
          .replaceAll('${arch}', ARCH_OF[t] ?? 'x64')
          .replaceAll('${ext}', EXT_OF[t]!);
        const c = classifyBuild(name);
        if (!c || c.os !== OS_OF[section]) problems.push(`${section} ${t} would be named ${name}, which the gateway's build catalog does not recognise`);
        else if ((t === 'zip' || t === 'tar.gz') !== !!c.stampable) problems.push(`${name}: the catalog would not stamp it`);
      }
    }
  }
  return { config, problems };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const configFile = process.argv[2];
  checkPackagingConfig({ configFile }).then(
    ({ problems }) => {
      if (problems.length) {
        console.error(`${configFile ?? CONFIG_FILE}: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
        process.exit(1);
      }
      console.log(`${configFile ?? CONFIG_FILE}: valid for electron-builder and Herald (targets, x64 + arm64, herald:// protocol, skins, build marker, icons, per-user NSIS, signing hook, desktop-only app folder, artifact names)`);
    },
    (e: unknown) => {
      console.error(`cannot check ${configFile ?? CONFIG_FILE}: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
