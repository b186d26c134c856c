// A Windows XP visual style (.msstyles: a resource-only PE DLL, as packthem builds it) → one
// Herald skin per colour scheme. What is read (uxtheme's layout; Wine's and ReactOS's uxtheme
// msstyles.c read it the same way):
// - TEXTFILE/THEMES_INI: [Documentation] DisplayName, [ColorScheme.<name>] DisplayName.
// - COLORNAMES, SIZENAMES, FILERESNAMES (NUL-separated UTF-16 lists): the scheme INI for colour c
//   and size s is FILERESNAMES[c × sizes + s]; we take each colour at the first size.
//   Without them, every other TEXTFILE with a [SysMetrics] section is a scheme.
// - In the scheme INI: [SysMetrics] colours ("r g b") and fonts ("Face, size[, bold]"), and the
//   bitmaps of Window.Caption, Window.FrameLeft/Right/Bottom and Button.Pushbutton (ImageFile,
//   ImageCount, ImageLayout, SizingMargins, Transparent/TransparentColor).
// Image file names are resource names (packthem turns `\`, `/` and `.` into `_`), never paths; a
// name that tries to be a path is refused rather than guessed at.
import type { ImageRole } from '../../shared/skins.ts';
import { BitmapError, MAX_BITMAP_PIXELS, cropFrame, decodeDib, encodePng, keyOut } from './bmp-png.ts';
import { probeImage } from './asset-probe.ts';
import { readPeResources } from './pe-resources.ts';
import { REQUIRED_COLORS, SYS_COLORS, cssVarName } from './skin-css.ts';

export class ThemeImportError extends Error {
  override name = 'ThemeImportError';
}

export interface ImportedImage {
  png: Buffer;
  width: number;
  height: number;
}
export interface ImportedScheme {
  /** The colour scheme's name as the theme has it ("Blue", "NormalColor"). */
  scheme: string;
  /** Shown to the user: "Light — Blue". */
  name: string;
  css: Record<string, string>;
  images: Partial<Record<ImageRole, ImportedImage>>;
  warnings: string[];
  /** Set when this scheme cannot be used; the others may still be fine. */
  error?: string;
}
export interface ImportedTheme {
  displayName: string;
  author: string;
  version: string;
  machine: string;
  schemes: ImportedScheme[];
}

const MAX_INI_LINES = 20_000;
const MAX_SCHEMES = 16;
/** Pixels decoded for one theme in all: each bitmap is bounded, but schemes may reuse them many times. */
export const MAX_THEME_PIXELS = 8 * 1024 * 1024;

/** Converted bitmaps shared by the schemes (one decode per resource and frame layout), and the pixel budget. */
interface Conversions {
  done: Map<string, ImportedImage>;
  pixels: number;
}
/** Lets the event loop run between bitmaps: the core shares its thread with the app's IPC. */
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

type Ini = Map<string, Map<string, string>>;

/** Lenient INI reading as GetPrivateProfileString does it: first value wins, odd lines skipped. */
function parseThemeIni(text: string, what: string): Ini {
  const lines = text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
  if (lines.length > MAX_INI_LINES) throw new ThemeImportError(`${what} has ${lines.length} lines; at most ${MAX_INI_LINES}`);
  const ini: Ini = new Map();
  let cur: Map<string, string> | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith(';')) continue;
    const sec = /^\[([^\]]{1,200})\]$/.exec(line);
    if (sec) {
      const key = sec[1]!.trim().toLowerCase();
      cur = ini.get(key) ?? new Map();
      ini.set(key, cur);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !cur) continue;
    const k = line.slice(0, eq).trim().toLowerCase();
    if (!cur.has(k)) cur.set(k, line.slice(eq + 1).trim());
  }
  return ini;
}

const utf16 = (b: Uint8Array) => new TextDecoder('utf-16le').decode(b.length % 2 ? b.subarray(0, b.length - 1) : b);
const multiString = (b: Uint8Array | undefined) => (b ? utf16(b).split('\0').filter(Boolean) : []);
const cleanText = (s: string | undefined, max = 60) => (s ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, max);

/** The theme INIs' colour names that differ from GetSysColor's (uxtheme's SysMetrics names). */
const ALIASES: Record<string, string> = {
  btnface: 'ButtonFace', btnshadow: 'ButtonShadow', btntext: 'ButtonText', btnhighlight: 'ButtonHilight',
  dkshadow3d: 'ButtonDkShadow', light3d: 'ButtonLight', infobk: 'InfoWindow', hottracking: 'HotTrackingColor',
  buttonhighlight: 'ButtonHilight', menuhighlight: 'MenuHilight',
};
const byLower = new Map<string, string>(SYS_COLORS.map((c) => [c.toLowerCase(), c]));

function rgb(value: string): [number, number, number] | undefined {
  const m = /^(\d{1,3})[\s,]+(\d{1,3})[\s,]+(\d{1,3})$/.exec(value);
  const v = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  return m && v.every((x) => x <= 255) ? (v as [number, number, number]) : undefined;
}

/** "Face, size[, bold][, italic]" → CSS values rebuilt from checked parts; negative sizes are pixels. */
function font(value: string): { family: string; size: string; weight: string } | undefined {
  const m = /^([A-Za-z0-9 _-]{1,64}?)\s*,\s*(-?\d{1,3})\s*((?:,\s*[A-Za-z]+\s*)*)$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[2]);
  const pt = n < 0 ? Math.round(-n * 0.75) : n;
  if (pt < 6 || pt > 36) return undefined;
  return { family: `"${m[1]!.trim()}", system-ui, sans-serif`, size: `${pt}pt`, weight: /bold/i.test(m[3] ?? '') ? '700' : '400' };
}

function sysMetrics(ini: Ini, warnings: string[]): Record<string, string> | string {
  const css: Record<string, string> = {};
  const metrics = ini.get('sysmetrics');
  if (!metrics) return 'the scheme has no [SysMetrics] section';
  const have = new Set<string>();
  for (const [key, value] of metrics) {
    const name = ALIASES[key] ?? byLower.get(key);
    if (!name) continue; // sizes, FlatMenus, fonts: below or not ours
    const c = rgb(value);
    if (!c) {
      warnings.push(`[SysMetrics] ${name} = ${JSON.stringify(value.slice(0, 40))} is not "r g b"; ignored`);
      continue;
    }
    css[cssVarName(name)] = `rgb(${c.join(', ')})`;
    have.add(name);
  }
  const missing = REQUIRED_COLORS.filter((c) => !have.has(c));
  if (missing.length) return `[SysMetrics] lacks ${missing.join(', ')}`;
  const body = ['msgboxfont', 'menufont', 'statusfont', 'icontitlefont'].map((k) => metrics.get(k)).find(Boolean);
  const b = body ? font(body) : undefined;
  if (body && !b) warnings.push(`[SysMetrics] font ${JSON.stringify(body.slice(0, 60))} is not "Face, size[, bold]" with a plain face name; ignored`);
  if (b) Object.assign(css, { '--herald-font-family': b.family, '--herald-font-size': b.size, '--herald-font-weight': b.weight });
  const capRaw = metrics.get('captionfont');
  const cap = capRaw ? font(capRaw) : undefined;
  if (capRaw && !cap) warnings.push(`[SysMetrics] CaptionFont ${JSON.stringify(capRaw.slice(0, 60))} is not "Face, size[, bold]"; ignored`);
  if (cap) Object.assign(css, { '--herald-caption-font-family': cap.family, '--herald-caption-font-size': cap.size, '--herald-caption-font-weight': cap.weight });
  return css;
}

/** Class sections whose first image becomes a Herald image role, and the CSS name of its margins. */
const IMAGE_CLASSES: [section: string, role: ImageRole, cssName: string][] = [
  ['window.caption', 'Caption', 'caption'],
  ['window.frameleft', 'FrameLeft', 'frame-left'],
  ['window.frameright', 'FrameRight', 'frame-right'],
  ['window.framebottom', 'FrameBottom', 'frame-bottom'],
  ['button.pushbutton', 'Button', 'button'],
];

/** `blue_window_caption.bmp` → `BLUE_WINDOW_CAPTION_BMP`, or a reason the name is a path trick. */
export function resourceNameOf(file: string): string | { error: string } {
  if (!file) return { error: 'empty' };
  if (/^[A-Za-z]:/.test(file) || file.startsWith('/') || file.startsWith('\\')) return { error: 'an absolute path' };
  if (file.split(/[\\/]/).some((s) => s === '..')) return { error: 'a path that goes up with ".."' };
  if (!/^[A-Za-z0-9_.\\/ -]{1,200}$/.test(file)) return { error: 'not a plain file name' };
  return file.replace(/[\\/. ]/g, '_').toUpperCase();
}

async function images(ini: Ini, bitmaps: Map<string, Uint8Array>, css: Record<string, string>, warnings: string[], conv: Conversions): Promise<ImportedScheme['images']> {
  const out: ImportedScheme['images'] = {};
  for (const [sec, role, cssName] of IMAGE_CLASSES) {
    const s = ini.get(sec);
    const file = s?.get('imagefile') ?? s?.get('imagefile1');
    if (!s || !file) continue;
    const res = resourceNameOf(file);
    if (typeof res !== 'string') throw new ThemeImportError(`[${sec}] ImageFile ${JSON.stringify(file.slice(0, 80))} is ${res.error}; a theme's images are its own resources`);
    const bytes = bitmaps.get(res);
    if (!bytes) {
      warnings.push(`[${sec}] ImageFile ${file}: no bitmap resource ${res}; drawn with colours instead`);
      continue;
    }
    const count = Math.min(Math.max(Number(s.get('imagecount') ?? 1) || 1, 1), 64);
    const vertical = (s.get('imagelayout') ?? 'vertical').toLowerCase() !== 'horizontal';
    const transparent = (s.get('transparent') ?? '').toLowerCase() === 'true';
    const key = [res, count, vertical, transparent, s.get('transparentcolor') ?? ''].join('|');
    try {
      let img = conv.done.get(key);
      const p = probeImage(bytes);
      if (img) {
        // converted for an earlier scheme
      } else
      if (typeof p !== 'string' && p.type === 'png') {
        if (p.width > 2048 || p.height > 2048) throw new BitmapError(`a PNG of ${p.width} × ${p.height} pixels; at most 2048 × 2048`);
        img = { png: Buffer.from(bytes), width: p.width, height: p.height };
      } else {
        await yieldNow();
        const dib = decodeDib(bytes, MAX_BITMAP_PIXELS, MAX_THEME_PIXELS - conv.pixels);
        conv.pixels += dib.width * dib.height;
        const frame = cropFrame(dib, count, 0, vertical);
        if (transparent) keyOut(frame, rgb(s.get('transparentcolor') ?? '') ?? [255, 0, 255]);
        img = { png: encodePng(frame), width: frame.width, height: frame.height };
      }
      conv.done.set(key, img);
      out[role] = img;
      css[`--herald-${cssName}-width`] = `${img.width}px`;
      css[`--herald-${cssName}-height`] = `${img.height}px`;
      // SizingMargins = left, right, top, bottom (uxtheme MARGINS); CSS border-image wants top right bottom left.
      const m = (s.get('sizingmargins') ?? '').split(',').map((x) => Number(x.trim()));
      if (m.length === 4 && m.every((x) => Number.isInteger(x) && x >= 0)) {
        const [l, r, t, b] = [Math.min(m[0]!, img.width), Math.min(m[1]!, img.width), Math.min(m[2]!, img.height), Math.min(m[3]!, img.height)];
        css[`--herald-${cssName}-slice`] = `${t} ${r} ${b} ${l}`;
        css[`--herald-${cssName}-border`] = `${t}px ${r}px ${b}px ${l}px`;
      }
    } catch (e) {
      if (e instanceof BitmapError) throw new ThemeImportError(`[${sec}] ${res}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

export async function importMsstyles(bytes: Uint8Array): Promise<ImportedTheme> {
  const pe = readPeResources(bytes);
  const text = pe.types.get('TEXTFILE');
  if (!text) throw new ThemeImportError('the file has no TEXTFILE resources: it is not a Windows XP visual style');
  const themesRaw = text.get('THEMES_INI');
  if (!themesRaw) throw new ThemeImportError('the file has no THEMES_INI resource: it is not a Windows XP visual style');
  const themes = parseThemeIni(utf16(themesRaw), 'THEMES_INI');
  const doc = themes.get('documentation');
  const displayName = cleanText(doc?.get('displayname')) || 'Theme';

  const colours = multiString(pe.types.get('COLORNAMES')?.get('1'));
  const sizes = multiString(pe.types.get('SIZENAMES')?.get('1'));
  const files = multiString(pe.types.get('FILERESNAMES')?.get('1'));
  let plan: [scheme: string, resource: string][];
  if (colours.length && files.length) {
    const n = Math.max(sizes.length, 1);
    plan = colours.map((c, i) => [c, (files[i * n] ?? '').toUpperCase()]);
  } else {
    plan = [...text.keys()].filter((k) => k !== 'THEMES_INI').map((k) => [k.replace(/_INI$/, '').toLowerCase().replace(/^./, (x) => x.toUpperCase()), k]);
  }
  if (plan.length > MAX_SCHEMES) throw new ThemeImportError(`${plan.length} colour schemes; at most ${MAX_SCHEMES}`);
  const bitmaps = new Map<string, Uint8Array>([...(pe.types.get('IMAGE') ?? []), ...(pe.types.get('2') ?? [])]);

  const schemes: ImportedScheme[] = [];
  const conv: Conversions = { done: new Map(), pixels: 0 };
  for (const [rawScheme, resource] of plan) {
    const scheme = cleanText(rawScheme, 40) || 'Scheme';
    const label = cleanText(themes.get(`colorscheme.${scheme.toLowerCase()}`)?.get('displayname'), 40) || scheme;
    const entry: ImportedScheme = { scheme, name: `${displayName} — ${label}`, css: {}, images: {}, warnings: [] };
    schemes.push(entry);
    const raw = text.get(resource);
    if (!raw) {
      entry.error = `colour scheme ${scheme}: no INI resource ${JSON.stringify(resource.slice(0, 60))}`;
      continue;
    }
    try {
      const ini = parseThemeIni(utf16(raw), resource);
      const css = sysMetrics(ini, entry.warnings);
      if (typeof css === 'string') throw new ThemeImportError(css);
      entry.images = await images(ini, bitmaps, css, entry.warnings, conv);
      entry.css = css;
    } catch (e) {
      if (!(e instanceof ThemeImportError)) throw e;
      entry.error = `colour scheme ${scheme}: ${e.message}`;
    }
  }
  if (!schemes.length) throw new ThemeImportError('the theme names no colour schemes');
  return { displayName, author: cleanText(doc?.get('author') ?? doc?.get('company'), 80), version: cleanText(doc?.get('version'), 40), machine: pe.machine, schemes };
}
