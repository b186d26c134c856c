// Turns every failure into `{error:{code,message}}` with an honest status; unknown errors are
// logged with their stack and answered with a plain 500 (never a stack trace to the client).
import type { Context, Next } from 'koa';
import type { Logger } from '../config/logger.ts';
import { ERROR_STATUS, HeraldError, type ErrorCode } from '../protocol/errors.ts';

export function sendError(ctx: Context, code: ErrorCode, message: string): void {
  ctx.status = ERROR_STATUS[code];
  ctx.body = { error: { code, message } };
}

export function errorHandler(log: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) sendError(ctx, 'not_found', `no such resource: ${ctx.method} ${ctx.path}`);
    } catch (e) {
      if (e instanceof HeraldError) {
        sendError(ctx, e.code, e.message);
        if (e.details.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(e.details.retryAfterSeconds));
        if (e.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="herald"');
        if (e.status >= 500) log.warn({ path: ctx.path, code: e.code }, e.message);
        return;
      }
      const status = (e as { status?: number }).status;
      if (status === 405) return sendError(ctx, 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
      if (status === 501) return sendError(ctx, 'method_not_allowed', `${ctx.method} is not supported`);
      // A request whose body broke off (a bad chunk, a reset) is the client's failure, not a bug:
      // its connection is already gone, and a client must not be able to fill the error log.
      if (ctx.req.destroyed || ctx.req.socket.destroyed) {
        log.info({ path: ctx.path, method: ctx.method, err: (e as Error).message }, 'request broken off by the client');
        return;
      }
      log.error({ err: e, path: ctx.path, method: ctx.method }, 'request failed');
      sendError(ctx, 'internal', 'internal error; the gateway log has the details');
    }
  };
}
