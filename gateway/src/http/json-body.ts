// Reads and validates a JSON request body: 415 unless it is JSON, 413 past the size limit,
// 400 for bad JSON or a body that does not match the schema (naming the field).
import type { Context } from 'koa';
import type { z } from 'zod';
import { HeraldError } from '../protocol/errors.ts';
import { readBodyBytes } from './body-bytes.ts';

export async function readJson<S extends z.ZodType>(ctx: Context, schema: S, limit: number): Promise<z.infer<S>> {
  if (!ctx.is('application/json')) throw new HeraldError('unsupported_media_type', 'send the body as application/json');
  const body = await readBodyBytes(ctx, limit, () => new HeraldError('too_large', `request body over ${limit} bytes`));
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HeraldError('bad_json', `the body is not valid JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.');
    const what = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : `${field ? `field "${field}"` : 'body'}: ${issue.message}`;
    throw new HeraldError('bad_request', what);
  }
  return r.data;
}
