// A minimal ZIP writer (PKWARE APPNOTE 6.3.x) for bundles of files that are compressed already
// (the per-user packages of a bulk job): every entry STORED (method 0), streamed — CRC-32 and
// size are not known before the data, so each entry has a data descriptor (§4.3.9, flag bit 3) —
// names in UTF-8 (flag bit 11). No ZIP64: an archive or entry past 4 GiB is refused.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { HeraldError } from '../protocol/errors.ts';

const LIMIT = 0xffff_ffff;

interface Entry {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
}

export interface ZipWriter {
  add(name: string, data: Readable | Buffer): Promise<void>;
  /** Writes the central directory and closes the file. */
  close(): Promise<void>;
  /** Stops and closes the file (it is incomplete). */
  abort(): void;
}

export function createZipWriter(file: string): ZipWriter {
  const out: WriteStream = createWriteStream(file, { mode: 0o600 });
  const entries: Entry[] = [];
  let offset = 0;
  const write = (b: Buffer) =>
    new Promise<void>((resolve, reject) => {
      offset += b.length;
      if (offset > LIMIT) return reject(new HeraldError('too_large', 'the zip would pass 4 GiB (no ZIP64)'));
      out.write(b, (e) => (e ? reject(e) : resolve()));
    });
  const dosTime = () => {
    const d = new Date();
    return { time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1), date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate() };
  };
  const FLAGS = 0x0808; // bit 3: data descriptor; bit 11: UTF-8 names
  return {
    async add(name, data) {
      const n = Buffer.from(name, 'utf8');
      const { time, date } = dosTime();
      const h = Buffer.alloc(30);
      h.writeUInt32LE(0x04034b50, 0);
      h.writeUInt16LE(20, 4);
      h.writeUInt16LE(FLAGS, 6);
      h.writeUInt16LE(0, 8);
      h.writeUInt16LE(time, 10);
      h.writeUInt16LE(date, 12);
      // crc and sizes 0 here: they follow in the data descriptor
      h.writeUInt16LE(n.length, 26);
      const start = offset;
      await write(Buffer.concat([h, n]));
      let crc = 0;
      let size = 0;
      const chunks: Iterable<Buffer> | AsyncIterable<Buffer> = Buffer.isBuffer(data) ? [data] : (data as AsyncIterable<Buffer>);
      for await (const c of chunks) {
        crc = crc32(c, crc);
        size += c.length;
        await write(c);
      }
      const d = Buffer.alloc(16);
      d.writeUInt32LE(0x08074b50, 0);
      d.writeUInt32LE(crc >>> 0, 4);
      d.writeUInt32LE(size, 8);
      d.writeUInt32LE(size, 12);
      await write(d);
      entries.push({ name: n, crc: crc >>> 0, size, offset: start });
    },
    async close() {
      const { time, date } = dosTime();
      const cdStart = offset;
      for (const e of entries) {
        const c = Buffer.alloc(46);
        c.writeUInt32LE(0x02014b50, 0);
        c.writeUInt16LE(20, 4);
        c.writeUInt16LE(20, 6);
        c.writeUInt16LE(FLAGS, 8);
        c.writeUInt16LE(0, 10);
        c.writeUInt16LE(time, 12);
        c.writeUInt16LE(date, 14);
        c.writeUInt32LE(e.crc, 16);
        c.writeUInt32LE(e.size, 20);
        c.writeUInt32LE(e.size, 24);
        c.writeUInt16LE(e.name.length, 28);
        c.writeUInt32LE(e.offset, 42);
        await write(Buffer.concat([c, e.name]));
      }
      const end = Buffer.alloc(22);
      end.writeUInt32LE(0x06054b50, 0);
      end.writeUInt16LE(entries.length, 8);
      end.writeUInt16LE(entries.length, 10);
      end.writeUInt32LE(offset - cdStart, 12);
      end.writeUInt32LE(cdStart, 16);
      await write(end);
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    },
    abort() {
      out.destroy();
    },
  };
}
