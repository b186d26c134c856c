// Loads one skin folder: <dir>/<Name>.msstyles → a Skin (CSS custom properties, checked image and
// sound assets), or a reason it is refused. Nothing a skin says can reach outside its folder,
// decode a huge image, or put arbitrary text into CSS.
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { SoundEventSchema, type SoundEvent } from '../../shared/settings.ts';
import { ImageRoleSchema, type ImageRole, type Skin, type SkinAsset } from '../../shared/skins.ts';
import { readSoundInfo } from '../sounds/sound-format.ts';
import { probeImage } from './asset-probe.ts';
import { MAX_MSSTYLES_BYTES, SkinFormatError, decodeMsstyles, parseIni, type IniSection } from './msstyles-ini.ts';
import { sysMetricsToCss } from './skin-css.ts';
import { resolveSkinPath } from './skin-paths.ts';

export const LIMITS = {
  imageBytes: 1024 * 1024,
  /** Tray and window icons. */
  iconPixels: 256,
  /** Background and logo. */
  picturePixels: 4096,
  soundBytes: 2 * 1024 * 1024,
} as const;
const REQUIRED_IMAGES: ImageRole[] = ['TrayIdle', 'TrayNewMail', 'TrayOffline'];
const ICON_ROLES = new Set<ImageRole>(['TrayIdle', 'TrayNewMail', 'TrayOffline', 'TrayChat', 'WindowIcon']);
const SECTIONS = ['theme', 'sysmetrics', 'images', 'sounds'];

export class SkinLoadError extends Error {
  override name = 'SkinLoadError';
}

const sectionOf = (sections: IniSection[], name: string) => sections.find((s) => s.name.toLowerCase() === name.toLowerCase());
const canonical = <T extends string>(options: readonly T[], key: string) => options.find((o) => o.toLowerCase() === key.toLowerCase());

async function loadAsset(realDir: string, role: string, written: string, kind: 'image' | 'sound', icon: boolean): Promise<SkinAsset> {
  const r = await resolveSkinPath(realDir, written);
  if ('error' in r) throw new SkinLoadError(`${role}: ${r.error}`);
  const max = kind === 'image' ? LIMITS.imageBytes : LIMITS.soundBytes;
  if (r.bytes > max) throw new SkinLoadError(`${role}: ${r.relative} is ${r.bytes} bytes; at most ${max}`);
  if (r.bytes === 0) throw new SkinLoadError(`${role}: ${r.relative} is empty`);
  const bytes = await readFile(r.file);
  if (kind === 'sound') {
    try {
      readSoundInfo(bytes);
    } catch (e) {
      throw new SkinLoadError(`${role}: ${r.relative} is ${(e as Error).message}`);
    }
    return { file: r.file, relative: r.relative, bytes: r.bytes };
  }
  const info = probeImage(bytes);
  if (typeof info === 'string') throw new SkinLoadError(`${role}: ${r.relative} is ${info}`);
  const limit = icon ? LIMITS.iconPixels : LIMITS.picturePixels;
  if (info.width === 0 || info.height === 0) throw new SkinLoadError(`${role}: ${r.relative} has no pixels (${info.width} × ${info.height})`);
  if (info.width > limit || info.height > limit) throw new SkinLoadError(`${role}: ${r.relative} is ${info.width} × ${info.height} pixels; at most ${limit} × ${limit}`);
  return { file: r.file, relative: r.relative, bytes: r.bytes, width: info.width, height: info.height };
}

/** Loads `<dir>/<id>.msstyles`; throws SkinLoadError / SkinFormatError with the reason. */
export async function loadSkin(dir: string, id: string, source: Skin['source']): Promise<Skin> {
  const realDir = await realpath(dir);
  const file = path.join(realDir, `${id}.msstyles`);
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new SkinLoadError(`no ${id}.msstyles in the folder`);
  }
  if (!st.isFile()) throw new SkinLoadError(`${id}.msstyles is not a file`);
  if (st.size > MAX_MSSTYLES_BYTES) throw new SkinFormatError(`the .msstyles file is ${st.size} bytes; at most ${MAX_MSSTYLES_BYTES} are read`);
  const sections = parseIni(decodeMsstyles(await readFile(file)));
  const warnings: string[] = [];
  for (const s of sections) if (!SECTIONS.includes(s.name.toLowerCase())) warnings.push(`line ${s.line}: unknown section [${s.name}] ignored`);

  const theme = sectionOf(sections, 'Theme');
  const get = (key: string) => theme?.entries.find((e) => e.key.toLowerCase() === key.toLowerCase())?.value;
  const name = get('Name');
  if (!name) throw new SkinLoadError('[Theme] Name is missing');
  const text = (v: string | undefined, what: string) => {
    if (v && (v.length > 100 || /[\u0000-\u001f\u007f]/.test(v))) throw new SkinLoadError(`[Theme] ${what} is longer than 100 characters or contains control characters`);
    return v ?? '';
  };

  const metrics = sysMetricsToCss(sectionOf(sections, 'SysMetrics')?.entries ?? [], warnings);
  if ('error' in metrics) throw new SkinLoadError(metrics.error);

  const images: Skin['images'] = {};
  for (const e of sectionOf(sections, 'Images')?.entries ?? []) {
    const role = canonical(ImageRoleSchema.options, e.key);
    if (!role) {
      warnings.push(`line ${e.line}: unknown image role ${e.key} ignored`);
      continue;
    }
    images[role] = await loadAsset(realDir, role, e.value, 'image', ICON_ROLES.has(role));
  }
  const missing = REQUIRED_IMAGES.filter((r) => !images[r]);
  if (missing.length) throw new SkinLoadError(`[Images] lacks ${missing.join(', ')} (the tray needs them)`);

  const sounds: Skin['sounds'] = {};
  for (const e of sectionOf(sections, 'Sounds')?.entries ?? []) {
    const event = canonical<SoundEvent>(SoundEventSchema.options, e.key);
    if (!event) {
      warnings.push(`line ${e.line}: unknown sound event ${e.key} ignored`);
      continue;
    }
    sounds[event] = await loadAsset(realDir, event, e.value, 'sound', false);
  }

  return {
    id,
    name: text(name, 'Name'),
    author: text(get('Author'), 'Author'),
    version: text(get('Version'), 'Version'),
    source,
    dir: realDir,
    css: metrics.css,
    images,
    sounds,
    warnings,
  };
}
