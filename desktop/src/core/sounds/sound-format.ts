// Reads a sound file's headers far enough to know it will play: WAV (RIFF `fmt ` and `data`
// chunks, PCM or IEEE float), Ogg (the first page, its CRC, and a Vorbis or Opus identification
// header) and MP3 (an optional ID3v2 tag, then two MPEG audio Layer III frame headers in a row).
// A file that only starts with the right magic bytes — a renamed text file, a truncated
// download, an MP2 or a video — is refused with a reason a user can read. The renderer decodes
// the file too (Web Audio decodeAudioData) before it is offered; this is the core's own check,
// which also covers the skins' sounds.

export type SoundFormat = 'wav' | 'ogg' | 'mp3';

export interface SoundInfo {
  format: SoundFormat;
  channels: number;
  sampleRate: number;
  /** Codec inside the container: pcm, float, vorbis, opus, mp3. */
  codec: string;
  /** Length in milliseconds where the headers tell it (WAV). */
  durationMs?: number;
}

export class SoundFormatError extends Error {
  override name = 'SoundFormatError';
}

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, Math.min(to, b.length)));
const u16le = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32le = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
const fail = (why: string): never => {
  throw new SoundFormatError(why);
};

// ---- WAV (RIFF WAVE, Microsoft "Multimedia Programming Interface and Data Specifications 1.0") --
const WAVE_PCM = 1;
const WAVE_FLOAT = 3;
const WAVE_EXTENSIBLE = 0xfffe;

function wav(b: Uint8Array): SoundInfo {
  let fmt: { tag: number; channels: number; rate: number; byteRate: number; align: number; bits: number } | undefined;
  let data: number | undefined;
  for (let o = 12; o + 8 <= b.length; ) {
    const id = ascii(b, o, o + 4);
    const size = u32le(b, o + 4);
    const body = o + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > b.length) fail('a WAV file with a broken format chunk');
      let tag = u16le(b, body);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the SubFormat GUID.
      if (tag === WAVE_EXTENSIBLE && size >= 40 && body + 26 <= b.length) tag = u16le(b, body + 24);
      fmt = { tag, channels: u16le(b, body + 2), rate: u32le(b, body + 4), byteRate: u32le(b, body + 8), align: u16le(b, body + 12), bits: u16le(b, body + 14) };
    } else if (id === 'data') {
      // A truncated file's data chunk claims more than is there: count what is.
      data = Math.min(size, b.length - body);
      break;
    }
    o = body + size + (size & 1); // chunks are word-aligned
  }
  if (!fmt) return fail('a WAV file without a format chunk');
  const { tag, channels, rate, bits, align } = fmt;
  if (tag !== WAVE_PCM && tag !== WAVE_FLOAT) fail(`a WAV file in a compressed format (format tag ${tag}); only PCM and float WAV files play everywhere`);
  if (channels < 1 || channels > 8) fail(`a WAV file with ${channels} channels`);
  if (rate < 3000 || rate > 384000) fail(`a WAV file at ${rate} Hz`);
  if (tag === WAVE_PCM ? ![8, 16, 24, 32].includes(bits) : bits !== 32 && bits !== 64) fail(`a WAV file with ${bits}-bit samples`);
  if (align !== (channels * bits) / 8) fail('a WAV file whose block size does not match its channels and sample size');
  if (data === undefined) return fail('a WAV file without sound data');
  if (data < align) fail('a WAV file with no samples');
  return { format: 'wav', codec: tag === WAVE_PCM ? 'pcm' : 'float', channels, sampleRate: rate, durationMs: Math.round(((data / align) * 1000) / rate) };
}

// ---- Ogg (RFC 3533) with Vorbis (Vorbis I spec §4.2.2) or Opus (RFC 7845 §5.1) -----------------
const OGG_CRC = Array.from({ length: 256 }, (_, n) => {
  let r = n << 24;
  for (let i = 0; i < 8; i++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

/** RFC 3533 §6: CRC-32 (polynomial 0x04c11db7, no reflection) over a page with its CRC field zeroed. */
export function oggPageCrc(b: Uint8Array, pageLen: number): number {
  let crc = 0;
  for (let i = 0; i < pageLen; i++) crc = ((crc << 8) ^ OGG_CRC[((crc >>> 24) ^ (i >= 22 && i < 26 ? 0 : b[i]!)) & 0xff]!) >>> 0;
  return crc;
}

function ogg(b: Uint8Array): SoundInfo {
  if (b.length < 27) fail('an Ogg file cut off in its first page');
  if (b[4] !== 0) fail(`an Ogg file of stream structure version ${b[4]}`);
  if (!(b[5]! & 0x02)) fail('an Ogg file whose first page does not begin a stream');
  const segments = b[26]!;
  const headerLen = 27 + segments;
  if (b.length < headerLen) fail('an Ogg file cut off in its first page');
  let bodyLen = 0;
  for (let i = 0; i < segments; i++) bodyLen += b[27 + i]!;
  if (b.length < headerLen + bodyLen) fail('an Ogg file cut off in its first page');
  if (oggPageCrc(b, headerLen + bodyLen) !== u32le(b, 22)) fail('an Ogg file whose first page is damaged (checksum mismatch)');
  const p = headerLen;
  if (bodyLen >= 30 && b[p] === 1 && ascii(b, p + 1, p + 7) === 'vorbis') {
    const channels = b[p + 11]!;
    const rate = u32le(b, p + 12);
    if (u32le(b, p + 7) !== 0 || channels < 1 || rate < 1 || !(b[p + 29]! & 1)) fail('an Ogg Vorbis file with a broken identification header');
    return { format: 'ogg', codec: 'vorbis', channels, sampleRate: rate };
  }
  if (bodyLen >= 19 && ascii(b, p, p + 8) === 'OpusHead') {
    const channels = b[p + 9]!;
    if ((b[p + 8]! & 0xf0) !== 0 || channels < 1) fail('an Ogg Opus file with a broken identification header');
    // Opus always decodes at 48 kHz (RFC 7845 §5.1: the input rate is informational).
    return { format: 'ogg', codec: 'opus', channels, sampleRate: 48000 };
  }
  return fail('an Ogg file without Vorbis or Opus sound (perhaps a video or another codec)');
}

// ---- MP3 (ISO/IEC 11172-3 and 13818-3 frame headers; ID3v2.4 §3.1 tag header) ------------------
const BITRATES = {
  v1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] } as Record<number, number[]>;

/** A Layer III frame header at `o`: its length and what it says, or undefined. */
function mp3Frame(b: Uint8Array, o: number): { len: number; rate: number; channels: number } | undefined {
  if (o + 4 > b.length || b[o] !== 0xff || (b[o + 1]! & 0xe0) !== 0xe0) return undefined;
  const version = (b[o + 1]! >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
  const layer = (b[o + 1]! >> 1) & 3; // 1: Layer III
  const bitrateIndex = b[o + 2]! >> 4;
  const rateIndex = (b[o + 2]! >> 2) & 3;
  const padding = (b[o + 2]! >> 1) & 1;
  if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const kbps = (version === 3 ? BITRATES.v1 : BITRATES.v2)[bitrateIndex]!;
  const rate = RATES[version]![rateIndex]!;
  const len = Math.floor(((version === 3 ? 144 : 72) * kbps * 1000) / rate) + padding;
  return { len, rate, channels: b[o + 3]! >> 6 === 3 ? 1 : 2 };
}

function mp3(b: Uint8Array): SoundInfo {
  let o = 0;
  if (ascii(b, 0, 3) === 'ID3') {
    if (b.length < 10) fail('an MP3 file cut off in its ID3 tag');
    // The tag's size is a 28-bit "synchsafe" integer; a footer adds 10 bytes (ID3v2.4 §3.1).
    const size = ((b[6]! & 0x7f) << 21) | ((b[7]! & 0x7f) << 14) | ((b[8]! & 0x7f) << 7) | (b[9]! & 0x7f);
    o = 10 + size + (b[5]! & 0x10 ? 10 : 0);
  }
  // Some encoders pad between the tag and the first frame; look a little way for it.
  const limit = Math.min(b.length, o + 4096);
  for (; o < limit; o++) {
    const f = mp3Frame(b, o);
    if (!f) continue;
    const next = o + f.len;
    // One frame that ends the file exactly, or a second frame right after the first.
    if (next === b.length || mp3Frame(b, next)) return { format: 'mp3', codec: 'mp3', channels: f.channels, sampleRate: f.rate };
  }
  return fail('an MP3 file without MPEG Layer III audio frames');
}

/** What the file is, or a SoundFormatError saying why it is not a sound we play. */
export function readSoundInfo(b: Uint8Array): SoundInfo {
  if (b.length === 0) fail('an empty file');
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WAVE') return wav(b);
  if (ascii(b, 0, 4) === 'OggS') return ogg(b);
  if (ascii(b, 0, 3) === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0)) return mp3(b);
  return fail('not a WAV, Ogg or MP3 sound');
}
