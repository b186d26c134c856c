// Typed failures of the chat, so the UI decides by code, never by message text.

export type ChatErrorCode =
  /** Not connected (or the connection dropped while waiting for an answer). */
  | 'not_connected'
  /** The request itself is wrong (bad address, empty text, not in that room...). */
  | 'bad_request'
  /** Wrong credentials, revoked token, or no way to sign in safely. */
  | 'auth_failed'
  /** The server has no such service (no conference or upload service found by disco). */
  | 'not_supported'
  /** The server (or room, or upload service) answered with an error. */
  | 'refused'
  /** No answer in time. */
  | 'timeout'
  /** The file is too large for the upload service, or the HTTP upload failed. */
  | 'upload_failed';

export class ChatError extends Error {
  override name = 'ChatError';
  constructor(
    readonly code: ChatErrorCode,
    message: string,
    /** The XMPP error condition (RFC 6120 §8.3.3), when the server gave one. */
    readonly condition?: string,
  ) {
    super(message);
  }
}

/** A ChatError for an error answer of xmpp.js (StanzaError has `condition` and `text`). */
export function fromStanzaError(e: unknown, what: string): ChatError {
  if (e instanceof ChatError) return e;
  const err = e as { name?: string; condition?: string; text?: string; message?: string };
  if (err?.name === 'StanzaError' && err.condition) return new ChatError('refused', `${what}: ${err.condition}${err.text ? ` (${err.text})` : ''}`, err.condition);
  if (err?.name === 'TimeoutError') return new ChatError('timeout', `${what}: no answer in time`);
  return new ChatError('not_connected', `${what}: ${err?.message ?? String(e)}`);
}
