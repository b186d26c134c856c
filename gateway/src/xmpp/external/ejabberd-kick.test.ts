// The kicker's failure handling: ejabberd's HTTP API unreachable (a port nothing listens on) is
// logged, never thrown into the credential fan-out, and does not stop the events queued after it.
// (The kicks themselves: test/integration/ejabberd-revocation.test.ts, against a real ejabberd.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEjabberdApi } from './ejabberd-api.ts';
import { createEjabberdKicker } from './ejabberd-kick.ts';

const event = (ends: 'domain-im' | 'account', id: number) => ({ id, ends, reason: ends === 'account' ? ('account-removed' as const) : ('im-off' as const), accountId: null, deviceId: null, domain: 'example.com', createdAt: 0 });
const noAccounts = { accounts: { byAddress: () => undefined, byId: () => undefined } } as never;

test('an unreachable ejabberd API is logged, not thrown, and the next event is still tried', async () => {
  // A port that was free a moment ago: connection refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const warnings: string[] = [];
  const kicker = createEjabberdKicker({ api: createEjabberdApi({ url: `http://127.0.0.1:${port}/api` }), store: noAccounts, log: { info() {}, warn: (_o, msg) => warnings.push(msg) } });
  assert.doesNotThrow(() => kicker.credentialEnded(event('domain-im', 1)));
  kicker.credentialEnded(event('account', 2));
  await kicker.idle();
  assert.deepEqual(warnings, ['could not end the ejabberd sessions of an ended credential', 'could not end the ejabberd sessions of an ended credential']);
});
