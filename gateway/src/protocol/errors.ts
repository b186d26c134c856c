// Error codes of the HTTP API and the events socket (`{error:{code,message}}`), with their status.
export const ERROR_STATUS = {
  bad_request: 400,
  bad_json: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  invalid_token: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  /** The change would break something that still depends on it (a domain that still has accounts). */
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  /** Too many password checks at once (directory/hash-gate.ts): try again after Retry-After. */
  busy: 429,
  internal: 500,
  mail_unavailable: 503,
  directory_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A failure with an API error code; the HTTP layer turns it into `{error:{code,message}}`. */
export class HeraldError extends Error {
  override name = 'HeraldError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
