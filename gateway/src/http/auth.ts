// Bearer device tokens: every /api/v1 call but enroll and session names its user this way,
// and sees only that user's data.
import type { Context, Next } from 'koa';
import type { TokenService } from '../directory/tokens.ts';
import { HeraldError } from '../protocol/errors.ts';
import type { AccountRow } from '../store/index.ts';

export interface AuthState {
  account: AccountRow;
  deviceId: number;
}

/** The token from `Authorization: Bearer ...` (or, for WebSocket clients that cannot set headers, `?access_token=`). */
export function bearerToken(authorization: string | undefined, query?: URLSearchParams): string | undefined {
  const m = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (m) return m[1];
  return query?.get('access_token') ?? undefined;
}

/** `remoteAddress`: the client's (Koa's ctx.ip, which follows http.trustProxy), the device's last address. */
export function authenticateToken(tokens: TokenService, token: string | undefined, remoteAddress?: string): AuthState {
  if (!token) throw new HeraldError('unauthorized', 'missing Authorization: Bearer <device token>');
  const r = tokens.verifyDevice(token, remoteAddress);
  return { account: r.account, deviceId: r.deviceId };
}

export function requireDevice(tokens: TokenService) {
  // verifyDevice records the device's last use and address (written at most once a minute per
  // device, or when the address changes).
  return async (ctx: Context, next: Next) => {
    const auth = authenticateToken(tokens, bearerToken(ctx.get('authorization') || undefined), ctx.ip);
    ctx.state.auth = auth;
    await next();
  };
}

export const authOf = (ctx: Context): AuthState => ctx.state.auth as AuthState;
