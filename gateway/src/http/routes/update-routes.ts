// GET /updates/<channel>/<file>: the electron-updater "generic" feed of the builds folder
// (provisioning/update-feed.ts) — the channel files (latest.yml, latest-mac.yml, latest-linux.yml,
// latest-linux-arm64.yml) and the builds they name, with their .blockmap when the admin dropped
// one beside them (differential download). Only for enrolled desktops (device token as Bearer)
// of domains whose updates are not off. Files answer single byte ranges (RFC 9110 §14).
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from '../../config/logger.ts';
import type { TokenService } from '../../directory/tokens.ts';
import { HeraldError } from '../../protocol/errors.ts';
import { classifyBuild } from '../../provisioning/build-catalog.ts';
import type { Provisioning } from '../../provisioning/provisioning.ts';
import { computeFeed, createFileHasher, FEED_FILES, feedBuilds, UPDATE_CHANNELS, type UpdateChannel } from '../../provisioning/update-feed.ts';
import type { Store } from '../../store/index.ts';
import { authOf, requireDevice } from '../auth.ts';
import { byteRange } from '../byte-range.ts';

export interface UpdateRouteDeps {
  provisioning: Provisioning;
  tokens: TokenService;
  store: Store;
  log: Logger;
}

const isChannel = (c: string): c is UpdateChannel => (UPDATE_CHANNELS as readonly string[]).includes(c);

export function updateRoutes(router: Router, { provisioning, tokens, store, log }: UpdateRouteDeps): void {
  const hasher = createFileHasher();

  router.get('/updates/:channel/:file', requireDevice(tokens), async (ctx) => {
    const { account } = authOf(ctx);
    const mode = store.domains.get(account.domain)?.updates ?? 'off';
    if (mode === 'off') throw new HeraldError('forbidden', `desktop updates are off for ${account.domain} (herald-gateway domain set ${account.domain} --updates notify)`);
    const channel = ctx.params.channel!;
    if (!isChannel(channel)) throw new HeraldError('not_found', `no update channel "${channel}" (channels: ${UPDATE_CHANNELS.join(', ')})`);
    const name = ctx.params.file!;
    const builds = provisioning.builds();

    const kind = FEED_FILES[name];
    if (kind) {
      const feed = await computeFeed(builds, kind, channel, hasher);
      if (!feed) {
        const what = `${kind.ext} build for ${kind.os}${kind.arch ? ` ${kind.arch}` : ''}`;
        throw new HeraldError('not_found', `no ${channel} ${what} in the gateway's builds folder: the administrator has not published one (README "Updates")`);
      }
      ctx.type = 'text/yaml; charset=utf-8';
      ctx.set('Cache-Control', 'no-cache, private');
      ctx.body = feed.yaml;
      return;
    }

    // A build some channel file of this channel names; or a blockmap of a build of a feed's kind —
    // also of an older version: the differential download compares the installed version's
    // blockmap (its URL is the new one with the version replaced) with the new one's.
    const blockmap = name.endsWith('.blockmap');
    const base = blockmap ? name.slice(0, -'.blockmap'.length) : name;
    const c = classifyBuild(base);
    const listed = blockmap
      ? c !== undefined && Object.values(FEED_FILES).some((k) => k.os === c.os && k.ext === c.ext && (k.arch === undefined || k.arch === c.arch))
      : Object.values(FEED_FILES).some((k) => feedBuilds(builds, k, channel).some((b) => b.name === base));
    if (!listed) throw new HeraldError('not_found', `${name} is not in the ${channel} update feed`);
    const file = path.join(provisioning.buildsDir, name);
    let size: number;
    let mtime: Date;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      ({ size, mtime } = st);
    } catch {
      throw new HeraldError('not_found', `${name} is not in the builds folder`);
    }
    sendFile(ctx, file, size, mtime);
    log.debug({ user: account.address, file: name, range: ctx.get('range') || undefined, status: ctx.status }, 'update file sent');
  });
}

function sendFile(ctx: Context, file: string, size: number, mtime: Date): void {
  ctx.type = 'application/octet-stream';
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Last-Modified', mtime.toUTCString());
  ctx.set('Cache-Control', 'no-cache, private');
  // If-Range (§13.1.5): a range only of the representation the client already has part of.
  const ifRange = ctx.get('if-range');
  const range = ifRange && ifRange !== mtime.toUTCString() ? { kind: 'full' as const } : byteRange(ctx.get('range') || undefined, size);
  if (range.kind === 'unsatisfiable') {
    ctx.status = 416;
    ctx.set('Content-Range', `bytes */${size}`);
    ctx.body = '';
    return;
  }
  if (range.kind === 'partial') {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    ctx.length = range.end - range.start + 1;
    ctx.body = createReadStream(file, { start: range.start, end: range.end });
    return;
  }
  ctx.status = 200;
  ctx.length = size;
  ctx.body = createReadStream(file);
}
