// GET /api/v1/folders (ETag / If-None-Match → 304 while nothing changed) and
// POST /api/v1/folders/ack (advance a folder's `new` watermark).
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { TokenService } from '../../directory/tokens.ts';
import type { FoldersSnapshot, MailService } from '../../mail/mail-service.ts';
import { AckRequestSchema, type FoldersResponse } from '../../protocol/api.ts';
import { authOf, requireDevice } from '../auth.ts';
import { readJson } from '../json-body.ts';

function send(ctx: Context, snap: FoldersSnapshot): void {
  ctx.set('ETag', snap.etag);
  ctx.set('Cache-Control', 'no-cache, private');
  const body: FoldersResponse = { folders: snap.folders, version: snap.version };
  ctx.body = body;
}

export function folderRoutes(router: Router, { mail, tokens, bodyLimit }: { mail: MailService; tokens: TokenService; bodyLimit: number }): void {
  router.get('/folders', requireDevice(tokens), async (ctx) => {
    const snap = await mail.folders(authOf(ctx).account);
    const match = ctx.get('if-none-match');
    if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === snap.etag)) {
      ctx.status = 304;
      ctx.set('ETag', snap.etag);
      return;
    }
    send(ctx, snap);
  });

  router.post('/folders/ack', requireDevice(tokens), async (ctx) => {
    const req = await readJson(ctx, AckRequestSchema, bodyLimit);
    send(ctx, await mail.ack(authOf(ctx).account, req.path, req.uid));
  });
}
