// The HTTP side of HTTP File Upload (XEP-0363 §5): PUT and GET/HEAD /upload/<slot id>/<filename>.
// The slot (store/uploads.ts) was given over XMPP (xmpp/modules/upload.ts); its id is the only
// credential, so no Authorization header is asked for (XEP-0363 §11: the URLs are the secret).
//
// PUT takes exactly the announced bytes with the announced content type, once, before the slot
// expires: the body is streamed to a temp file (size enforced while it streams — one byte over
// and the answer is 413, without reading on) and renamed into place only when complete and
// synced, so an aborted or refused upload leaves nothing behind. One PUT at a time per slot.
// Answers: 201 stored; 404 no such slot (or another filename); 409 already uploaded, or an upload
// to the slot is in progress; 410 the slot expired, or the credential of the session that asked for
// it ended (signed out, password changed, account removed, IM off: directory/credentials.ts); 413 more bytes than announced; 400 fewer
// (or a Content-Length that differs); 415 another content type.
//
// GET/HEAD serve the file with its content type and an honest Content-Disposition — inline only
// for images (not SVG), audio, video and text/plain; attachment for everything else — plus
// `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox; default-src 'none'`,
// so an uploaded HTML page or SVG opened in a browser runs no script in the gateway's origin.
// The content never changes (a slot takes one upload), so the ETag is the slot id and the file
// may be cached privately for long; one byte range (Range/If-Range, 206/416) is supported.
// CORS (`Access-Control-Allow-Origin: *`, OPTIONS preflight) lets web clients upload and fetch.
import { createReadStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from '../../config/logger.ts';
import { normalizeContentType, type UploadSlot, type UploadStore } from '../../store/uploads.ts';

export const UPLOAD_PATH = '/upload/:id/:name';

/** Inline in a browser: pictures (not SVG, which is a document with scripts), sound, video, plain text. */
const INLINE = /^(image\/(?!svg)|audio\/|video\/|text\/plain(;|$))/;

class TooLarge extends Error {}

function fail(ctx: Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.body = { error: { code, message } };
}

/** RFC 6266: a quoted ASCII fallback and the exact name in RFC 8187 encoding. */
function disposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/** One byte range of a `size`-byte file (RFC 9110 §14.2); undefined = serve it all, 'unsatisfiable' = 416. */
function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (!m[1] && !m[2])) return undefined; // several ranges or another unit: the whole file is a valid answer
  if (!m[1]) {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (m[2] && Number(m[2]) < start) return undefined; // invalid: ignored (§14.2)
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

export function uploadRoutes(router: Router, { uploads, log }: { uploads: UploadStore; log: Logger }): void {
  /** Slots with a PUT streaming right now (one gateway process serves HTTP). */
  const inFlight = new Set<string>();

  /** The slot the URL names, if its id and its filename both match. */
  const slotOf = (ctx: Context): UploadSlot | undefined => {
    const slot = uploads.get(String(ctx.params.id));
    return slot && slot.filename === ctx.params.name ? slot : undefined;
  };

  router.use(UPLOAD_PATH, async (ctx, next) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    await next();
  });

  router.options(UPLOAD_PATH, (ctx) => {
    ctx.set('Access-Control-Allow-Methods', 'GET, HEAD, PUT, OPTIONS');
    ctx.set('Access-Control-Allow-Headers', 'Content-Type');
    ctx.set('Access-Control-Max-Age', '86400');
    ctx.set('Allow', 'GET, HEAD, PUT, OPTIONS');
    ctx.status = 204;
  });

  router.put(UPLOAD_PATH, async (ctx) => {
    // Whatever happens before the body is read, the rest of it is not wanted on this connection.
    const refuse = (status: number, code: string, message: string) => {
      if (!ctx.req.readableEnded) ctx.set('Connection', 'close');
      fail(ctx, status, code, message);
    };
    const slot = slotOf(ctx);
    if (!slot) return refuse(404, 'not_found', 'no such upload slot');
    if (slot.uploadedAt !== undefined) return refuse(409, 'already_uploaded', 'this slot has its file already; ask for a new slot');
    if (inFlight.has(slot.id)) return refuse(409, 'upload_in_progress', 'another upload to this slot is in progress');
    if (slot.revokedAt !== undefined) return refuse(410, 'slot_revoked', 'the sign-in that asked for this upload slot has ended; sign in again and ask for a new slot');
    if (Date.now() > slot.expiresAt) return refuse(410, 'slot_expired', 'this upload slot has expired; ask for a new one');

    const header = ctx.get('content-type');
    const type = header ? normalizeContentType(header) : undefined;
    if (header && !type) return refuse(400, 'bad_content_type', `"${header.slice(0, 80)}" is not a content type`);
    if (slot.contentType && type !== slot.contentType) {
      return refuse(415, 'content_type_mismatch', `the slot was given for ${slot.contentType}, not ${type ?? '(no Content-Type)'}`);
    }
    const declared = ctx.get('content-length');
    if (declared) {
      const n = Number(declared);
      if (n > slot.size) return refuse(413, 'too_large', `the slot was given for ${slot.size} bytes, not ${declared}`);
      if (n !== slot.size) return refuse(400, 'size_mismatch', `the slot was given for ${slot.size} bytes, not ${declared}`);
    }

    inFlight.add(slot.id);
    const tmp = uploads.tempFileFor(slot.id);
    let stored = false;
    try {
      const file = await open(tmp, 'wx', 0o600);
      let received = 0;
      try {
        // Not destroyOnReturn: a refused body must leave the request alive for the 413 answer.
        for await (const chunk of ctx.req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
          received += chunk.length;
          if (received > slot.size) throw new TooLarge();
          await file.write(chunk);
        }
        if (received === slot.size) await file.sync();
      } finally {
        await file.close();
      }
      if (received !== slot.size) return refuse(400, 'size_mismatch', `the slot was given for ${slot.size} bytes; ${received} arrived`);
      const dest = uploads.fileOf(slot.id);
      await rename(tmp, dest);
      stored = true;
      if (!uploads.markUploaded(slot.id, slot.contentType || type || 'application/octet-stream')) {
        // The slot went while the body streamed (purged long after it expired, or its credential ended).
        await unlink(dest).catch(() => undefined);
        return refuse(410, 'slot_expired', 'this upload slot has expired or its sign-in ended; ask for a new one');
      }
      log.info({ slot: slot.id, owner: slot.owner, size: received }, 'file uploaded');
      ctx.status = 201;
      ctx.body = { size: received };
    } catch (e) {
      if (e instanceof TooLarge) return refuse(413, 'too_large', `the slot was given for ${slot.size} bytes; more arrived`);
      // The client went away mid-body (aborted): nobody is left to answer.
      if (ctx.req.errored || ctx.req.destroyed) {
        log.info({ slot: slot.id, err: (e as Error).message }, 'upload aborted by the client');
        return refuse(400, 'aborted', 'the upload was interrupted');
      }
      throw e;
    } finally {
      inFlight.delete(slot.id);
      if (!stored) await unlink(tmp).catch(() => undefined);
    }
  });

  router.get(UPLOAD_PATH, async (ctx) => {
    const slot = slotOf(ctx);
    if (!slot || slot.uploadedAt === undefined) return fail(ctx, 404, 'not_found', 'no such file');
    const file = uploads.fileOf(slot.id);
    const size = await stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) {
      log.warn({ slot: slot.id }, 'uploaded file missing on disk');
      return fail(ctx, 404, 'not_found', 'no such file');
    }
    const etag = `"${slot.id}"`;
    ctx.set('ETag', etag);
    ctx.set('Last-Modified', new Date(slot.uploadedAt).toUTCString());
    ctx.set('Cache-Control', 'private, max-age=31536000, immutable');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "sandbox; default-src 'none'");
    ctx.set('Accept-Ranges', 'bytes');
    const match = ctx.get('if-none-match');
    if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
      ctx.status = 304;
      return;
    }
    ctx.set('Content-Disposition', disposition(INLINE.test(slot.contentType) ? 'inline' : 'attachment', slot.filename));
    ctx.set('Content-Type', slot.contentType); // exactly as stored (ctx.type would add a charset)

    const ifRange = ctx.get('if-range');
    const range = ctx.get('range') && (!ifRange || ifRange === etag) ? parseRange(ctx.get('range'), size) : undefined;
    if (range === 'unsatisfiable') {
      ctx.set('Content-Range', `bytes */${size}`);
      return fail(ctx, 416, 'range_not_satisfiable', `the file has ${size} bytes`);
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    if (range) {
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
    } else ctx.status = 200;
    // HEAD: the headers only (Koa sends no body); no file is opened.
    if (ctx.method !== 'HEAD') ctx.body = size > 0 ? createReadStream(file, { start, end }) : Buffer.alloc(0);
    ctx.length = size === 0 ? 0 : end - start + 1;
  });
}
