// GET /api/v1/alert-rules: the user's mail-to-IM rules, and the admin's that apply to them (read
// only); PUT /api/v1/alert-rules {rules:[...]}: replaces the user's rules. Always the signed-in
// user's own rules — there is no way to name another user. Errors name the field.
// POST /api/v1/alert-rules/preview {rule, mail?}: the IM the rule would send for a sample mail.
import type Router from '@koa/router';
import type { TokenService } from '../../directory/tokens.ts';
import type { AlertRuleBook } from '../../im/alerts/rule-book.ts';
import { AlertPreviewRequestSchema, AlertRulesPutSchema } from '../../protocol/api.ts';
import { authOf, requireDevice } from '../auth.ts';
import { readJson } from '../json-body.ts';

export function alertRuleRoutes(router: Router, { rules, tokens, bodyLimit }: { rules: AlertRuleBook; tokens: TokenService; bodyLimit: number }): void {
  router.get('/alert-rules', requireDevice(tokens), (ctx) => {
    ctx.set('Cache-Control', 'no-cache, private');
    ctx.body = rules.view(authOf(ctx).account);
  });

  router.put('/alert-rules', requireDevice(tokens), async (ctx) => {
    const req = await readJson(ctx, AlertRulesPutSchema, bodyLimit);
    ctx.set('Cache-Control', 'no-cache, private');
    ctx.body = rules.replace(authOf(ctx).account, req.rules);
  });

  router.post('/alert-rules/preview', requireDevice(tokens), async (ctx) => {
    const req = await readJson(ctx, AlertPreviewRequestSchema, bodyLimit);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = rules.preview(authOf(ctx).account, req.rule, req.mail);
  });
}
