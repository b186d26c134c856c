// What the app's own origin serves (Electron: the app:// protocol handler; the preview: its HTTP
// server): the built renderer, the skins' assets the core loaded and checked, and sound files the
// user chose — nothing else. A chosen sound the core keeps (<userData>/Sounds/<sha256>.<format>)
// is served as `/user-sounds/<sha256>.<format>`, a name the renderer can form from the settings. `/skins/<id>/<relative>` serves only a file a skin declared (its
// real path was checked to be inside the skin's folder when it loaded); a renderer path is
// resolved inside the renderer folder, so `..`, encoded or not, cannot leave it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { USER_SOUND_NAME } from '../core/sounds/user-sounds.ts';
import type { SkinCatalog } from '../shared/skins.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.gif': 'image/gif',
  '.jpg': 'image/jpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.mp3': 'audio/mpeg',
  '.woff2': 'font/woff2',
};
export const contentType = (file: string) => TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

export interface AppFilesDeps {
  /** The built renderer (vite's outDir). */
  rendererDir: string;
  skins: () => SkinCatalog;
  /** Folders the core keeps picked sounds in (core.userSoundsDir(); the preview has one per profile). */
  userSoundDirs?: () => (string | undefined)[];
}

export function createAppFiles(d: AppFilesDeps) {
  const rendererDir = path.resolve(d.rendererDir);
  const userSounds: string[] = [];

  function decodeSegments(pathname: string): string[] | undefined {
    const out: string[] = [];
    for (const raw of pathname.split('/').filter(Boolean)) {
      let s: string;
      try {
        s = decodeURIComponent(raw);
      } catch {
        return undefined;
      }
      if (s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0')) return undefined;
      out.push(s);
    }
    return out;
  }

  function skinAsset(id: string, relative: string): string | undefined {
    const skin = d.skins().skins.find((s) => s.id === id);
    if (!skin) return undefined;
    const asset = [...Object.values(skin.images), ...Object.values(skin.sounds)].find((a) => a?.relative === relative);
    return asset?.file;
  }

  const soundDirs = () => (d.userSoundDirs?.() ?? []).filter((x): x is string => !!x).map((x) => path.resolve(x));
  function keptSound(name: string): string | undefined {
    return soundDirs()
      .map((dir) => path.join(dir, name))
      .find((f) => existsSync(f));
  }

  return {
    /** The file for a request path, or undefined (→ 404). */
    resolve(pathname: string): { file: string; type: string } | undefined {
      const seg = decodeSegments(pathname);
      if (!seg) return undefined;
      let file: string | undefined;
      if (seg[0] === 'skins' && seg.length >= 3) file = skinAsset(seg[1]!, seg.slice(2).join('/'));
      else if (seg[0] === 'user-sounds') {
        if (seg.length === 3) file = userSounds[Number(seg[1])];
        else if (seg.length === 2 && USER_SOUND_NAME.test(seg[1]!)) file = keptSound(seg[1]!);
      }
      else {
        const f = path.resolve(rendererDir, ...(seg.length ? seg : ['index.html']));
        file = f.startsWith(rendererDir + path.sep) ? f : undefined;
      }
      return file ? { file, type: contentType(file) } : undefined;
    },

    /** The path our origin serves a sound file under (a skin's asset, or a file the user chose). */
    soundPath(file: string): string {
      for (const skin of d.skins().skins) {
        for (const a of Object.values(skin.sounds)) if (a?.file === file) return `/skins/${encodeURIComponent(skin.id)}/${a.relative.split('/').map(encodeURIComponent).join('/')}`;
      }
      if (USER_SOUND_NAME.test(path.basename(file)) && soundDirs().includes(path.dirname(path.resolve(file)))) return `/user-sounds/${path.basename(file)}`;
      // A file named in settings.json by hand (older versions): served under a number for this run.
      let i = userSounds.indexOf(file);
      if (i < 0) i = userSounds.push(file) - 1;
      return `/user-sounds/${i}/${encodeURIComponent(path.basename(file))}`;
    },
  };
}
export type AppFiles = ReturnType<typeof createAppFiles>;
