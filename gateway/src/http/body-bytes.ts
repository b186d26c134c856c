// A request body read whole, up to `limit` bytes: refused up front by its Content-Length, or as
// soon as a chunked body passes the limit. The one reader behind the JSON API, the download form
// and the admin console's forms.
import type { Context } from 'koa';

export async function readBodyBytes(ctx: Context, limit: number, tooLarge: () => Error): Promise<Buffer> {
  if (Number(ctx.get('content-length') || 0) > limit) {
    ctx.req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Not destroyOnReturn: leaving the loop early (too large) must not destroy the request — Koa
  // would then answer a plain-text 500 before our 413 (a chunked body has no Content-Length to
  // refuse it by up front).
  for await (const chunk of ctx.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      ctx.req.resume();
      ctx.set('Connection', 'close');
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
