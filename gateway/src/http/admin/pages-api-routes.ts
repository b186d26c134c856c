// The admin API routes of the Rooms, Message log and Scripts pages (mounted by admin-api-routes.ts
// behind its guard: console session, admin, CSRF token on every state-changing request).
import { createReadStream } from 'node:fs';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { PassThrough } from 'node:stream';
import { AdminAlertEnableSchema, AdminAlertPreviewSchema, AdminAlertRuleBodySchema } from '../../protocol/admin-alerts.ts';
import { BulkPackagesSchema, CloseRoomSchema, LogQuerySchema, SpoolFileSchema } from '../../protocol/admin-rooms.ts';
import { HeraldError } from '../../protocol/errors.ts';
import type { Store } from '../../store/index.ts';
import { readJson } from '../json-body.ts';
import { createBulkPackages } from './bulk-packages.ts';
import { actorOf } from './console-guard.ts';
import type { ConsoleSession } from './console-sessions.ts';
import { csvRecord } from './csv.ts';
import type { ConsoleDeps } from './page.ts';

export function pagesApiRoutes(router: Router, deps: ConsoleDeps & { bodyLimit: number; store: Store }): void {
  const actor = (ctx: Context) => actorOf(ctx, ctx.state.adminSession as ConsoleSession);
  const pages = () => {
    if (!deps.live.pages) throw new HeraldError('not_found', 'not available in this gateway');
    return deps.live.pages;
  };

  router.get('/rooms', (ctx) => {
    ctx.body = { rooms: pages().rooms.list() };
  });
  router.post('/rooms/close', async (ctx) => {
    const b = await readJson(ctx, CloseRoomSchema, deps.bodyLimit);
    pages().rooms.close(actor(ctx), b.room, b.reason ?? '');
    ctx.body = { ok: true };
  });

  router.get('/spool', (ctx) => {
    const p = pages();
    ctx.body = { status: p.spool.status() ?? null, bad: p.spool.bad() };
  });
  router.post('/spool/retry', async (ctx) => {
    const b = await readJson(ctx, SpoolFileSchema, deps.bodyLimit);
    ctx.body = { as: pages().spool.retry(actor(ctx), b.name) };
  });
  router.post('/spool/delete', async (ctx) => {
    const b = await readJson(ctx, SpoolFileSchema, deps.bodyLimit);
    pages().spool.remove(actor(ctx), b.name);
    ctx.body = { ok: true };
  });

  // The admin's alert rules (admin/alert-rules-admin.ts): the first save makes the console's list
  // the one in effect (over the config file's); DELETE /alert-rules goes back to the file's.
  router.get('/alert-rules', (ctx) => {
    ctx.body = pages().alertRules.view();
  });
  router.post('/alert-rules', async (ctx) => {
    const b = await readJson(ctx, AdminAlertRuleBodySchema, deps.bodyLimit);
    pages().alertRules.add(actor(ctx), b.rule);
    ctx.status = 201;
    ctx.body = pages().alertRules.view();
  });
  router.delete('/alert-rules', (ctx) => {
    ctx.body = { changed: pages().alertRules.reset(actor(ctx)) };
  });
  router.post('/alert-rules/preview', async (ctx) => {
    const b = await readJson(ctx, AdminAlertPreviewSchema, deps.bodyLimit);
    ctx.body = pages().alertRules.preview(b);
  });
  router.put('/alert-rules/:name', async (ctx) => {
    const b = await readJson(ctx, AdminAlertRuleBodySchema, deps.bodyLimit);
    pages().alertRules.replace(actor(ctx), ctx.params.name!, b.rule);
    ctx.body = pages().alertRules.view();
  });
  router.delete('/alert-rules/:name', (ctx) => {
    pages().alertRules.remove(actor(ctx), ctx.params.name!);
    ctx.body = pages().alertRules.view();
  });
  router.post('/alert-rules/:name/enabled', async (ctx) => {
    const b = await readJson(ctx, AdminAlertEnableSchema, deps.bodyLimit);
    ctx.body = { changed: pages().alertRules.setEnabled(actor(ctx), ctx.params.name!, b.enabled) };
  });

  const logQuery = (ctx: Context) => {
    const r = LogQuerySchema.safeParse(ctx.query);
    if (!r.success) throw new HeraldError('bad_request', `query: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
    return r.data;
  };
  router.get('/log', async (ctx) => {
    const r = await pages().imLog.page(logQuery(ctx));
    ctx.body = { ...r, lines: r.lines.map((e) => ({ ...e, time: e.time.toISOString() })) };
  });
  router.get('/log/days', (ctx) => {
    ctx.body = { days: pages().imLog.days() };
  });
  // The whole result as CSV, streamed (a month of a busy log is large). Reading the log is not
  // audited as a change, but who exported what is: the export leaves the gateway.
  router.get('/log.csv', async (ctx) => {
    const q = logQuery(ctx);
    const search = pages().imLog.search(q);
    // The first match (or the end) before the headers: a bad query is still a JSON error.
    const first = await search.next();
    deps.admin.audit.record(actor(ctx), 'log.export', q.room ?? q.user ?? '*', { since: q.since ?? null, until: q.until ?? null, text: q.text ?? null });
    const out = new PassThrough();
    ctx.type = 'text/csv; charset=utf-8';
    ctx.attachment(`herald-im-log${q.since ? `-${q.since}` : ''}${q.until ? `-${q.until}` : ''}.csv`);
    ctx.body = out;
    void (async () => {
      out.write(csvRecord(['time', 'type', 'from', 'to', 'body', 'encrypted', 'attachments']));
      for (let r = first; !r.done; r = await search.next()) {
        const e = r.value;
        if (!out.write(csvRecord([e.time.toISOString(), e.type, e.from, e.to, e.body, e.encrypted ?? '', e.attachments.join(' ')]))) await new Promise((res) => out.once('drain', res));
      }
      out.end();
    })().catch((e: unknown) => out.destroy(e as Error));
  });

  // Bulk packages for a domain (bulk-packages.ts): start, poll, download the zip.
  const bulk = deps.provisioning && createBulkPackages({ dataDir: deps.settings.dataDir, provisioning: deps.provisioning, store: deps.store, audit: deps.admin.audit });
  const bulkJobs = () => {
    if (!bulk) throw new HeraldError('not_found', 'per-user packages are off in this gateway');
    return bulk;
  };
  router.post('/packages/bulk', async (ctx) => {
    const b = await readJson(ctx, BulkPackagesSchema, deps.bodyLimit);
    ctx.status = 202;
    ctx.body = bulkJobs().start(actor(ctx), b.domain, b.build);
  });
  router.get('/packages/bulk/:id', (ctx) => {
    const { file: _file, ...job } = bulkJobs().get(ctx.params.id!);
    ctx.body = job;
  });
  router.get('/packages/bulk/:id/zip', (ctx) => {
    const job = bulkJobs().get(ctx.params.id!);
    if (job.state !== 'done' || !job.file) throw new HeraldError('not_found', 'the zip is not ready');
    ctx.attachment(`herald-packages-${job.domain}.zip`);
    ctx.type = 'application/zip';
    ctx.body = createReadStream(job.file);
  });
}
