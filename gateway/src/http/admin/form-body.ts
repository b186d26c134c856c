// Reads an application/x-www-form-urlencoded body (the sign-in and sign-out forms), up to `limit` bytes.
import type { Context } from 'koa';
import { HeraldError } from '../../protocol/errors.ts';

export async function readForm(ctx: Context, limit = 16 * 1024): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new HeraldError('unsupported_media_type', 'send the form as application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      ctx.req.resume();
      throw new HeraldError('too_large', `form over ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
