// Reads an application/x-www-form-urlencoded body (the console's forms), up to `limit` bytes.
import type { Context } from 'koa';
import { HeraldError } from '../../protocol/errors.ts';
import { readBodyBytes } from '../body-bytes.ts';

export async function readForm(ctx: Context, limit = 16 * 1024): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new HeraldError('unsupported_media_type', 'send the form as application/x-www-form-urlencoded');
  const body = await readBodyBytes(ctx, limit, () => new HeraldError('too_large', `form over ${limit} bytes`));
  return new URLSearchParams(body.toString('utf8'));
}
