// `npm run dist -- --test-build`: generic builds WITHOUT Electron, clearly labelled, for trying the
// download page and `herald-gateway package` where Electron cannot be downloaded. Each is laid out
// as electron-builder lays out the real one (resources/ for Windows, Herald.app/Contents/Resources/
// for macOS, Herald-<version>/resources/ for Linux), with the staged app as resources/app/ (what
// Electron loads when there is no app.asar) and Herald's marker beside it — but no Electron
// executable, so nothing in it runs. The label is everywhere a person or program looks: the file
// name (version `<version>-TEST-BUILD-not-runnable`, which the gateway's catalog reads as a
// pre-release), the marker (`testBuild: true`, `note`) and a TEST-BUILD-NOT-RUNNABLE.txt at the top.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD_MARKER_FILE, type BuildMarker } from '../../gateway/src/provisioning/build-marker.ts';

export const TEST_BUILD_LABEL = 'TEST BUILD — not runnable';
export const TEST_BUILD_SUFFIX = 'TEST-BUILD-not-runnable';
const NOTICE_FILE = 'TEST-BUILD-NOT-RUNNABLE.txt';

type Target = { os: 'win' | 'mac' | 'linux'; arch: 'x64' | 'arm64'; ext: 'zip' | 'tar.gz' };
export const TEST_TARGETS: readonly Target[] = (['win', 'mac', 'linux'] as const).flatMap((os) => (['x64', 'arm64'] as const).map((arch) => ({ os, arch, ext: os === 'linux' ? ('tar.gz' as const) : ('zip' as const) })));

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

/** Writes one labelled test build per platform into `outDir` (default dist/packages) and returns their paths. */
export function makeTestBuilds(o: { repo: string; stageDir: string; marker: BuildMarker; outDir?: string; targets?: readonly Target[] }): string[] {
  const outDir = path.resolve(o.repo, o.outDir ?? 'dist/packages');
  mkdirSync(outDir, { recursive: true });
  const version = `${o.marker.version}-${TEST_BUILD_SUFFIX}`;
  const marker = { ...o.marker, version, testBuild: true, note: `${TEST_BUILD_LABEL}: made by npm run dist -- --test-build without Electron, for trying the download page and packaging` };
  const made: string[] = [];
  for (const t of o.targets ?? TEST_TARGETS) {
    const stage = mkdtempSync(path.join(outDir, '.stage-'));
    try {
      const top = t.os === 'linux' ? `Herald-${version}` : t.os === 'mac' ? 'Herald.app' : '.';
      const resources = path.join(stage, top, t.os === 'mac' ? 'Contents/Resources' : 'resources');
      mkdirSync(resources, { recursive: true });
      cpSync(o.stageDir, path.join(resources, 'app'), { recursive: true });
      writeFileSync(path.join(resources, BUILD_MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
      writeFileSync(path.join(stage, top, NOTICE_FILE), `${TEST_BUILD_LABEL}.\nHerald ${o.marker.version} desktop bundle for ${t.os}-${t.arch} without Electron: it cannot be started.\nReal builds: npm run dist on a machine that can download Electron (README "Packaging").\n`);
      const file = path.join(outDir, `Herald-${version}-${t.os}-${t.arch}.${t.ext}`);
      rmSync(file, { force: true });
      const roots = top === '.' ? ['resources', NOTICE_FILE] : [top];
      if (t.ext === 'zip') run('zip', ['-q', '-r', '-X', file, ...roots], stage);
      else run('tar', ['-czf', file, ...roots], stage);
      made.push(file);
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }
  return made;
}
