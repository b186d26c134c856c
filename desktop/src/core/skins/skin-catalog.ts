// Finds every skin: `<styles>/<Name>/<Name>.msstyles` in the bundled styles folder and in the
// user's own Styles folder. Each one loads or is reported with its reason and skipped; one broken
// skin never stops the others. A user skin with a bundled skin's name is reported, not loaded
// (an admin-locked "Default" must mean the bundled one).
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Skin, SkinCatalog } from '../../shared/skins.ts';
import { loadSkin } from './skin-load.ts';
import { loadThemeSkins } from './msstyles-cache.ts';

const SKIN_ID = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;
const MAX_SKINS_PER_FOLDER = 100;

/** A Windows theme DLL starts with "MZ"; Herald's own .msstyles is INI text. */
async function isPe(file: string): Promise<boolean> {
  try {
    const h = await open(file);
    try {
      const { buffer, bytesRead } = await h.read(Buffer.alloc(2), 0, 2, 0);
      return bytesRead === 2 && buffer[0] === 0x4d && buffer[1] === 0x5a;
    } finally {
      await h.close();
    }
  } catch {
    return false;
  }
}

async function scan(root: string, source: Skin['source'], out: SkinCatalog, taken: Set<string>, cacheDir?: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') out.rejected.push({ id: '', dir: root, source, reason: `cannot read the styles folder: ${(e as Error).message}` });
    return;
  }
  const dirs = entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).sort((a, b) => a.name.localeCompare(b.name));
  for (const [i, e] of dirs.entries()) {
    const dir = path.join(root, e.name);
    const reject = (reason: string) => out.rejected.push({ id: e.name, dir, source, reason });
    if (i >= MAX_SKINS_PER_FOLDER) {
      reject(`more than ${MAX_SKINS_PER_FOLDER} skins in ${root}; the rest are not read`);
      continue;
    }
    if (!SKIN_ID.test(e.name) || e.name.endsWith('.')) {
      reject('the folder name must be letters, digits, space, ".", "-" or "_"');
      continue;
    }
    if (taken.has(e.name.toLowerCase())) {
      reject('a bundled skin has this name');
      continue;
    }
    try {
      const file = path.join(dir, `${e.name}.msstyles`);
      if (await isPe(file)) {
        // A Windows XP visual style: one skin per colour scheme (msstyles-pe.ts).
        const base = out.skins.find((s) => s.source === 'bundled' && s.id === 'Default') ?? out.skins.find((s) => s.source === 'bundled');
        if (!cacheDir) throw new Error('a Windows theme (.msstyles DLL) needs the app\'s cache folder, which this run does not have');
        if (!base) throw new Error('a Windows theme (.msstyles DLL) takes its tray icons and sounds from the bundled Default skin, which did not load');
        const theme = await loadThemeSkins({ file, id: e.name, dir, source, cacheDir, base });
        out.skins.push(...theme.skins);
        for (const r of theme.rejected) out.rejected.push({ id: r.id, dir, source, reason: r.reason });
        taken.add(e.name.toLowerCase());
        continue;
      }
      out.skins.push(await loadSkin(dir, e.name, source));
      taken.add(e.name.toLowerCase());
    } catch (err) {
      reject((err as Error).message);
    }
  }
}

/** `cacheDir`: where converted Windows themes are kept (in the app's data); without it they are refused. */
export async function discoverSkins({ bundledDir, userDir, cacheDir }: { bundledDir: string; userDir?: string; cacheDir?: string }): Promise<SkinCatalog> {
  const out: SkinCatalog = { skins: [], rejected: [] };
  const taken = new Set<string>();
  await scan(bundledDir, 'bundled', out, taken, cacheDir);
  if (userDir) await scan(userDir, 'user', out, taken, cacheDir);
  return out;
}

/** The skin to use: the wanted one if it loaded, else Default, else the first; undefined if none loaded. */
export function pickSkin(catalog: SkinCatalog, wanted: string): Skin | undefined {
  const byId = (id: string) => catalog.skins.find((s) => s.id.toLowerCase() === id.toLowerCase());
  return byId(wanted) ?? byId('Default') ?? catalog.skins[0];
}
