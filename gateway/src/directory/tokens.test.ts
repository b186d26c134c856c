// A device's last use and address (verifyDevice): written when the address changes or a minute
// has passed, not on every request — the polling path stays read-only.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createStore } from '../store/index.ts';
import { createCredentials } from './credentials.ts';
import { createTokenService } from './tokens.ts';

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-tokens-'));
  const store = createStore(dir);
  store.domains.add('example.com');
  const account = store.accounts.add({ address: 'tia@example.com', local: 'tia', domain: 'example.com', displayName: 'Tia', passwordHash: null });
  const tokens = createTokenService({ store, enrollTtlMs: 3600_000, credentials: createCredentials({ store }) });
  const token = tokens.issueDevice(account, 'Laptop');
  const device = () => store.tokens.listDevices(account.id)[0]!;
  return { store, tokens, token, device, done: () => (store.close(), rmSync(dir, { recursive: true, force: true })) };
}

test('verifyDevice records the address (IPv4-mapped IPv6 shown as IPv4); a use without one keeps the last', (t) => {
  const { tokens, token, device, done } = setup();
  t.after(done);
  assert.equal(device().lastAddress, null);
  assert.equal(device().lastUsedAt, null);
  tokens.verifyDevice(token, '::ffff:192.0.2.10');
  assert.equal(device().lastAddress, '192.0.2.10');
  assert.ok(device().lastUsedAt);
  tokens.verifyDevice(token, '2001:db8::7');
  assert.equal(device().lastAddress, '2001:db8::7', 'another address is written at once');
});

test('the same address within a minute is not written again; another address is', (t) => {
  const { store, tokens, token, device, done } = setup();
  t.after(done);
  tokens.verifyDevice(token, '192.0.2.10');
  // A marker row the gateway itself would never write: a second write would overwrite it.
  store.tokens.touchDevice(device().id, 1, 'marker');
  tokens.verifyDevice(token, '192.0.2.10');
  tokens.verifyDevice(token);
  assert.deepEqual([device().lastUsedAt, device().lastAddress], [1, 'marker'], 'no write for the same address (or none) within a minute');
  tokens.verifyDevice(token, '192.0.2.11');
  assert.equal(device().lastAddress, '192.0.2.11');
  assert.notEqual(device().lastUsedAt, 1);
});
