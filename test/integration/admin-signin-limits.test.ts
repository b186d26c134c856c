// The console's sign-in shares the gateway's failed-login limits (directory/login-guard.ts) with
// the HTTP API and XMPP, and the console answers only on loopback unless admin.allowRemote.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { cli } from './revocation-helpers.ts';

let gw: TestGateway;
before(async () => {
  gw = await startTestGateway({ 'rateLimit.perPair': 3, 'http.trustProxy': true });
  await gw.user('ann@example.com', 'admin password 123');
  gw.services.store.accounts.setAdmin('ann@example.com', true);
});
after(() => gw.destroy());

async function consoleSignIn(password: string, headers: Record<string, string> = {}): Promise<number> {
  const page = await fetch(`${gw.url}/admin/login`, { headers });
  const pre = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const r = await fetch(`${gw.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, cookie, origin: gw.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: pre, address: 'ann@example.com', password }),
  });
  await r.text();
  return r.status;
}

test('wrong console passwords count against the same limits as the API: the API then refuses too', async () => {
  for (let i = 0; i < 3; i++) assert.equal(await consoleSignIn('wrong password 000'), 401);
  assert.equal(await consoleSignIn('admin password 123'), 429, 'the console itself is limited');
  const api = await gw.api('POST', '/api/v1/session', { body: { user: 'ann@example.com', password: 'admin password 123' } });
  assert.equal(api.status, 429, 'the API sees the console’s failures');
  gw.services.directory.unlock('ann@example.com');
  assert.equal(await consoleSignIn('admin password 123'), 303);
});

test('the console answers only clients on this machine unless admin.allowRemote', async () => {
  const remote = { 'x-forwarded-for': '203.0.113.9' };
  const r = await fetch(`${gw.url}/admin/login`, { headers: remote });
  assert.equal(r.status, 403);
  assert.doesNotMatch(await r.text(), /name="password"/);
  const api = await fetch(`${gw.url}/api/v1/admin/status`, { headers: remote });
  assert.equal(api.status, 403);
  assert.equal((await fetch(`${gw.url}/admin/login`)).status, 200, 'from loopback it answers');
});

test('`user admin revoke|grant` in the CLI (while serve runs): the console refuses, then lets in; both audited as the CLI', async () => {
  const revoke = await cli(gw, ['user', 'admin', 'revoke', 'ann@example.com']);
  assert.equal(revoke.code, 0, revoke.stderr);
  assert.match(revoke.stdout, /no longer an admin/);
  assert.equal(await consoleSignIn('admin password 123'), 403);
  assert.equal((await cli(gw, ['user', 'admin', 'grant', 'ann@example.com'])).code, 0);
  assert.equal(await consoleSignIn('admin password 123'), 303);
  const bad = await cli(gw, ['user', 'admin', 'promote', 'ann@example.com']);
  assert.equal(bad.code, 2);
  const entries = gw.services.admin.audit.search({ who: 'cli@' }).map((e) => `${e.action} ${e.target}`);
  assert.deepEqual(entries.slice(0, 2), ['user.admin.grant ann@example.com', 'user.admin.revoke ann@example.com']);
});
