// ejabberd's external authentication protocol (ejabberd docs, "extauth_program"; its extauth.erl
// opens the program as an Erlang port with {packet, 2}): every request is a 2-byte big-endian
// length and that many bytes, `op:User:Server[:Password]` in UTF-8; every answer is the length 2
// and 0x0000 (false) or 0x0001 (true). One answer per request, in order, whatever the request
// holds: a request we cannot read is answered false, so the two sides never drift apart.
//
// Fields: the user and server cannot contain ':' (XMPP localparts and domains exclude it,
// RFC 7622 §3.3.1), the password can: it is everything after the third colon.

/** What ejabberd asks. Accounts are Herald's: setpass, tryregister and removeuser* are refused. */
export type ExtauthRequest =
  | { op: 'auth' | 'setpass' | 'tryregister' | 'removeuser3'; user: string; server: string; password: string }
  | { op: 'isuser' | 'removeuser'; user: string; server: string };

/** A frame that is not a request we know; `why` never contains the frame (it may hold a password). */
export interface UnreadableRequest {
  op: undefined;
  why: string;
}

const WITH_PASSWORD = new Set(['auth', 'setpass', 'tryregister', 'removeuser3']);
const WITHOUT_PASSWORD = new Set(['isuser', 'removeuser']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

export const ANSWER_TRUE = Buffer.from([0, 2, 0, 1]);
export const ANSWER_FALSE = Buffer.from([0, 2, 0, 0]);
export const answer = (ok: boolean): Buffer => (ok ? ANSWER_TRUE : ANSWER_FALSE);

/** Frames a request as ejabberd does (tests, and a peer that speaks to the program). */
export function encodeRequest(text: string | Buffer): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (body.length > 0xffff) throw new RangeError(`an extauth request holds at most 65,535 bytes, not ${body.length}`);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(body.length);
  return Buffer.concat([head, body]);
}

/** Splits the byte stream into frames, however the pipe cut it into chunks. */
export function createFrameDecoder() {
  let buffered: Buffer = Buffer.alloc(0);
  return {
    /** The complete frames the chunk finished (possibly none, possibly several). */
    push(chunk: Buffer): Buffer[] {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      const frames: Buffer[] = [];
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        frames.push(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
      }
      return frames;
    },
    /** Bytes of a frame not complete yet (at the end of input: a request cut short). */
    get pending(): number {
      return buffered.length;
    },
  };
}

export function parseRequest(frame: Buffer): ExtauthRequest | UnreadableRequest {
  let text: string;
  try {
    text = utf8.decode(frame);
  } catch {
    return { op: undefined, why: 'not UTF-8' };
  }
  const first = text.indexOf(':');
  const op = first < 0 ? text : text.slice(0, first);
  if (!WITH_PASSWORD.has(op) && !WITHOUT_PASSWORD.has(op)) return { op: undefined, why: `unknown operation "${op.slice(0, 20)}"` };
  const rest = text.slice(first + 1);
  if (WITH_PASSWORD.has(op)) {
    const m = /^([^:]*):([^:]*):([\s\S]*)$/.exec(rest);
    if (first < 0 || !m) return { op: undefined, why: `${op} needs User:Server:Password` };
    return { op: op as 'auth', user: m[1]!, server: m[2]!, password: m[3]! };
  }
  const m = /^([^:]*):([^:]*)$/.exec(rest);
  if (first < 0 || !m) return { op: undefined, why: `${op} needs User:Server` };
  return { op: op as 'isuser', user: m[1]!, server: m[2]! };
}
