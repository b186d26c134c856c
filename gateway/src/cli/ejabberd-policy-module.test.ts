import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { E2EE_DENIED_TEXT } from '../xmpp/modules/e2ee-policy.ts';
import { isOmemoNode } from '../xmpp/modules/omemo-policy.ts';
import { compilePolicyModule, POLICY_MODULE_ERL } from './ejabberd-policy-module.ts';

test('the Erlang module says what the embedded server says: the same policy text, the same OMEMO nodes', () => {
  assert.ok(POLICY_MODULE_ERL.includes(`<<"${E2EE_DENIED_TEXT}">>`));
  const nodes = [...POLICY_MODULE_ERL.matchAll(/^omemo_node\(<<"([^"]+)"(, _\/binary)?>>\) -> true;$/gm)].map((m) => (m[2] ? `${m[1]!}12345` : m[1]!));
  assert.equal(nodes.length, 4);
  for (const n of nodes) assert.ok(isOmemoNode(n), n);
  assert.match(POLICY_MODULE_ERL, /mod_opt_type\(e2ee\) -> econf:enum\(\[allow, deny\]\)\./);
});

test("compiled with erlc against Debian's ejabberd headers into <dir>/ebin", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-policy-module-'));
  try {
    const m = compilePolicyModule({ dir });
    assert.ok(!('notCompiled' in m), 'notCompiled' in m ? m.notCompiled : '');
    assert.ok(existsSync(path.join(dir, 'ebin', 'mod_herald_policy.beam')));
    assert.equal(readFileSync(path.join(dir, 'mod_herald_policy.erl'), 'utf8'), POLICY_MODULE_ERL);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('not compilable here (no ejabberd headers where --ejabberd-lib says, no erlc): the source is written and the erlc line to run is given', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-policy-module-'));
  try {
    const noHeaders = compilePolicyModule({ dir, libDir: dir });
    assert.ok('notCompiled' in noHeaders);
    assert.match(noHeaders.notCompiled, /headers .* were not found \(--ejabberd-lib DIR/);
    assert.match(noHeaders.command, /^erlc -I <ejabberd>\/include -I <p1_xmpp>\/include -pa <ejabberd>\/ebin -o \S+\/ebin \S+\/mod_herald_policy\.erl$/);
    assert.ok(existsSync(path.join(dir, 'mod_herald_policy.erl')));
    const noErlc = compilePolicyModule({ dir, erlc: path.join(dir, 'no-such-erlc') });
    assert.ok('notCompiled' in noErlc);
    assert.match(noErlc.notCompiled, /erlc did not run .*erlang-base/);
    assert.match(noErlc.command, /^erlc -I \/\S+\/include -I \/\S+xmpp\S*\/include -pa \/\S+\/ebin -o /);
    assert.ok(!existsSync(path.join(dir, 'ebin', 'mod_herald_policy.beam')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
