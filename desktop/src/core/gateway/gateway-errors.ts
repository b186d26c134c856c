// Typed failures of talking to the gateway, so callers decide by kind, never by message text.

/** No answer: connection refused, DNS, timeout, TLS. */
export class GatewayUnreachableError extends Error {
  override name = 'GatewayUnreachableError';
}

/** 401: the device token is unknown, revoked, or the user was deleted — sign out. */
export class AuthRevokedError extends Error {
  override name = 'AuthRevokedError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** An error answer of the API (`{error:{code,message}}`), e.g. 401 invalid_credentials, 429, 503 mail_unavailable. */
export class GatewayApiError extends Error {
  override name = 'GatewayApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The gateway answered something that is not the API (a proxy's HTML page, a wrong URL). */
export class GatewayProtocolError extends Error {
  override name = 'GatewayProtocolError';
}

export const isMailUnavailable = (e: unknown): e is GatewayApiError => e instanceof GatewayApiError && e.status === 503;
