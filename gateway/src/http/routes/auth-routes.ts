// POST /api/v1/enroll (one-time enrollment token → device token), POST /api/v1/session
// (user + password → device token), DELETE /api/v1/session (sign this device out).
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from '../../config/logger.ts';
import type { Directory } from '../../directory/directory.ts';
import type { RateLimiter } from '../../directory/rate-limit.ts';
import type { TokenService } from '../../directory/tokens.ts';
import { EnrollRequestSchema, SessionRequestSchema, type AuthResponse } from '../../protocol/api.ts';
import { HeraldError } from '../../protocol/errors.ts';
import { platformFromBrowser } from '../../provisioning/build-catalog.ts';
import type { AccountRow } from '../../store/index.ts';
import { authOf, requireDevice } from '../auth.ts';
import { readJson } from '../json-body.ts';

export interface AuthRouteDeps {
  directory: Directory;
  tokens: TokenService;
  perAddress: RateLimiter;
  bodyLimit: number;
  log: Logger;
}

const answer = (deviceToken: string, a: AccountRow): AuthResponse => ({
  deviceToken,
  user: { address: a.address, displayName: a.displayName },
});

/** The platform the device named, else what its browser's User-Agent shows (admins see it in `token list`). */
const platformOf = (ctx: Context, named: string | undefined): string | null =>
  named || platformFromBrowser(ctx.get('user-agent'), { platform: ctx.get('sec-ch-ua-platform') || undefined }) || null;

export function authRoutes(router: Router, { directory, tokens, perAddress, bodyLimit, log }: AuthRouteDeps): void {
  router.post('/enroll', async (ctx) => {
    const req = await readJson(ctx, EnrollRequestSchema, bodyLimit);
    perAddress.check(ctx.ip);
    try {
      const r = tokens.redeemEnroll(req.token, req.device ?? null, platformOf(ctx, req.platform));
      log.info({ user: r.account.address, ip: ctx.ip, device: req.device }, 'device enrolled');
      ctx.body = answer(r.deviceToken, r.account);
    } catch (e) {
      if (e instanceof HeraldError && e.status === 401) {
        perAddress.fail(ctx.ip);
        log.info({ ip: ctx.ip, code: e.code }, `enrollment refused: ${e.message}`);
      }
      throw e;
    }
  });

  router.post('/session', async (ctx) => {
    const req = await readJson(ctx, SessionRequestSchema, bodyLimit);
    let account: AccountRow;
    try {
      account = await directory.authenticate(req.user, req.password, ctx.ip);
    } catch (e) {
      // What an admin looks for after "I cannot log in" — or during an attack.
      if (e instanceof HeraldError && (e.code === 'invalid_credentials' || e.code === 'rate_limited')) {
        log.warn({ user: req.user, ip: ctx.ip }, e.code === 'rate_limited' ? `login refused, rate limited: ${e.message}` : 'login failed: wrong user name or password');
      }
      throw e;
    }
    log.info({ user: account.address, ip: ctx.ip, device: req.device }, 'signed in');
    ctx.body = answer(tokens.issueDevice(account, req.device ?? null, platformOf(ctx, req.platform)), account);
  });

  router.delete('/session', requireDevice(tokens), (ctx) => {
    const { account, deviceId } = authOf(ctx);
    tokens.revoke(account.address, deviceId);
    ctx.status = 204;
  });
}
