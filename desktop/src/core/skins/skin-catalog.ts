// Finds every skin: `<styles>/<Name>/<Name>.msstyles` in the bundled styles folder and in the
// user's own Styles folder. Each one loads or is reported with its reason and skipped; one broken
// skin never stops the others. A user skin with a bundled skin's name is reported, not loaded
// (an admin-locked "Default" must mean the bundled one).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Skin, SkinCatalog } from '../../shared/skins.ts';
import { loadSkin } from './skin-load.ts';

const SKIN_ID = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/;
const MAX_SKINS_PER_FOLDER = 100;

async function scan(root: string, source: Skin['source'], out: SkinCatalog, taken: Set<string>): Promise<void> {
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
      out.skins.push(await loadSkin(dir, e.name, source));
      taken.add(e.name.toLowerCase());
    } catch (err) {
      reject((err as Error).message);
    }
  }
}

export async function discoverSkins({ bundledDir, userDir }: { bundledDir: string; userDir?: string }): Promise<SkinCatalog> {
  const out: SkinCatalog = { skins: [], rejected: [] };
  const taken = new Set<string>();
  await scan(bundledDir, 'bundled', out, taken);
  if (userDir) await scan(userDir, 'user', out, taken);
  return out;
}

/** The skin to use: the wanted one if it loaded, else Default, else the first; undefined if none loaded. */
export function pickSkin(catalog: SkinCatalog, wanted: string): Skin | undefined {
  const byId = (id: string) => catalog.skins.find((s) => s.id.toLowerCase() === id.toLowerCase());
  return byId(wanted) ?? byId('Default') ?? catalog.skins[0];
}
