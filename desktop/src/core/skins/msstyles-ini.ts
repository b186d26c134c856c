// Reads the text of a .msstyles file (PRODUCT.md, "Skin format"): an INI file in UTF-8 (with or
// without BOM) or UTF-16 with BOM, as Windows Notepad writes it. UTF-16 without a BOM is refused
// by name instead of being read as garbage. Sections and keys are matched case-insensitively
// (as GetPrivateProfileString does) but reported as written.

export class SkinFormatError extends Error {
  override name = 'SkinFormatError';
}

export const MAX_MSSTYLES_BYTES = 64 * 1024;
const MAX_LINES = 2000;

/** Bytes → text by BOM; throws SkinFormatError for UTF-16 without BOM or invalid UTF-8. */
export function decodeMsstyles(bytes: Uint8Array): string {
  if (bytes.length > MAX_MSSTYLES_BYTES) throw new SkinFormatError(`the .msstyles file is ${bytes.length} bytes; at most ${MAX_MSSTYLES_BYTES} are read`);
  const b = bytes;
  const fatal = (label: string, from: number) => {
    try {
      return new TextDecoder(label, { fatal: true }).decode(b.subarray(from));
    } catch {
      throw new SkinFormatError(`the .msstyles file is not valid ${label.toUpperCase()}`);
    }
  };
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return fatal('utf-8', 3);
  if (b[0] === 0xff && b[1] === 0xfe) {
    if (b.length % 2 !== 0) throw new SkinFormatError('the .msstyles file is UTF-16 with an odd number of bytes (truncated?)');
    return fatal('utf-16le', 2);
  }
  if (b[0] === 0xfe && b[1] === 0xff) {
    if (b.length % 2 !== 0) throw new SkinFormatError('the .msstyles file is UTF-16 with an odd number of bytes (truncated?)');
    return fatal('utf-16be', 2);
  }
  // Text in UTF-16 has a NUL in every other byte for ASCII; UTF-8 text has none at all.
  if (b.includes(0)) throw new SkinFormatError('the .msstyles file looks like UTF-16 without a byte order mark; save it as UTF-8, or as UTF-16 with BOM ("Unicode" in Notepad)');
  return fatal('utf-8', 0);
}

export interface IniEntry {
  key: string;
  value: string;
  line: number;
}
export interface IniSection {
  name: string;
  line: number;
  entries: IniEntry[];
}

/** Parses INI text into sections, in order. Throws SkinFormatError naming the line. */
export function parseIni(text: string): IniSection[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > MAX_LINES) throw new SkinFormatError(`the .msstyles file has ${lines.length} lines; at most ${MAX_LINES}`);
  const sections: IniSection[] = [];
  const seen = new Map<string, IniSection>();
  let current: IniSection | undefined;
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) return;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      const name = sec[1]!.trim();
      if (seen.has(name.toLowerCase())) throw new SkinFormatError(`line ${n}: section [${name}] appears twice`);
      current = { name, line: n, entries: [] };
      seen.set(name.toLowerCase(), current);
      sections.push(current);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new SkinFormatError(`line ${n}: expected [Section] or Key=Value, got ${JSON.stringify(line.slice(0, 60))}`);
    if (!current) throw new SkinFormatError(`line ${n}: Key=Value before any [Section]`);
    const key = line.slice(0, eq).trim();
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) throw new SkinFormatError(`line ${n}: invalid key ${JSON.stringify(key.slice(0, 60))}`);
    if (current.entries.some((e) => e.key.toLowerCase() === key.toLowerCase())) throw new SkinFormatError(`line ${n}: [${current.name}] ${key} is set twice`);
    current.entries.push({ key, value: line.slice(eq + 1).trim(), line: n });
  });
  return sections;
}
