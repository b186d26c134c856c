// Reads and validates a JSON request body: 415 unless it is JSON, 413 past the size limit,
// 400 for bad JSON or a body that does not match the schema (naming the field).
import type { Context } from 'koa';
import type { z } from 'zod';
import { HeraldError } from '../protocol/errors.ts';

export async function readJson<S extends z.ZodType>(ctx: Context, schema: S, limit: number): Promise<z.infer<S>> {
  if (!ctx.is('application/json')) throw new HeraldError('unsupported_media_type', 'send the body as application/json');
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) {
    ctx.req.resume();
    throw new HeraldError('too_large', `request body over ${limit} bytes`);
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
      throw new HeraldError('too_large', `request body over ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
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
