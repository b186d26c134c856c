// The core's sound check on real files: WAV, Ogg Vorbis, Ogg Opus and MP3 encoded by Debian's
// lame / oggenc / opusenc from one of Herald's own tones (test/fixtures/sounds/make-fixtures.sh),
// and files that only look like sounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SoundFormatError, oggPageCrc, readSoundInfo } from './sound-format.ts';

const FIX = path.resolve(import.meta.dirname, '../../../../test/fixtures/sounds');
const file = (name: string) => new Uint8Array(readFileSync(path.join(FIX, name)));

test('real WAV, Ogg Vorbis, Ogg Opus and MP3 files are read from their headers', () => {
  assert.deepEqual(readSoundInfo(file('tone.wav')), { format: 'wav', codec: 'pcm', channels: 1, sampleRate: 22050, durationMs: 330 });
  assert.deepEqual(readSoundInfo(file('tone.ogg')), { format: 'ogg', codec: 'vorbis', channels: 1, sampleRate: 22050 });
  assert.deepEqual(readSoundInfo(file('tone.opus')), { format: 'ogg', codec: 'opus', channels: 1, sampleRate: 48000 });
  assert.deepEqual(readSoundInfo(file('tone.mp3')), { format: 'mp3', codec: 'mp3', channels: 1, sampleRate: 22050 });
});

test('an MP3 behind an ID3v2 tag is found', () => {
  const tag = new Uint8Array(10 + 300);
  tag.set([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 2, 44]); // "ID3" v2.4, size 2×128+44 = 300 (synchsafe)
  const b = new Uint8Array([...tag, ...file('tone.mp3')]);
  assert.equal(readSoundInfo(b).format, 'mp3');
});

const refused = (b: Uint8Array, reason: RegExp) => assert.throws(() => readSoundInfo(b), (e: Error) => e instanceof SoundFormatError && reason.test(e.message));

test('files that only look like sounds are refused, each with its reason', () => {
  refused(new Uint8Array(0), /empty/);
  refused(new TextEncoder().encode('hello, this is text'), /not a WAV, Ogg or MP3/);
  refused(file('fake.wav'), /WAV file without a format chunk/);
  refused(file('truncated.mp3'), /without MPEG Layer III audio frames/);
  // The WAV's format tag set to 2 (MS ADPCM), its data chunk gone, its block size wrong.
  const wav = file('tone.wav');
  const adpcm = wav.slice();
  adpcm[20] = 2;
  refused(adpcm, /compressed format \(format tag 2\)/);
  refused(wav.slice(0, 40), /without sound data/);
  const align = wav.slice();
  align[32] = 4;
  refused(align, /block size/);
  // One flipped byte in the Ogg page: its CRC no longer matches; cut off inside the first page.
  const ogg = file('tone.ogg');
  const flipped = ogg.slice();
  flipped[40] = flipped[40]! ^ 0xff;
  refused(flipped, /checksum mismatch/);
  refused(ogg.slice(0, 40), /cut off in its first page/);
  // An Ogg stream of another codec (a valid page whose packet is no Vorbis/Opus header).
  const theora = ogg.slice();
  theora.set(new TextEncoder().encode('\x80theora'), 28);
  const pageLen = 27 + theora[26]! + [...theora.subarray(27, 27 + theora[26]!)].reduce((a, x) => a + x, 0);
  new DataView(theora.buffer).setUint32(22, oggPageCrc(theora, pageLen), true);
  refused(theora, /without Vorbis or Opus/);
  // MPEG Layer II (an MP2): the layer bits of its one frame say 2, not Layer III.
  const mp2 = file('tone.mp3').slice(0, 208);
  assert.equal(readSoundInfo(mp2.slice()).format, 'mp3', 'the one frame as it is');
  mp2[1] = (mp2[1]! & ~0x06) | 0x04;
  refused(mp2, /without MPEG Layer III/);
});
