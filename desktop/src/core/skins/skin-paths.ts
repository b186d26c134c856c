// A path written in a skin (relative to its folder, `\` or `/` separators) → a real file inside
// that folder, or a reason. Refused: absolute paths, drive letters, UNC, `..` anywhere, NUL,
// and anything whose real path (symlinks resolved) is not inside the skin's real folder.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type Resolved = { file: string; relative: string; bytes: number } | { error: string };

export async function resolveSkinPath(skinRealDir: string, written: string): Promise<Resolved> {
  if (!written) return { error: 'empty path' };
  if (written.includes('\0')) return { error: 'path contains a NUL character' };
  if (/^[A-Za-z]:/.test(written) || written.startsWith('/') || written.startsWith('\\')) return { error: `${JSON.stringify(written)} is absolute; paths are relative to the skin's folder` };
  const segments = written.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return { error: `${JSON.stringify(written)} goes up with ".."; a skin may only use files inside its own folder` };
  if (segments.length === 0) return { error: `${JSON.stringify(written)} names no file` };
  if (segments.some((s) => s.includes(':'))) return { error: `${JSON.stringify(written)} contains ":" (alternate data streams or drive letters are not allowed)` };
  const joined = path.join(skinRealDir, ...segments);
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    return { error: `${JSON.stringify(written)} does not exist` };
  }
  if (!real.startsWith(skinRealDir + path.sep)) return { error: `${JSON.stringify(written)} leads outside the skin's folder (through a link)` };
  const st = await stat(real);
  if (!st.isFile()) return { error: `${JSON.stringify(written)} is not a file` };
  return { file: real, relative: segments.join('/'), bytes: st.size };
}
