// Checks that a skin's image or sound file is what its name says, from its first bytes, and reads
// image dimensions from the header (PNG IHDR, GIF logical screen, JPEG SOFn, ICO directory) — so
// a tiny file that declares a 100,000 × 100,000 image is refused before anything decodes it.

export interface ImageInfo {
  type: 'png' | 'gif' | 'jpeg' | 'ico';
  width: number;
  height: number;
}

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
const u16be = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const u16le = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32be = (b: Uint8Array, o: number) => ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;

/** Type and size of an image, or a reason it is not one we accept. */
export function probeImage(b: Uint8Array): ImageInfo | string {
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 4) === 'PNG' && ascii(b, 12, 16) === 'IHDR') {
    return { type: 'png', width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (b.length >= 10 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    return { type: 'gif', width: u16le(b, 6), height: u16le(b, 8) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    // Walk the marker segments to the first SOFn (ITU T.81 §B.1.1.3, B.2.2).
    let o = 2;
    while (o + 9 < b.length) {
      if (b[o] !== 0xff) return 'a JPEG file with a broken marker structure';
      const marker = b[o + 1]!;
      if (marker === 0xff) {
        o++;
        continue;
      }
      const len = u16be(b, o + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { type: 'jpeg', width: u16be(b, o + 7), height: u16be(b, o + 5) };
      }
      if (len < 2) return 'a JPEG file with a broken marker structure';
      o += 2 + len;
    }
    return 'a JPEG file without a frame header';
  }
  if (b.length >= 22 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0 && u16le(b, 4) > 0) {
    // ICONDIR + first ICONDIRENTRY; 0 means 256 pixels.
    return { type: 'ico', width: b[6] || 256, height: b[7] || 256 };
  }
  return 'not a PNG, GIF, JPEG or ICO image';
}

/** The sound format from the first bytes, or a reason. */
export function probeSound(b: Uint8Array): 'wav' | 'ogg' | 'mp3' | string {
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WAVE') return 'wav';
  if (b.length >= 4 && ascii(b, 0, 4) === 'OggS') return 'ogg';
  if (b.length >= 3 && (ascii(b, 0, 3) === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0))) return 'mp3';
  return 'not a WAV, Ogg or MP3 sound';
}
