// A WebSocket client for the fuzz suites: collects what the server sends, knows how it closed, and
// can write raw frames (RFC 6455 §5.2) that no well-behaved library would send — reserved opcodes
// and RSV bits, unmasked or fragmented control frames, orphan continuations, invalid UTF-8 text.
import type net from 'node:net';
import WebSocket from 'ws';
import type { Rng } from './prng.ts';

export interface WsProbe {
  ws: WebSocket;
  /** Text messages received so far. */
  texts: string[];
  /** The close code, once closed (1006: the TCP connection ended without a close frame). */
  closeCode: number | undefined;
  closed: Promise<number>;
  /** The first text after index `from` matching `pred`, or 'closed', or 'hung' after `ms`. */
  waitText(pred: (s: string) => boolean, from: number, ms?: number): Promise<'ok' | 'closed' | 'hung'>;
  raw(frame: Buffer): void;
}

export async function openWs(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<WsProbe> {
  const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, maxPayload: 16 * 1024 * 1024 });
  const texts: string[] = [];
  const waiters = new Set<() => void>();
  let closeCode: number | undefined;
  const closed = new Promise<number>((resolve) =>
    ws.on('close', (code) => {
      closeCode = code;
      resolve(code);
      for (const w of waiters) w();
    }),
  );
  ws.on('error', () => undefined);
  ws.on('message', (d, isBinary) => {
    texts.push(isBinary ? `<binary ${(d as Buffer).length}>` : String(d));
    for (const w of waiters) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const probe: WsProbe = {
    ws,
    texts,
    get closeCode() {
      return closeCode;
    },
    closed,
    waitText(pred, from, ms = 8000) {
      return new Promise((resolve) => {
        const check = () => {
          if (texts.slice(from).some(pred)) done('ok');
          else if (closeCode !== undefined) done('closed');
        };
        const done = (r: 'ok' | 'closed' | 'hung') => {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(r);
        };
        const timer = setTimeout(() => done('hung'), ms);
        waiters.add(check);
        check();
      });
    },
    raw(frame) {
      (ws as unknown as { _socket: net.Socket })._socket.write(frame);
    },
  };
  return probe;
}

/** A client frame (masked unless told otherwise). */
export function wsFrame(opcode: number, payload: Buffer, o: { fin?: boolean; rsv?: number; mask?: boolean } = {}): Buffer {
  const mask = o.mask ?? true;
  const len = payload.length;
  const head = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else head.push(m | 127, 0, 0, 0, 0, (len >>> 24) & 0xff, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff);
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** A frame that breaks RFC 6455 one way or another (the server must close with a protocol error code, and only this connection). */
export function badFrame(rng: Rng): { frame: Buffer; note: string } {
  const text = Buffer.from('{"type":"ping"}');
  const kinds: [string, () => Buffer][] = [
    ['reserved opcode', () => wsFrame(rng.pick([3, 4, 5, 6, 7, 0xb, 0xc, 0xf]), text)],
    ['rsv bits', () => wsFrame(1, text, { rsv: 1 + rng.int(7) })],
    ['unmasked', () => wsFrame(1, text, { mask: false })],
    ['fragmented ping', () => wsFrame(9, Buffer.from('x'), { fin: false })],
    ['control over 125 bytes', () => wsFrame(9, Buffer.alloc(200, 0x61))],
    ['orphan continuation', () => wsFrame(0, text)],
    ['invalid UTF-8 text', () => wsFrame(1, Buffer.from([0x7b, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x7d]))],
    ['close with a bad code', () => wsFrame(8, Buffer.from([0x03, 0xe7]))],
    ['close with a 1-byte body', () => wsFrame(8, Buffer.from([0x03]))],
    ['length over 2^53', () => Buffer.from([0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4])],
  ];
  const [note, make] = rng.pick(kinds);
  return { frame: make(), note };
}
