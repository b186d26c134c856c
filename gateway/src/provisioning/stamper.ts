// Per-user copies of one generic build: the original bytes streamed from an open file handle plus
// a few hundred bytes of provision.json (zip-stamp.ts, targz-stamp.ts). Nothing is unpacked,
// re-compressed or written to a temporary file, and memory stays constant whatever the size. The
// plan (where provision.json goes) is read once per file and cached by the file's identity
// (device, inode, size, mtime), so a replaced build is planned again; a stamp reads the file
// through the handle it planned with, so a build replaced mid-download cannot mix two files.
// Two ways out: a stream (the download page) and a file (bulk packaging). A file is written the
// cheapest way there is — a zip by the kernel's own copy (as `cp` does) with its tail written
// over, a tar.gz (whose new bytes come first) by positional reads and writes of 8 MiB; Node
// streams cost about half of `cp`'s speed there (measured by npm run bench:package).
import { statSync, type Stats } from 'node:fs';
import { copyFile, open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ArtifactError } from './app-resources.ts';
import { isStampableInstaller, peParts, planPe, type PePlan } from './pe-stamp.ts';
import { planTarGz, tarGzPrefix, type TarGzPlan } from './targz-stamp.ts';
import { planZip, zipAddition, type ZipPlan } from './zip-stamp.ts';

export type StampableFormat = 'zip' | 'tar.gz' | 'exe';

export interface StampedPackage {
  format: StampableFormat;
  /** Exact length of the stamped archive (for Content-Length and progress bars). */
  size: number;
  contentType: string;
  /** Where provision.json is inside the archive. */
  entryName: string;
  /** The stamped archive as a stream; the build file is closed when it ends or is destroyed. */
  stream(): Readable;
  /** Writes the stamped archive to `target` (created or truncated) and closes the build file. */
  writeTo(target: string): Promise<void>;
  /** Closes the build file without reading (when neither of the above will be called). */
  discard(): Promise<void>;
}

/** The stamped archive: bytes of the build (ranges) and new bytes, in order. */
type Part = { bytes: Buffer } | { start: number; length: number };

type Plan = { format: 'zip'; plan: ZipPlan } | { format: 'tar.gz'; plan: TarGzPlan } | { format: 'exe'; plan: PePlan };

const CHUNK = 256 << 10; // per stream: what a slow client can hold up in memory is a few of these
const FILE_CHUNK = 8 << 20;
const CACHE_MAX = 32;

export const stampableFormatOf = (file: string): StampableFormat | undefined => {
  const name = path.basename(file).toLowerCase();
  if (name.endsWith('.zip')) return 'zip';
  if (name.endsWith('.tar.gz') || name.endsWith('.tgz')) return 'tar.gz';
  // A signed Windows installer: the provision goes into its signature's certificate table (pe-stamp.ts).
  if (name.endsWith('.exe')) return 'exe';
  return undefined;
};

/**
 * How `file` would be stamped, or undefined for an installer served as it is: a zip or tar.gz by
 * its name (its content is checked when stamped), an .exe only when its content shows a signed
 * Herald installer (an unsigned one gets a provision.json beside it, as before).
 */
export function stampableBuildOf(file: string): StampableFormat | undefined {
  const format = stampableFormatOf(file);
  if (format !== 'exe') return format;
  try {
    return isStampableInstaller(file, statSync(file)) ? 'exe' : undefined;
  } catch {
    return undefined;
  }
}

async function* range(fh: FileHandle, start: number, length: number): AsyncGenerator<Buffer> {
  if (length <= 0) return;
  yield* fh.createReadStream({ start, end: start + length - 1, highWaterMark: CHUNK, autoClose: false }) as AsyncIterable<Buffer>;
}

/** Same file as when it was planned: a build replaced or rewritten meanwhile is not copied by name. */
const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * A signed .exe keeps every byte where it was, a few header bytes and the table at the end
 * rewritten: the kernel copies the build (as `cp` does, ~5x faster than reads and writes here) and
 * the new bytes are written at their places. A shorter result (a stamped copy stamped again with a
 * smaller provision) is truncated.
 */
async function patchCopy(file: string, fh: FileHandle, parts: readonly Part[], target: string): Promise<void> {
  const before = await fh.stat();
  await copyFile(file, target);
  if (!sameFile(before, await stat(file))) throw new ArtifactError(`${file} changed while it was being copied`);
  const out = await open(target, 'r+');
  try {
    let pos = 0;
    for (const part of parts) {
      if ('bytes' in part) await out.write(part.bytes, 0, part.bytes.length, pos);
      pos += 'bytes' in part ? part.bytes.length : part.length;
    }
    if (pos < before.size) await out.truncate(pos);
    if ((await out.stat()).size !== pos) throw new Error(`internal: wrote ${pos} bytes but the file has ${(await out.stat()).size}`);
  } finally {
    await out.close();
  }
}

/** Whether every range of the build lands at its own offset (only bytes are replaced or added). */
const inPlace = (parts: readonly Part[]) => {
  let pos = 0;
  for (const part of parts) {
    if ('start' in part && part.start !== pos) return false;
    pos += 'bytes' in part ? part.bytes.length : part.length;
  }
  return true;
};

async function writeParts(file: string, fh: FileHandle, parts: readonly Part[], target: string): Promise<void> {
  if (parts[0] && 'bytes' in parts[0] && inPlace(parts)) return patchCopy(file, fh, parts, target);
  let rest = parts;
  let pos = 0;
  const first = parts[0];
  if (first && 'start' in first && first.start === 0) {
    // A zip starts with the build's own bytes: the kernel copies the whole file (as `cp` does),
    // and the rest is written over its tail from where the new entry goes. The result is always
    // longer than the build, so nothing of the old tail is left (no truncate: that waits on
    // writeback, measured at 10-20 ms).
    const before = await fh.stat();
    await copyFile(file, target);
    if (!sameFile(before, await stat(file))) throw new ArtifactError(`${file} changed while it was being copied`);
    rest = parts.slice(1);
    pos = first.length;
  }
  const out = await open(target, rest === parts ? 'w' : 'r+');
  try {
    const buf = Buffer.allocUnsafe(FILE_CHUNK);
    for (const part of rest) {
      if ('bytes' in part) {
        await out.write(part.bytes, 0, part.bytes.length, pos);
        pos += part.bytes.length;
        continue;
      }
      for (let done = 0; done < part.length; ) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(FILE_CHUNK, part.length - done), part.start + done);
        if (bytesRead === 0) throw new ArtifactError('the build file got shorter while it was being copied');
        await out.write(buf, 0, bytesRead, pos);
        pos += bytesRead;
        done += bytesRead;
      }
    }
    if ((await out.stat()).size !== pos) throw new Error(`internal: wrote ${pos} bytes but the file has ${(await out.stat()).size}`);
  } finally {
    await out.close();
  }
}

export function createStamper() {
  const plans = new Map<string, Plan>();

  async function planFor(file: string, fh: FileHandle, format: StampableFormat): Promise<{ plan: Plan; size: number }> {
    const st = await fh.stat();
    if (!st.isFile()) throw new ArtifactError(`${file} is not a regular file`);
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${format}`;
    let plan = plans.get(key);
    if (!plan) {
      plan = format === 'zip' ? { format, plan: await planZip(fh, st.size) } : format === 'exe' ? { format, plan: await planPe(fh, st.size) } : { format, plan: await planTarGz(fh) };
      if (plans.size >= CACHE_MAX) plans.delete(plans.keys().next().value!);
      plans.set(key, plan);
    }
    return { plan, size: st.size };
  }

  return {
    /**
     * A stamped copy of `file` (a .zip or .tar.gz with provision.json in the app's resources, or a
     * signed .exe with it in its signature's unauthenticated attributes).
     * Throws ArtifactError for anything that is not a generic Electron build — before `content`
     * is called, so no enrollment token is issued for a package that cannot be made.
     */
    async stamp(file: string, content: Buffer | (() => Buffer), now = new Date()): Promise<StampedPackage> {
      const format = stampableFormatOf(file);
      if (!format) throw new ArtifactError(`${path.basename(file)} is neither a .zip, a .tar.gz nor a signed .exe: it cannot be stamped (use a provision.json beside it, or the deep link)`);
      let fh: FileHandle;
      try {
        fh = await open(file, 'r');
      } catch (e) {
        throw new ArtifactError(`cannot open ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      try {
        const { plan, size } = await planFor(file, fh, format);
        const data = typeof content === 'function' ? content() : content;
        let parts: Part[];
        if (plan.format === 'zip') {
          const p = plan.plan;
          const add = zipAddition(p, data, now);
          parts = [{ start: 0, length: p.cdOffset }, { bytes: add.entry }, { start: p.cdOffset, length: p.cdSize }, { bytes: add.trailer }];
        } else if (plan.format === 'exe') {
          parts = peParts(plan.plan, data);
        } else {
          parts = [{ bytes: tarGzPrefix(plan.plan, data, now) }, { start: 0, length: size }];
        }
        let closed = false;
        const close = async () => {
          if (closed) return;
          closed = true;
          await fh.close();
        };
        return {
          format,
          size: parts.reduce((n, x) => n + ('bytes' in x ? x.bytes.length : x.length), 0),
          contentType: format === 'zip' ? 'application/zip' : format === 'exe' ? 'application/vnd.microsoft.portable-executable' : 'application/gzip',
          entryName: plan.plan.entryName,
          stream() {
            const stream = Readable.from(
              (async function* () {
                for (const part of parts) {
                  if ('bytes' in part) yield part.bytes;
                  else yield* range(fh, part.start, part.length);
                }
              })(),
              { objectMode: false, highWaterMark: CHUNK },
            );
            // Closed when the stream ends, fails or is destroyed — also before its first read.
            stream.once('close', () => void close().catch(() => {}));
            return stream;
          },
          async writeTo(target) {
            try {
              await writeParts(file, fh, parts, target);
            } finally {
              await close();
            }
          },
          discard: close,
        };
      } catch (e) {
        await fh.close();
        throw e;
      }
    },
  };
}
export type Stamper = ReturnType<typeof createStamper>;
