// RFC 6120 §6 SASL: which mechanism gets which secret. A device token only ever goes with PLAIN
// (RFC 4616) — the gateway checks it like a password, and SCRAM cannot carry it: SCRAM proves a
// password against keys the server derived from that password — and only over an encrypted
// connection (or loopback, as xmpp.js counts it). A password prefers SCRAM-SHA-1 (RFC 5802: it
// never crosses the wire), PLAIN only when SCRAM is not offered and the connection is encrypted.
import type { XmppCredentials } from '@xmpp/client';
import { ChatError } from './chat-errors.ts';

export type Secret = { token: string } | { password: string };

export function chooseMechanism(secret: Secret, offered: readonly string[], secure: boolean): string {
  if ('token' in secret) {
    if (!offered.includes('PLAIN')) throw new ChatError('auth_failed', `the server offers no SASL PLAIN (only ${offered.join(', ') || 'nothing usable'}): a device token cannot be used there`);
    if (!secure) throw new ChatError('auth_failed', 'refusing to send the device token over an unencrypted connection');
    return 'PLAIN';
  }
  if (offered.includes('SCRAM-SHA-1')) return 'SCRAM-SHA-1';
  if (offered.includes('PLAIN') && secure) return 'PLAIN';
  throw new ChatError('auth_failed', `no usable SASL mechanism (offered: ${offered.join(', ') || 'none'}${offered.includes('PLAIN') ? '; PLAIN only over TLS' : ''})`);
}

export function saslCredentials(username: string, secret: Secret): XmppCredentials {
  return async (authenticate, mechanisms, _fast, entity) => {
    const mechanism = chooseMechanism(secret, mechanisms, entity.isSecure());
    await authenticate({ username, password: 'token' in secret ? secret.token : secret.password }, mechanism);
  };
}
