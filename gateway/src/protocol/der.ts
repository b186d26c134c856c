// A minimal, bounded DER reader/writer (ITU-T X.690 §8.1, §10.1): just enough to walk a PKCS#7
// SignedData (RFC 2315 §9.1) and rebuild the elements around one that grew. Node has no ASN.1
// module of its own, and the few things needed here (tag, definite length, children) do not
// justify a dependency. Hostile input is expected (a downloaded .exe): every read is checked
// against the bounds of its parent, lengths are capped, and indefinite lengths (BER, not DER)
// and high tag numbers are refused with a DerError — never an out-of-range read.

export class DerError extends Error {
  override name = 'DerError';
}

/** One element: its tag byte, where it starts, where its content starts, and where it ends. */
export interface Tlv {
  tag: number;
  start: number;
  /** Offset of the content (after tag and length). */
  body: number;
  end: number;
}

/** Longest length field accepted: 4 bytes (a Windows certificate table is far smaller). */
const MAX_LENGTH_BYTES = 4;

/** Reads the element at `at`, which must end at or before `limit`. */
export function readTlv(b: Uint8Array, at: number, limit: number): Tlv {
  if (limit > b.length) limit = b.length;
  if (at + 2 > limit) throw new DerError(`truncated element at offset ${at}`);
  const tag = b[at]!;
  // X.690 §8.1.2.4: tag number 31 means more tag bytes follow; nothing we read uses them.
  if ((tag & 0x1f) === 0x1f) throw new DerError(`unsupported high tag number at offset ${at}`);
  const first = b[at + 1]!;
  let len: number;
  let body: number;
  if (first < 0x80) {
    len = first;
    body = at + 2;
  } else if (first === 0x80) {
    throw new DerError(`indefinite length at offset ${at} (BER, not DER)`);
  } else {
    const n = first & 0x7f;
    if (n > MAX_LENGTH_BYTES) throw new DerError(`length of ${n} bytes at offset ${at} is too large`);
    if (at + 2 + n > limit) throw new DerError(`truncated length at offset ${at}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[at + 2 + i]!;
    body = at + 2 + n;
  }
  const end = body + len;
  if (end > limit) throw new DerError(`element at offset ${at} claims ${len} bytes, only ${Math.max(0, limit - body)} are there`);
  return { tag, start: at, body, end };
}

/** The elements inside a constructed element, in order (bounded by the parent). */
export function children(b: Uint8Array, parent: Tlv): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerError(`element at offset ${parent.start} is not constructed`);
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end; ) {
    const t = readTlv(b, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** The DER length field for `n` bytes of content (X.690 §10.1: the shortest form). */
export function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length > MAX_LENGTH_BYTES) throw new DerError(`${n} bytes is too long for an element`);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export const encodeTlv = (tag: number, ...content: Uint8Array[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
};

/** The content bytes of an OBJECT IDENTIFIER (X.690 §8.19) for a dotted OID; big arcs allowed (2.25.<uuid>). */
export function encodeOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2 || arcs[0]! > 2n) throw new DerError(`not an OID: ${dotted}`);
  const out: number[] = [];
  const push = (v: bigint) => {
    const part: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) part.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...part);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Buffer.from(out);
}

/**
 * Replaces the element at the end of `path` (root first) by `replacement` (a whole encoded
 * element) and re-encodes every ancestor's length: the bytes around it stay as they were.
 */
export function replaceInPath(b: Uint8Array, path: readonly Tlv[], replacement: Uint8Array): Buffer {
  let inner: Buffer = Buffer.from(replacement);
  for (let i = path.length - 2; i >= 0; i--) {
    const parent = path[i]!;
    const child = path[i + 1]!;
    inner = encodeTlv(parent.tag, b.subarray(parent.body, child.start), inner, b.subarray(child.end, parent.end));
  }
  return inner;
}
