// The desktop core's alert-rules service against a real gateway (issue 14, "My alert rules"): it
// lists the user's and the admin's rules with the limit and the macros, saves, previews with the
// gateway's own macro expansion, and turns each refusal into words with the rule it names; an
// unreachable gateway and a revoked device token are told apart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApiClient } from '../../desktop/src/core/gateway/api-client.ts';
import { AlertRulesError, createAlertRulesService } from '../../desktop/src/core/gateway/alert-rules-service.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';

let gw: TestGateway;
let token: string;
const revoked: string[] = [];
const service = (t = () => token, url = () => gw.url) => createAlertRulesService({ session: () => ({ api: createApiClient({ baseUrl: url(), timeoutMs: 3000 }), token: t() }), onRevoked: async (m) => void revoked.push(m) });
const failure = (kind: string, re: RegExp, ruleIndex?: number) => (e: unknown) => {
  assert.ok(e instanceof AlertRulesError, String(e));
  assert.equal(e.kind, kind);
  assert.match(e.message, re);
  assert.equal(e.ruleIndex, ruleIndex);
  return true;
};

before(async () => {
  gw = await startTestGateway({
    'im.timeZone': 'Europe/Berlin',
    'im.alerts.maxRulesPerUser': 2,
    'im.alerts.rules': [{ name: 'Company outage', domains: ['example.com'], conditions: { subject: { match: 'contains', value: 'outage' } }, action: { template: 'OUTAGE: $SUBJECT$' } }],
  });
  token = await gw.user('alice@example.com');
});
after(async () => {
  await gw?.close();
});

test('list: no own rules yet, the admin rule read only, the limit and the macros', async () => {
  const v = await service().list();
  assert.deepEqual(v.rules, []);
  assert.deepEqual(v.adminRules.map((r) => r.name), ['Company outage']);
  assert.equal(v.maxRules, 2);
  assert.ok(v.macros.includes('$SENDER$') && v.macros.includes('$SUBJECT$'), v.macros.join());
});

test('preview: the gateway expands the template for the sample, and says whether it matches', async () => {
  const rule = { name: 'Boss', enabled: true, conditions: { sender: { match: 'contains' as const, value: 'boss@' } }, action: { template: '$SENDER$: $SUBJECT$ in $FOLDER$' } };
  const hit = await service().preview({ rule, mail: { fromName: 'Big Boss', fromAddress: 'boss@example.com', subject: 'Numbers' } });
  assert.equal(hit.body, 'Big Boss <boss@example.com>: Numbers in INBOX');
  assert.equal(hit.matches, true);
  assert.equal(hit.to, 'alice@example.com');
  const miss = await service().preview({ rule, mail: { fromAddress: 'someone@example.net' } });
  assert.equal(miss.matches, false);
});

test('save and list again; the gateway refuses too many rules, a duplicate name and a stranger as recipient, in words', async () => {
  const r = (name: string, extra: object = {}) => ({ name, enabled: true, conditions: {}, action: {}, ...extra });
  const saved = await service().save([r('One'), r('Two')]);
  assert.deepEqual(saved.rules.map((x) => x.name), ['One', 'Two']);
  assert.deepEqual((await service().list()).rules.map((x) => x.name), ['One', 'Two']);
  await assert.rejects(service().save([r('A'), r('B'), r('C')]), failure('refused', /at most 2 rules per user \(got 3\)/));
  await assert.rejects(service().save([r('A'), r('a')]), failure('refused', /another rule is named "a"/, 1));
  await assert.rejects(service().save([r('A', { action: { to: 'nobody@nowhere.example' } })]), failure('refused', /nobody@nowhere\.example is not a user here/, 0));
  // Nothing of the refused lists was stored.
  assert.deepEqual((await service().list()).rules.map((x) => x.name), ['One', 'Two']);
});

test('an unreachable gateway and a revoked token are told apart; only the latter signs out', async () => {
  await assert.rejects(service(undefined, () => 'http://127.0.0.1:1').list(), failure('unreachable', /unreachable/));
  assert.equal(revoked.length, 0);
  await assert.rejects(service(() => 'not-a-valid-token').list(), failure('not_signed_in', /.+/));
  assert.equal(revoked.length, 1);
});
