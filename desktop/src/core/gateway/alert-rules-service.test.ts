import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlertRulesService, ruleIndexOf } from './alert-rules-service.ts';

test('the rule a gateway refusal names is found in its field path', () => {
  assert.equal(ruleIndexOf('field "rules.2.action.to": x@y.z is not a user here'), 2);
  assert.equal(ruleIndexOf('field "rules.0.name": another rule is named "A"'), 0);
  assert.equal(ruleIndexOf('field "rules": at most 3 rules per user (got 4)'), undefined);
  assert.equal(ruleIndexOf('field "rules.12": Invalid input'), 12);
});

test('signed out: every call fails as not_signed_in, nothing is sent', async () => {
  const s = createAlertRulesService({ session: () => undefined, onRevoked: async () => assert.fail('not revoked') });
  for (const call of [() => s.list(), () => s.save([]), () => s.preview({ rule: { name: 'x' } })]) {
    await assert.rejects(call(), (e: Error & { kind?: string }) => e.name === 'AlertRulesError' && e.kind === 'not_signed_in');
  }
});
