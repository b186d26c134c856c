// POST /api/v1/enroll (one-time enrollment token → device token), POST /api/v1/session
// (user + password → device token), DELETE /api/v1/session (sign this device out).
import type Router from '@koa/router';
import type { Directory } from '../../directory/directory.ts';
import type { RateLimiter } from '../../directory/rate-limit.ts';
import type { TokenService } from '../../directory/tokens.ts';
import { EnrollRequestSchema, SessionRequestSchema, type AuthResponse } from '../../protocol/api.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { AccountRow } from '../../store/index.ts';
import { authOf, requireDevice } from '../auth.ts';
import { readJson } from '../json-body.ts';

export interface AuthRouteDeps {
  directory: Directory;
  tokens: TokenService;
  perAddress: RateLimiter;
  bodyLimit: number;
}

const answer = (deviceToken: string, a: AccountRow): AuthResponse => ({
  deviceToken,
  user: { address: a.address, displayName: a.displayName },
});

export function authRoutes(router: Router, { directory, tokens, perAddress, bodyLimit }: AuthRouteDeps): void {
  router.post('/enroll', async (ctx) => {
    const req = await readJson(ctx, EnrollRequestSchema, bodyLimit);
    perAddress.check(ctx.ip);
    try {
      const r = tokens.redeemEnroll(req.token, req.device ?? null);
      ctx.body = answer(r.deviceToken, r.account);
    } catch (e) {
      if (e instanceof HeraldError && e.status === 401) perAddress.fail(ctx.ip);
      throw e;
    }
  });

  router.post('/session', async (ctx) => {
    const req = await readJson(ctx, SessionRequestSchema, bodyLimit);
    const account = await directory.authenticate(req.user, req.password, ctx.ip);
    ctx.body = answer(tokens.issueDevice(account, req.device ?? null), account);
  });

  router.delete('/session', requireDevice(tokens), (ctx) => {
    const { account, deviceId } = authOf(ctx);
    tokens.revoke(account.address, deviceId);
    ctx.status = 204;
  });
}
