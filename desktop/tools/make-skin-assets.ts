// Generates the bundled skins' images and sounds (styles/<Name>/images, sounds) from code, so
// every asset is license-clean and reproducible:  node --import tsx desktop/tools/make-skin-assets.ts
// PNGs are drawn pixel by pixel (RGBA, zlib); sounds are 16-bit mono PCM WAV tones.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

type RGBA = [number, number, number, number];
const root = path.resolve(import.meta.dirname, '../../styles');

// ---- PNG -------------------------------------------------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(w: number, h: number, px: RGBA[]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(h * (1 + w * 4));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(px[y * w + x]!, y * (1 + w * 4) + 1 + x * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

class Canvas {
  px: RGBA[];
  constructor(readonly w: number, readonly h: number) {
    this.px = Array.from({ length: w * h }, () => [0, 0, 0, 0] as RGBA);
  }
  set(x: number, y: number, c: RGBA) {
    if (x >= 0 && y >= 0 && x < this.w && y < this.h) this.px[Math.floor(y) * this.w + Math.floor(x)] = c;
  }
  rect(x0: number, y0: number, x1: number, y1: number, c: RGBA) {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) this.set(x, y, c);
  }
  line(x0: number, y0: number, x1: number, y1: number, c: RGBA) {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0)) * 2 + 1;
    for (let i = 0; i <= n; i++) this.set(Math.round(x0 + ((x1 - x0) * i) / n), Math.round(y0 + ((y1 - y0) * i) / n), c);
  }
  disc(cx: number, cy: number, r: number, c: RGBA) {
    for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) if (x * x + y * y <= r * r + r * 0.6) this.set(cx + x, cy + y, c);
  }
  png() {
    return png(this.w, this.h, this.px);
  }
}

interface Palette {
  paper: RGBA;
  edge: RGBA;
  badge: RGBA;
  off: RGBA;
  bubble: RGBA;
}

function envelope(p: Palette, size: number, variant: 'idle' | 'new' | 'offline'): Buffer {
  const c = new Canvas(size, size);
  const s = size / 32;
  const [x0, y0, x1, y1] = [Math.round(3 * s), Math.round(8 * s), Math.round(28 * s), Math.round(24 * s)];
  const paper = variant === 'offline' ? p.off : p.paper;
  c.rect(x0, y0, x1, y1, paper);
  c.rect(x0, y0, x1, y0, p.edge);
  c.rect(x0, y1, x1, y1, p.edge);
  c.rect(x0, y0, x0, y1, p.edge);
  c.rect(x1, y0, x1, y1, p.edge);
  const mx = Math.round((x0 + x1) / 2);
  const my = Math.round(y0 + (y1 - y0) * 0.6);
  c.line(x0, y0, mx, my, p.edge);
  c.line(x1, y0, mx, my, p.edge);
  if (variant === 'new') c.disc(Math.round(25 * s), Math.round(8 * s), Math.max(2, Math.round(5 * s)), p.badge);
  if (variant === 'offline') for (let d = -1; d <= 1; d++) c.line(Math.round(4 * s) + d, Math.round(28 * s), Math.round(28 * s) + d, Math.round(4 * s), p.badge);
  return c.png();
}

function bubble(p: Palette, size: number): Buffer {
  const c = new Canvas(size, size);
  const s = size / 32;
  c.disc(Math.round(16 * s), Math.round(14 * s), Math.round(11 * s), p.edge);
  c.disc(Math.round(16 * s), Math.round(14 * s), Math.round(10 * s) - 1, p.bubble);
  for (let i = 0; i < Math.round(6 * s); i++) c.line(Math.round(9 * s), Math.round(22 * s) + i, Math.round(9 * s) - i, Math.round(22 * s) + i, p.edge);
  for (const dx of [-6, 0, 6]) c.disc(Math.round((16 + dx) * s), Math.round(14 * s), Math.max(1, Math.round(1.2 * s)), p.edge);
  return c.png();
}

// ---- WAV -------------------------------------------------------------------------------------
function wav(tones: { hz: number; ms: number; gain?: number }[], rate = 22050): Buffer {
  const samples: number[] = [];
  for (const t of tones) {
    const n = Math.round((rate * t.ms) / 1000);
    for (let i = 0; i < n; i++) {
      const env = Math.min(1, i / (rate * 0.005)) * Math.exp((-3 * i) / n); // 5 ms attack, exponential decay
      samples.push(t.hz ? Math.sin((2 * Math.PI * t.hz * i) / rate) * env * (t.gain ?? 0.5) : 0);
    }
  }
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => data.writeInt16LE(Math.round(v * 32767), i * 2));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

function write(skin: string, rel: string, data: Buffer) {
  const file = path.join(root, skin, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  console.log(`${path.relative(process.cwd(), file)}  ${data.length} bytes`);
}

const light: Palette = { paper: [255, 255, 255, 255], edge: [52, 84, 140, 255], badge: [226, 68, 52, 255], off: [200, 204, 210, 255], bubble: [222, 236, 255, 255] };
const classic: Palette = { paper: [255, 244, 196, 255], edge: [0, 0, 128, 255], badge: [255, 0, 0, 255], off: [192, 192, 192, 255], bubble: [255, 255, 225, 255] };
// Dark: a light outline that reads on dark taskbars and panels, the accent of the Dark skin.
const dark: Palette = { paper: [52, 58, 74, 255], edge: [196, 208, 255, 255], badge: [255, 104, 88, 255], off: [84, 88, 98, 255], bubble: [62, 80, 132, 255] };

for (const [skin, p, size] of [['Default', light, 32], ['Classic', classic, 16], ['Dark', dark, 32]] as const) {
  write(skin, 'images/tray-idle.png', envelope(p, size, 'idle'));
  write(skin, 'images/tray-new-mail.png', envelope(p, size, 'new'));
  write(skin, 'images/tray-offline.png', envelope(p, size, 'offline'));
  write(skin, 'images/tray-chat.png', bubble(p, size));
}
// Every skin has a sound for every event (shared/settings.ts SoundEventSchema), each one distinct:
// new mail a two-note call, a message in one soft note, a message sent a short high tick, a contact
// coming online rising and going offline falling, a file received a three-note arpeggio.
write('Default', 'sounds/new-mail.wav', wav([{ hz: 880, ms: 110 }, { hz: 1320, ms: 220 }]));
write('Default', 'sounds/message-in.wav', wav([{ hz: 660, ms: 90, gain: 0.4 }]));
write('Default', 'sounds/message-out.wav', wav([{ hz: 1175, ms: 60, gain: 0.25 }]));
write('Default', 'sounds/contact-online.wav', wav([{ hz: 523, ms: 70, gain: 0.3 }, { hz: 784, ms: 110, gain: 0.3 }]));
write('Default', 'sounds/contact-offline.wav', wav([{ hz: 784, ms: 70, gain: 0.3 }, { hz: 523, ms: 110, gain: 0.3 }]));
write('Default', 'sounds/file-received.wav', wav([{ hz: 698, ms: 70, gain: 0.35 }, { hz: 880, ms: 70, gain: 0.35 }, { hz: 1047, ms: 160, gain: 0.35 }]));
// ServerMessage (herald@: scripts, alert rules, reminders): a two-tone bell, apart from a person's message.
write('Default', 'sounds/server-message.wav', wav([{ hz: 784, ms: 140, gain: 0.3 }, { hz: 1047, ms: 260, gain: 0.3 }]));
// Classic: square-ish PC-speaker beeps at 11 kHz, the way XP-era messengers sounded.
write('Classic', 'sounds/new-mail.wav', wav([{ hz: 1046, ms: 80 }, { hz: 0, ms: 40 }, { hz: 1046, ms: 80 }, { hz: 0, ms: 40 }, { hz: 1568, ms: 200 }], 11025));
write('Classic', 'sounds/message-in.wav', wav([{ hz: 988, ms: 120, gain: 0.4 }], 11025));
write('Classic', 'sounds/message-out.wav', wav([{ hz: 1319, ms: 50, gain: 0.3 }], 11025));
write('Classic', 'sounds/contact-online.wav', wav([{ hz: 659, ms: 80, gain: 0.35 }, { hz: 988, ms: 120, gain: 0.35 }], 11025));
write('Classic', 'sounds/contact-offline.wav', wav([{ hz: 988, ms: 80, gain: 0.35 }, { hz: 659, ms: 120, gain: 0.35 }], 11025));
write('Classic', 'sounds/file-received.wav', wav([{ hz: 784, ms: 60, gain: 0.35 }, { hz: 0, ms: 30 }, { hz: 784, ms: 60, gain: 0.35 }, { hz: 0, ms: 30 }, { hz: 1175, ms: 140, gain: 0.35 }], 11025));
write('Classic', 'sounds/server-message.wav', wav([{ hz: 1319, ms: 90, gain: 0.35 }, { hz: 0, ms: 30 }, { hz: 988, ms: 180, gain: 0.35 }], 11025));
// Dark: softer and lower than Default, so an evening pop-up does not startle.
write('Dark', 'sounds/new-mail.wav', wav([{ hz: 587, ms: 120, gain: 0.35 }, { hz: 880, ms: 260, gain: 0.35 }]));
write('Dark', 'sounds/message-in.wav', wav([{ hz: 523, ms: 110, gain: 0.3 }]));
write('Dark', 'sounds/message-out.wav', wav([{ hz: 880, ms: 60, gain: 0.2 }]));
write('Dark', 'sounds/contact-online.wav', wav([{ hz: 440, ms: 80, gain: 0.25 }, { hz: 659, ms: 120, gain: 0.25 }]));
write('Dark', 'sounds/contact-offline.wav', wav([{ hz: 659, ms: 80, gain: 0.25 }, { hz: 440, ms: 120, gain: 0.25 }]));
write('Dark', 'sounds/file-received.wav', wav([{ hz: 659, ms: 70, gain: 0.3 }, { hz: 784, ms: 70, gain: 0.3 }, { hz: 988, ms: 160, gain: 0.3 }]));
write('Dark', 'sounds/server-message.wav', wav([{ hz: 659, ms: 140, gain: 0.25 }, { hz: 880, ms: 260, gain: 0.25 }]));
