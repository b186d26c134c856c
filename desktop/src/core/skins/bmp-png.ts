// A theme's bitmaps → PNG the renderer can show. RT_BITMAP resources are DIBs: a BITMAPINFOHEADER
// (or V4/V5) without the 14-byte file header, then a palette and bottom-up rows padded to 4 bytes
// (Windows GDI, "Bitmap Storage"). Read here: 1/4/8/24/32 bits per pixel, uncompressed or 32-bit
// BI_BITFIELDS. Dimensions are checked against the limit and the bytes actually present before
// anything is allocated, so a 40-byte header cannot claim a 100,000 × 100,000 image. No npm
// library in the tree decodes DIBs (pngjs, there only for qrcode, writes PNG but reads no BMP);
// the PNG writer is node:zlib and a CRC (RFC 2083 §3, §15).
import { deflateSync } from 'node:zlib';

export class BitmapError extends Error {
  override name = 'BitmapError';
}

export interface Rgba {
  width: number;
  height: number;
  /** width × height × 4, top row first. */
  data: Uint8Array;
}

export const MAX_BITMAP_PIXELS = 2048;

/** `budget`: pixels the caller still allows (a theme's total); the bitmap is refused beyond it. */
export function decodeDib(b: Uint8Array, maxSide = MAX_BITMAP_PIXELS, budget = Infinity): Rgba {
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) b = b.subarray(14); // a .bmp file's header, as some themes store them
  if (b.length < 40) throw new BitmapError(`a bitmap of ${b.length} bytes is too short for its header`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hdr = v.getUint32(0, true);
  if (hdr !== 40 && hdr !== 52 && hdr !== 56 && hdr !== 108 && hdr !== 124) throw new BitmapError(`unknown bitmap header size ${hdr}`);
  const width = v.getInt32(4, true);
  const rawH = v.getInt32(8, true);
  const topDown = rawH < 0;
  const height = Math.abs(rawH);
  const bpp = v.getUint16(14, true);
  const comp = v.getUint32(16, true);
  if (width <= 0 || height <= 0) throw new BitmapError(`a bitmap of ${width} × ${rawH} pixels has no pixels`);
  if (width > maxSide || height > maxSide) throw new BitmapError(`a bitmap of ${width} × ${height} pixels; at most ${maxSide} × ${maxSide}`);
  if (width * height > budget) throw new BitmapError(`a bitmap of ${width} × ${height} pixels goes past the theme's limit on pixels in all (${budget} left)`);
  if (![1, 4, 8, 24, 32].includes(bpp)) throw new BitmapError(`${bpp} bits per pixel is not supported`);
  if (!(comp === 0 || (comp === 3 && bpp === 32))) throw new BitmapError(`compression ${comp} is not supported (only uncompressed and 32-bit bit fields)`);
  let masks = [0xff0000, 0xff00, 0xff, 0];
  let off = hdr;
  if (comp === 3) {
    if (hdr === 40) {
      if (b.length < 52) throw new BitmapError('a bit-field bitmap is truncated before its masks');
      off = 52;
    }
    masks = [v.getUint32(40, true), v.getUint32(44, true), v.getUint32(48, true), hdr >= 56 ? v.getUint32(52, true) : 0];
  }
  const used = v.getUint32(32, true);
  const colours = bpp <= 8 ? used || 1 << bpp : 0;
  if (colours > 1 << bpp && bpp <= 8) throw new BitmapError(`a palette of ${colours} colours for ${bpp} bits per pixel`);
  const palette = off;
  off += colours * 4;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (off + stride * height > b.length) throw new BitmapError(`truncated: ${width} × ${height} × ${bpp} bits need ${off + stride * height} bytes, the bitmap has ${b.length}`);

  const shift = (m: number) => (m ? 31 - Math.clz32(m & -m) : 0);
  const chan = (px: number, m: number) => (m ? Math.round((((px & m) >>> 0) >>> shift(m)) * 255 / ((m >>> 0) >>> shift(m))) : 255);
  const out = new Uint8Array(width * height * 4);
  let anyAlpha = false;
  for (let y = 0; y < height; y++) {
    const row = off + stride * (topDown ? y : height - 1 - y);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (bpp === 32 || bpp === 24) {
        if (bpp === 32) {
          const px = v.getUint32(row + x * 4, true);
          out[o] = chan(px, masks[0]!);
          out[o + 1] = chan(px, masks[1]!);
          out[o + 2] = chan(px, masks[2]!);
          out[o + 3] = masks[3] ? chan(px, masks[3]) : (px >>> 24) & 0xff;
          if (out[o + 3]) anyAlpha = true;
        } else {
          out[o] = b[row + x * 3 + 2]!;
          out[o + 1] = b[row + x * 3 + 1]!;
          out[o + 2] = b[row + x * 3]!;
          out[o + 3] = 255;
        }
        continue;
      }
      const bit = x * bpp;
      const idx = (b[row + (bit >> 3)]! >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
      const p = palette + Math.min(idx, colours - 1) * 4;
      out[o] = b[p + 2]!;
      out[o + 1] = b[p + 1]!;
      out[o + 2] = b[p]!;
      out[o + 3] = 255;
    }
  }
  // 32-bit DIBs whose fourth byte is all zero carry no alpha (GDI ignores it); show them opaque.
  if (bpp === 32 && !anyAlpha) for (let i = 3; i < out.length; i += 4) out[i] = 255;
  return { width, height, data: out };
}

/** Frame `index` of `count` stacked vertically (ImageLayout=Vertical) or side by side. */
export function cropFrame(img: Rgba, count: number, index: number, vertical: boolean): Rgba {
  if (count <= 1) return img;
  const w = vertical ? img.width : Math.floor(img.width / count);
  const h = vertical ? Math.floor(img.height / count) : img.height;
  if (w < 1 || h < 1) throw new BitmapError(`a ${img.width} × ${img.height} bitmap cannot hold ${count} images`);
  const out = new Uint8Array(w * h * 4);
  const x0 = vertical ? 0 : w * index;
  const y0 = vertical ? h * index : 0;
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((y0 + y) * img.width + x0) * 4, ((y0 + y) * img.width + x0 + w) * 4), y * w * 4);
  return { width: w, height: h, data: out };
}

/** Pixels of exactly `rgb` become transparent (a theme's TransparentColor, magenta by default). */
export function keyOut(img: Rgba, rgb: [number, number, number]): void {
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) d[i + 3] = 0;
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (const x of p) c = CRC[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32([head.subarray(4), body]), 0);
  return Buffer.concat([head, body, crc]);
}

/** RGBA → PNG (8-bit truecolour with alpha, filter 0 on every row). */
export function encodePng(img: Rgba): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc((img.width * 4 + 1) * img.height);
  for (let y = 0; y < img.height; y++) raw.set(img.data.subarray(y * img.width * 4, (y + 1) * img.width * 4), y * (img.width * 4 + 1) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}
