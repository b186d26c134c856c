// Builds the renderer with Vite (desktop/vite.config.ts) into desktop/dist/renderer, or another
// folder (tests build into a temporary one). Returns the folder.
import path from 'node:path';
import { build } from 'vite';

const desktop = path.resolve(import.meta.dirname, '..');

export async function buildRenderer(outDir = path.join(desktop, 'dist', 'renderer')): Promise<string> {
  await build({ configFile: path.join(desktop, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}
