// The download page (/download): sign in with mail credentials, pick the computer (preselected
// from the browser), get a personal package — the generic build for that platform with a signed
// provision.json (a fresh one-time enrollment token) stamped in, streamed straight from the build
// file (no temporary file, constant memory). A signed Windows installer is stamped too (in its
// signature) and offered before the zip, which stays one button away (`format=zip`). Installers
// that cannot carry the file are served as they are, with the user's herald:// sign-in link
// beside them. No script, a strict CSP, CSRF-safe.
import { createReadStream } from 'node:fs';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from '../../config/logger.ts';
import type { Settings } from '../../config/schema.ts';
import type { Directory } from '../../directory/directory.ts';
import { HeraldError } from '../../protocol/errors.ts';
import { ArtifactError } from '../../provisioning/app-resources.ts';
import { PLATFORMS, buildFor, platformById, platformFromBrowser, type BuildFile } from '../../provisioning/build-catalog.ts';
import type { Provisioning } from '../../provisioning/provisioning.ts';
import { checkSameOrigin, csrfToken, FormError, readForm } from './download-form.ts';
import { DOWNLOAD_CSS, DOWNLOAD_ICON, formPage, installerPage, messagePage, type PlatformChoice } from './download-page.ts';

export interface DownloadRouteDeps {
  provisioning: Provisioning;
  directory: Directory;
  settings: Settings;
  log: Logger;
}

const FORM_LIMIT = 8 * 1024;
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const megabytes = (n: number) =>
  n >= 10 * 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MB` : n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;
const describe = (b: BuildFile) => `${b.stampable === 'exe' ? 'installer' : (b.stampable ?? `${b.ext} installer`)}, ${megabytes(b.size)}`;
const isZip = (b: BuildFile) => b.stampable === 'zip';

function page(ctx: Context, status: number, html: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = html;
}

export function downloadRoutes(router: Router, { provisioning, directory, settings, log }: DownloadRouteDeps): void {
  const ttlHours = settings.provisioning.downloadTtlHours;
  const issuer = settings.provisioning.issuer ?? new URL(provisioning.gatewayUrl).host;

  const choices = (): PlatformChoice[] => {
    const builds = provisioning.builds();
    return PLATFORMS.map((p) => {
      const b = buildFor(builds, p);
      // A stamped installer is offered; the zip of the same platform stays as the fallback.
      const zip = b?.stampable === 'exe' ? buildFor(builds, p, isZip) : undefined;
      return { id: p.id, label: p.label, available: b && describe(b), ...(zip ? { fallback: describe(zip) } : {}) };
    });
  };
  const detected = (ctx: Context) => platformFromBrowser(ctx.get('user-agent'), { platform: ctx.get('sec-ch-ua-platform') || undefined, arch: ctx.get('sec-ch-ua-arch') || undefined });
  const form = (ctx: Context, status: number, o: { selected?: string; user?: string; error?: string } = {}) =>
    page(ctx, status, formPage({ csrf: csrfToken(ctx), platforms: choices(), selected: o.selected ?? detected(ctx), user: o.user, error: o.error, issuer, ttlHours }));

  router.get('/download/style.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = DOWNLOAD_CSS;
  });

  router.get('/download/icon.svg', (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    ctx.body = DOWNLOAD_ICON;
  });

  router.get('/download', (ctx) => {
    // Ask Chromium browsers for the architecture on the next request (Client Hints, RFC 8942).
    ctx.set('Accept-CH', 'Sec-CH-UA-Platform, Sec-CH-UA-Arch');
    const wanted = typeof ctx.query.platform === 'string' && platformById(ctx.query.platform) ? ctx.query.platform : undefined;
    form(ctx, 200, { selected: wanted });
  });

  router.post('/download', async (ctx) => {
    let fields: URLSearchParams;
    try {
      fields = await readForm(ctx, FORM_LIMIT);
      checkSameOrigin(ctx, fields.get('csrf'));
    } catch (e) {
      if (!(e instanceof FormError)) throw e;
      return form(ctx, e.status, { error: e.message });
    }
    const user = (fields.get('user') ?? '').trim();
    const password = fields.get('password') ?? '';
    const platform = platformById(fields.get('platform') ?? '');
    if (!platform) return form(ctx, 400, { user, error: 'Choose your computer from the list.' });
    if (!user || !password) return form(ctx, 400, { user, selected: platform.id, error: 'Enter your mail address and your password.' });

    // A missing build is said before the password is checked: no sign-in is spent on it.
    const wantZip = fields.get('format') === 'zip';
    const build = wantZip ? buildFor(provisioning.builds(), platform, isZip) : provisioning.buildFor(platform);
    if (!build && wantZip) {
      return page(
        ctx,
        404,
        messagePage({
          title: `No portable zip for ${platform.label}`,
          paragraphs: [`This server has no portable Herald for ${platform.label}. Download the normal package instead.`, `Nothing was downloaded and your password was not checked.`],
          back: { href: `/download?platform=${platform.id}`, label: 'Back to the download page' },
        }),
      );
    }
    if (!build) {
      return page(
        ctx,
        404,
        messagePage({
          title: `No Herald for ${platform.label} yet`,
          paragraphs: [
            `This server has no Herald package for ${platform.label}. Your administrator puts one there; ask them, or choose another computer.`,
            `Nothing was downloaded and your password was not checked.`,
          ],
          back: { href: '/download', label: 'Choose another computer' },
        }),
      );
    }

    let address: string;
    try {
      address = (await directory.authenticate(user, password, ctx.ip)).address;
    } catch (e) {
      if (!(e instanceof HeraldError)) throw e;
      const retry = e.details.retryAfterSeconds;
      if (retry !== undefined) ctx.set('Retry-After', String(retry));
      const message =
        e.code === 'invalid_credentials'
          ? 'Wrong mail address or password.'
          : e.code === 'rate_limited'
            ? retry !== undefined && retry < 60
              ? `Too many failed sign-ins. Try again in ${retry} second(s).`
              : `Too many failed sign-ins. Try again in ${Math.ceil((retry ?? 60) / 60)} minute(s).`
            : e.code === 'busy'
              ? 'The server is busy with other sign-ins. Try again in a moment.'
            : e.code === 'bad_request'
              ? 'That is not a mail address (name@example.com).'
              : e.code === 'directory_unavailable'
                ? 'Your password cannot be checked right now (the mail server does not answer). Try again in a few minutes.'
                : e.message;
      log.info({ user, ip: ctx.ip, code: e.code }, `download sign-in refused: ${e.message}`);
      return form(ctx, e.status, { user, selected: platform.id, error: message });
    }

    const ttlMs = ttlHours * 3600_000;
    if (!build.stampable) {
      const issued = provisioning.issue(address, ttlMs);
      log.info({ user: address, ip: ctx.ip, build: build.name }, 'installer sign-in link issued');
      return page(
        ctx,
        200,
        installerPage({
          platform: platform.label,
          user: address,
          installerHref: `/download/files/${encodeURIComponent(build.name)}`,
          installerName: build.name,
          size: megabytes(build.size),
          deepLink: issued.deepLink,
          expires: issued.expiresAt.toUTCString(),
        }),
      );
    }
    try {
      const { pkg } = await provisioning.package(build.path, address, ttlMs);
      log.info({ user: address, ip: ctx.ip, build: build.name, bytes: pkg.size }, 'personal package downloaded');
      ctx.status = 200;
      ctx.attachment(build.name); // (sets a type from the name: ours follows)
      ctx.type = pkg.contentType;
      ctx.length = pkg.size;
      ctx.set('Cache-Control', 'no-store'); // it carries a sign-in token
      ctx.body = pkg.stream();
    } catch (e) {
      if (!(e instanceof ArtifactError)) throw e;
      log.error({ build: build.path, err: e.message }, 'cannot stamp a build');
      return page(
        ctx,
        500,
        messagePage({
          title: 'This package cannot be made',
          paragraphs: [`The Herald build for ${platform.label} on this server is not usable: ${e.message}.`, 'Please tell your administrator. Nothing was downloaded.'],
          back: { href: '/download', label: 'Back to the download page' },
        }),
      );
    }
  });

  // Installers are the same for everyone (the personal part is the sign-in link): served as they are.
  router.get('/download/files/:name', (ctx) => {
    const build = provisioning.builds().find((b) => b.name === ctx.params.name && !b.stampable);
    if (!build) throw new HeraldError('not_found', 'no such installer');
    ctx.attachment(build.name);
    ctx.type = 'application/octet-stream';
    ctx.length = build.size;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = createReadStream(build.path);
  });
}
