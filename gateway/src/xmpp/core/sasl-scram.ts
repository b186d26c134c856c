// SASL SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677), server side, without channel binding
// (-PLUS is not offered). One exchange per authentication attempt.
import { randomBytes } from 'node:crypto';
import { verifyScramProof, type ScramHash, type ScramKeys } from '../../directory/scram.ts';

export const SCRAM_MECHANISMS: Record<string, ScramHash> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-1': 'sha1' };

export class ScramError extends Error {
  override name = 'ScramError';
  constructor(
    /** SASL failure condition (RFC 6120 §6.5). */
    readonly condition: 'malformed-request' | 'not-authorized' | 'invalid-authzid',
    message: string,
  ) {
    super(message);
  }
}

const attrs = (s: string) => {
  const out = new Map<string, string>();
  for (const part of s.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new ScramError('malformed-request', `bad SCRAM attribute "${part.slice(0, 20)}"`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
};
const saslName = (s: string) => {
  if (/=(?!2C|3D)/.test(s)) throw new ScramError('malformed-request', 'bad escape in user name');
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
};

export class ScramExchange {
  private gs2 = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private keys: ScramKeys | undefined;
  user = '';
  authzid = '';

  constructor(readonly hash: ScramHash) {}

  /** Reads the client-first-message and answers the server-first-message. `lookup` gives the user's keys. */
  first(message: string, lookup: (user: string) => ScramKeys | undefined): string {
    const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/.exec(message);
    if (!m) throw new ScramError('malformed-request', 'bad GS2 header');
    if (m[1]!.startsWith('p=')) throw new ScramError('malformed-request', 'channel binding is not supported (no -PLUS mechanisms offered)');
    this.gs2 = `${m[1]},${m[2] ?? ''},`;
    this.authzid = m[2] ? saslName(m[2].slice(2)) : '';
    this.clientFirstBare = m[3]!;
    const a = attrs(this.clientFirstBare);
    const user = a.get('n');
    const cnonce = a.get('r');
    if (!user || !cnonce || a.has('m')) throw new ScramError('malformed-request', 'client-first-message needs n= and r=');
    this.user = saslName(user);
    this.keys = lookup(this.user);
    // Unknown users get a plausible challenge and fail at the proof, like everybody else.
    const salt = this.keys?.salt ?? randomBytes(16);
    const iterations = this.keys?.iterations ?? 4096;
    this.nonce = cnonce + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${iterations}`;
    return this.serverFirst;
  }

  /** Checks the client-final-message; returns the server-final-message (v=...) or throws. */
  final(message: string): string {
    const idx = message.lastIndexOf(',p=');
    if (idx === -1) throw new ScramError('malformed-request', 'client-final-message without proof');
    const withoutProof = message.slice(0, idx);
    const a = attrs(withoutProof);
    if (a.get('c') !== Buffer.from(this.gs2).toString('base64')) throw new ScramError('malformed-request', 'channel binding data does not match');
    if (a.get('r') !== this.nonce) throw new ScramError('malformed-request', 'nonce does not match');
    const proof = Buffer.from(message.slice(idx + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = this.keys && verifyScramProof(this.hash, this.keys, authMessage, proof);
    if (!signature) throw new ScramError('not-authorized', 'wrong user name or password');
    return `v=${signature.toString('base64')}`;
  }
}
