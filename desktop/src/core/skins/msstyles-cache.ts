// An imported Windows theme as skins, cached: the converted images and a manifest go to
// <cacheDir>/<sha256 of the file>-<mtime>/, so a later start reads the manifest instead of parsing
// the DLL again. The cache folder is the only place anything is written; file names there are ours
// (the role's), never a name taken from the theme.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ImageRoleSchema, type Skin } from '../../shared/skins.ts';
import { importMsstyles } from './msstyles-pe.ts';
import { PE_LIMITS } from './pe-resources.ts';

/** Bumped when the conversion changes, so old caches are not trusted. */
const CACHE_VERSION = 1;

const ManifestSchema = z.object({
  version: z.literal(CACHE_VERSION),
  displayName: z.string(),
  author: z.string(),
  themeVersion: z.string(),
  schemes: z.array(
    z.object({
      scheme: z.string(),
      name: z.string(),
      css: z.record(z.string(), z.string()),
      images: z.partialRecord(ImageRoleSchema, z.object({ relative: z.string().regex(/^\d{1,2}-[a-z-]+\.png$/), bytes: z.number().int(), width: z.number().int(), height: z.number().int() })),
      warnings: z.array(z.string()),
      error: z.string().optional(),
    }),
  ),
});
type Manifest = z.infer<typeof ManifestSchema>;

export interface ThemeSkins {
  skins: Skin[];
  /** Schemes that cannot be used, with the reason. */
  rejected: { id: string; reason: string }[];
  /** True when the manifest came from the cache (nothing was parsed). */
  cached: boolean;
}

const fileOf = (role: string) => `${role.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.png`;

async function convert(bytes: Uint8Array, into: string): Promise<Manifest> {
  const theme = await importMsstyles(bytes);
  const tmp = `${into}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  const manifest: Manifest = { version: CACHE_VERSION, displayName: theme.displayName, author: theme.author, themeVersion: theme.version, schemes: [] };
  for (const [i, s] of theme.schemes.entries()) {
    const images: Manifest['schemes'][number]['images'] = {};
    for (const [role, img] of Object.entries(s.images)) {
      const relative = `${i}-${fileOf(role)}`;
      await writeFile(path.join(tmp, relative), img!.png);
      images[role as keyof typeof images] = { relative, bytes: img!.png.length, width: img!.width, height: img!.height };
    }
    manifest.schemes.push({ scheme: s.scheme, name: s.name, css: s.css, images, warnings: s.warnings, ...(s.error ? { error: s.error } : {}) });
  }
  await writeFile(path.join(tmp, 'manifest.json'), JSON.stringify(manifest));
  await rm(into, { recursive: true, force: true });
  await rename(tmp, into);
  return manifest;
}

/**
 * `file` (a PE .msstyles in the skin folder `id`) → one skin per colour scheme, id "<id> — <scheme>".
 * Imported themes have no tray icons or sounds; those of `base` (the bundled Default skin) are used.
 */
export async function loadThemeSkins(o: { file: string; id: string; dir: string; source: Skin['source']; cacheDir: string; base: Skin }): Promise<ThemeSkins> {
  const st = await stat(o.file);
  if (st.size > PE_LIMITS.fileBytes) throw new Error(`the .msstyles file is ${st.size} bytes; at most ${PE_LIMITS.fileBytes} are read`);
  const bytes = await readFile(o.file);
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  const into = path.join(o.cacheDir, `${hash}-${Math.trunc(st.mtimeMs)}`);
  let manifest: Manifest | undefined;
  let cached = false;
  try {
    manifest = ManifestSchema.parse(JSON.parse(await readFile(path.join(into, 'manifest.json'), 'utf8')));
    cached = true;
  } catch {
    manifest = await convert(bytes, into);
  }
  const out: ThemeSkins = { skins: [], rejected: [], cached };
  for (const s of manifest.schemes) {
    const id = `${o.id} — ${s.scheme}`.slice(0, 100);
    if (s.error) {
      out.rejected.push({ id, reason: s.error });
      continue;
    }
    const images: Skin['images'] = { ...o.base.images };
    for (const [role, a] of Object.entries(s.images)) images[role as keyof typeof images] = { file: path.join(into, a!.relative), relative: `theme/${a!.relative}`, bytes: a!.bytes, width: a!.width, height: a!.height };
    out.skins.push({ id, name: s.name, author: manifest.author || `Windows theme ${path.basename(o.file)}`, version: manifest.themeVersion, source: o.source, dir: o.dir, css: { ...s.css }, images, sounds: { ...o.base.sounds }, warnings: s.warnings });
  }
  return out;
}
