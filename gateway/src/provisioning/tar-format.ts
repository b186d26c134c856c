// The tar format as far as stamping needs it (POSIX.1-2001 ustar, pax extended headers, and the
// GNU long-name extension that GNU tar and node-tar write): a header writer for one regular file,
// and a streaming reader of entry names that checks every header's checksum.
import { ArtifactError } from './app-resources.ts';

export const BLOCK = 512;
const MAX_META_BYTES = 1024 * 1024; // a pax header or GNU long name larger than this is not a build

const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, '0')}\0`;

function splitUstarPath(name: string): { prefix: string; name: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  // ustar: prefix (≤155 bytes) + '/' + name (≤100 bytes), split at a slash.
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest) return { prefix, name: rest };
  }
  throw new ArtifactError(`path too long for a ustar header: ${name}`);
}

/** A ustar header + data + zero padding for one regular file (mode 0644, owner root). */
export function tarFileEntry(name: string, data: Buffer, mtime: Date): Buffer {
  const parts = splitUstarPath(name);
  const h = Buffer.alloc(BLOCK);
  h.write(parts.name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(data.length, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum counted as spaces
  h.write('0', 156, 'ascii');
  h.write('ustar\u000000', 257, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(octal(0, 8), 329, 'ascii');
  h.write(octal(0, 8), 337, 'ascii');
  h.write(parts.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const padded = Buffer.alloc(Math.ceil(data.length / BLOCK) * BLOCK);
  data.copy(padded);
  return Buffer.concat([h, padded]);
}

const cstring = (b: Buffer) => {
  const z = b.indexOf(0);
  return (z < 0 ? b : b.subarray(0, z)).toString('utf8');
};

function numeric(field: Buffer, what: string, at: number): number {
  if (field[0]! & 0x80) {
    // GNU base-256: big-endian, the top bit of the first byte set.
    let v = BigInt(field[0]! & 0x7f);
    for (let i = 1; i < field.length; i++) v = (v << 8n) | BigInt(field[i]!);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArtifactError(`tar ${what} out of range at byte ${at}`);
    return Number(v);
  }
  const text = field.toString('ascii').replace(/[\0 ]+$/g, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArtifactError(`bad tar ${what} ${JSON.stringify(text)} at byte ${at}`);
  return parseInt(text, 8);
}

/** `path` from pax records ("<len> key=value\n"...), if present. */
function paxPath(data: Buffer): string | undefined {
  let p = 0;
  let found: string | undefined;
  while (p < data.length) {
    const space = data.indexOf(0x20, p);
    if (space < 0) break;
    const len = parseInt(data.subarray(p, space).toString('ascii'), 10);
    if (!(len > 0) || p + len > data.length) throw new ArtifactError('broken pax extended header');
    const record = data.subarray(space + 1, p + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0 && record.slice(0, eq) === 'path') found = record.slice(eq + 1);
    p += len;
  }
  return found;
}

/**
 * Reads a tar stream chunk by chunk and collects entry names; ends at the end-of-archive blocks.
 * Only headers (and pax / long-name data) are kept: file contents are skipped as they pass.
 */
export function createTarNameReader() {
  const names: string[] = [];
  let pending = Buffer.alloc(0);
  let offset = 0; // archive offset of `pending`'s first byte
  let skip = 0; // content bytes still to pass over
  let meta: { kind: 'pax' | 'long'; size: number } | undefined; // data block(s) to capture
  let nextName: string | undefined; // from a pax header or GNU long name, for the next entry
  let zeros = 0;
  let ended = false;

  function header(h: Buffer, at: number): void {
    if (h.every((b) => b === 0)) {
      if (++zeros === 2) ended = true;
      return;
    }
    if (zeros) throw new ArtifactError(`a lone zero block before byte ${at} in the tar archive`);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    let stored: number | undefined;
    try {
      stored = numeric(h.subarray(148, 156), 'checksum', at);
    } catch {
      stored = undefined;
    }
    if (stored !== sum) throw new ArtifactError(`bad tar header checksum at byte ${at}: not a tar archive, or a damaged one`);
    const size = numeric(h.subarray(124, 136), 'size', at);
    const type = String.fromCharCode(h[156]!);
    if (type === 'x' || type === 'L') {
      if (size > MAX_META_BYTES) throw new ArtifactError(`tar metadata entry of ${size} bytes at byte ${at}`);
      meta = { kind: type === 'x' ? 'pax' : 'long', size };
      return;
    }
    if (type === 'g' || type === 'K') {
      skip = Math.ceil(size / BLOCK) * BLOCK;
      return;
    }
    const ustar = h.subarray(257, 262).toString('ascii') === 'ustar';
    const prefix = ustar ? cstring(h.subarray(345, 500)) : '';
    const name = nextName ?? (prefix ? `${prefix}/${cstring(h.subarray(0, 100))}` : cstring(h.subarray(0, 100)));
    nextName = undefined;
    names.push(name);
    // Links, directories, devices and FIFOs have no content blocks whatever their size field says;
    // anything else (regular, contiguous, unknown types: POSIX reads them as regular files) has.
    skip = '123456'.includes(type) ? 0 : Math.ceil(size / BLOCK) * BLOCK;
  }

  return {
    names,
    get ended() {
      return ended;
    },
    write(chunk: Buffer): void {
      if (ended) return;
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          skip -= n;
          offset += n;
          buf = buf.subarray(n);
          if (skip > 0) break;
        }
        if (meta) {
          const need = Math.ceil(meta.size / BLOCK) * BLOCK;
          if (buf.length < need) break;
          const data = buf.subarray(0, meta.size);
          nextName = meta.kind === 'pax' ? (paxPath(data) ?? nextName) : cstring(data);
          meta = undefined;
          offset += need;
          buf = buf.subarray(need);
          continue;
        }
        if (buf.length < BLOCK || ended) break;
        header(buf.subarray(0, BLOCK), offset);
        offset += BLOCK;
        buf = buf.subarray(BLOCK);
      }
      pending = ended ? Buffer.alloc(0) : Buffer.from(buf);
    },
    /** Throws unless the archive ended properly. */
    end(): string[] {
      if (!ended) throw new ArtifactError('the tar archive ends early (no end-of-archive blocks)');
      return names;
    },
  };
}
