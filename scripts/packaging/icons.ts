// `npm run icons`: every icon the packaged app needs, from the one source image build/icon.svg,
// rendered by the Chromium the tests already use (playwright-core + /usr/bin/chromium: no
// rasteriser to download). Outputs are committed; icons.test.ts checks they exist at the right
// sizes and were made from the current source (build/icons/source.sha256).
//   build/icon.ico           Windows: 16, 24, 32, 48, 64, 128, 256 (PNG-compressed entries, Vista+)
//   build/icon.icns          macOS: 16–1024 incl. @2x (PNG entries: icp4, icp5, ic07–ic14)
//   build/icons/NxN.png      Linux (electron-builder's linux.icon folder): 16 … 1024
//   build/tray/trayTemplate.png, trayTemplate@2x.png   macOS menu bar: the mark alone, black + alpha
//   build/tray/tray.png, tray@2x.png, tray-24.png      Windows / Linux tray: the full icon
// The ICO (Microsoft "Icons" format, ICONDIR/ICONDIRENTRY) and ICNS (Apple Icon Image format) containers
// are written here: a header and a table of PNG blobs each.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const SOURCE = 'build/icon.svg';
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
/** ICNS element types with PNG data, and their pixel size (Apple's icns OSTypes). */
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32], // 16@2x
  ['ic12', 64], // 32@2x
  ['ic07', 128],
  ['ic13', 256], // 128@2x
  ['ic08', 256],
  ['ic14', 512], // 256@2x
  ['ic09', 512],
  ['ic10', 1024], // 512@2x
] as const;
export const TRAY = { 'trayTemplate.png': [16, 'template'], 'trayTemplate@2x.png': [32, 'template'], 'tray.png': [16, 'full'], 'tray@2x.png': [32, 'full'], 'tray-24.png': [24, 'full'] } as const;
export const STAMP = 'build/icons/source.sha256';

export const sourceHash = (repo = REPO) => createHash('sha256').update(readFileSync(path.join(repo, SOURCE))).digest('hex');

/** Width and height from a PNG's IHDR (PNG spec §11.2.2). */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.length < 24 || png.readUInt32BE(0) !== 0x89504e47 || png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** An .ico of PNG images (ICONDIR + one ICONDIRENTRY each; width/height 0 means 256). */
export function icoOf(pngs: Buffer[]): Buffer {
  const header = Buffer.alloc(6 + 16 * pngs.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(pngs.length, 4);
  let offset = header.length;
  pngs.forEach((png, i) => {
    const { width, height } = pngSize(png);
    const e = 6 + 16 * i;
    header.writeUInt8(width >= 256 ? 0 : width, e);
    header.writeUInt8(height >= 256 ? 0 : height, e + 1);
    header.writeUInt8(0, e + 2); // no palette
    header.writeUInt8(0, e + 3);
    header.writeUInt16LE(1, e + 4); // colour planes
    header.writeUInt16LE(32, e + 6); // bits per pixel
    header.writeUInt32LE(png.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...pngs]);
}

/** The entries of an .ico: size and PNG data of each. */
export function readIco(ico: Buffer): { width: number; height: number; png: Buffer }[] {
  if (ico.readUInt16LE(0) !== 0 || ico.readUInt16LE(2) !== 1) throw new Error('not an icon file');
  return Array.from({ length: ico.readUInt16LE(4) }, (_, i) => {
    const e = 6 + 16 * i;
    const size = ico.readUInt32LE(e + 8);
    const at = ico.readUInt32LE(e + 12);
    return { width: ico[e] || 256, height: ico[e + 1] || 256, png: ico.subarray(at, at + size) };
  });
}

/** An .icns: 'icns' + total length, then (type, length incl. 8-byte header, data) per element. */
export function icnsOf(elements: [string, Buffer][]): Buffer {
  const parts = elements.map(([type, data]) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

export function readIcns(icns: Buffer): { type: string; data: Buffer }[] {
  if (icns.toString('latin1', 0, 4) !== 'icns' || icns.readUInt32BE(4) !== icns.length) throw new Error('not an icns file');
  const out: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < icns.length; ) {
    const len = icns.readUInt32BE(at + 4);
    if (len < 8 || at + len > icns.length) throw new Error(`bad icns element at ${at}`);
    out.push({ type: icns.toString('latin1', at, at + 4), data: icns.subarray(at + 8, at + len) });
    at += len;
  }
  return out;
}

/** Renders the source at each size with Chromium: the full icon, or (template) the mark alone in black. */
async function render(svg: string, jobs: { size: number; look: 'full' | 'template' }[]): Promise<Buffer[]> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium' });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    const out: Buffer[] = [];
    for (const { size, look } of jobs) {
      await page.setViewportSize({ width: size, height: size });
      const css = look === 'template' ? '#background{display:none} #mark{fill:#000}' : '';
      const sized = svg.replace('<svg ', `<svg style="display:block;width:${size}px;height:${size}px" `);
      await page.setContent(`<!doctype html><html><head><style>html,body{margin:0;background:transparent} ${css}</style></head><body>${sized}</body></html>`);
      out.push(await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size }, type: 'png' }));
    }
    return out;
  } finally {
    await browser.close();
  }
}

export async function makeIcons(repo = REPO): Promise<string[]> {
  const svg = readFileSync(path.join(repo, SOURCE), 'utf8').replace(/<\?xml[^>]*>/, '');
  const sizes = [...new Set([...ICO_SIZES, ...LINUX_SIZES, ...ICNS_TYPES.map(([, s]) => s)])].sort((a, b) => a - b);
  const trayJobs = Object.entries(TRAY).map(([name, [size, look]]) => ({ name, size, look }));
  const images = await render(svg, [...sizes.map((size) => ({ size, look: 'full' as const })), ...trayJobs]);
  const full = new Map(sizes.map((s, i) => [s, images[i]!]));
  const written: string[] = [];
  const write = (rel: string, data: Buffer) => {
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    writeFileSync(path.join(repo, rel), data);
    written.push(rel);
  };
  write('build/icon.ico', icoOf(ICO_SIZES.map((s) => full.get(s)!)));
  write('build/icon.icns', icnsOf(ICNS_TYPES.map(([type, s]) => [type, full.get(s)!])));
  for (const s of LINUX_SIZES) write(`build/icons/${s}x${s}.png`, full.get(s)!);
  trayJobs.forEach((t, i) => write(`build/tray/${t.name}`, images[sizes.length + i]!));
  write(STAMP, Buffer.from(`${sourceHash(repo)}  ${SOURCE}\n`));
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  makeIcons().then(
    (files) => console.log(`made ${files.length} files from ${SOURCE}:\n  ${files.join('\n  ')}`),
    (e: unknown) => {
      console.error(`npm run icons: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
