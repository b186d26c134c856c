// The sign-in prompts are in the user's language; the reasons inside them stay as they came.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { provisionDeepLink } from '../../../../gateway/src/protocol/provision.ts';
import { FakeClock } from '../../../test-support/fake-clock.ts';
import { MemorySecretStore } from '../../../test-support/fake-ports.ts';
import { createTestSigner, provisionPayload } from '../../../test-support/provision-signer.ts';
import { coreStrings } from '../i18n/core-strings.ts';
import type { Storage } from '../ports/storage.ts';
import { PROVISION_KEYS_FILE } from '../provisioning/provision-sources.ts';
import { createSession } from './session.ts';

const NOW = Date.UTC(2026, 0, 15, 12);
const root = mkdtempSync(path.join(tmpdir(), 'herald-session-'));
after(() => rmSync(root, { recursive: true, force: true }));
const signer = createTestSigner('gw-2026');

function memoryStorage(): Storage {
  const files = new Map<string, string>();
  return {
    read: async (name) => files.get(name),
    write: async (name, text) => void files.set(name, text),
    remove: async (name) => void files.delete(name),
  };
}

function session(locale?: string) {
  const resourcesDir = path.join(root, `resources-${locale ?? 'default'}`);
  mkdirSync(resourcesDir, { recursive: true });
  writeFileSync(path.join(resourcesDir, PROVISION_KEYS_FILE), JSON.stringify({ keys: [signer.publicJwk] }));
  return createSession({
    storage: memoryStorage(),
    secrets: new MemorySecretStore(),
    clock: new FakeClock(NOW),
    places: { resourcesDir },
    deviceName: 'test',
    ...(locale ? { text: coreStrings(locale) } : {}),
  });
}

const expiredLink = provisionDeepLink(signer.sign(provisionPayload({ gateway: 'https://gw.example.com', user: 'alice@example.com', token: 'hen_abcdefghijklmnop', now: NOW - 2 * 3600_000 })));
const foreignLink = provisionDeepLink(createTestSigner('other').sign(provisionPayload({ gateway: 'https://gw.example.com', user: 'alice@example.com', token: 'hen_abcdefghijklmnop', now: NOW })));
const message = (r: Awaited<ReturnType<ReturnType<typeof createSession>['start']>>): [string, string] => ('prompt' in r ? [r.prompt.reason, r.prompt.message] : ['none', '']);

test('in German: the sign-in prompts, with the reasons they wrap', async () => {
  const s = session('de-DE');
  assert.deepEqual(message(await s.start()), ['not-provisioned', 'Melden Sie sich mit Ihrer Mailadresse und Ihrem Passwort an.']);
  const [reason, expired] = message(await s.provision(expiredLink));
  assert.equal(reason, 'provision-expired');
  assert.match(expired, /^Die Vorkonfiguration für alice@example\.com ist am .*Januar 2026.* abgelaufen\. Melden Sie sich mit Ihrem Passwort an\.$/);
  const [invalid, why] = message(await s.provision(foreignLink));
  assert.equal(invalid, 'provision-invalid');
  assert.match(why, /^Die Vorkonfiguration dieser App ist nicht verwendbar \(.*"other".*\)\. Melden Sie sich mit Ihrer Mailadresse und Ihrem Passwort an\.$/);
  assert.equal((await s.signOut(undefined)).message, 'Sie sind abgemeldet.');
  assert.equal((await s.revoked('device token revoked')).message, 'Abgemeldet: device token revoked');
});

test('English by default', async () => {
  const s = session();
  assert.deepEqual(message(await s.start()), ['not-provisioned', 'Sign in with your mail address and password.']);
  assert.match(message(await s.provision(expiredLink))[1], /^The provisioning for alice@example\.com expired on .*January.*2026.*\. Sign in with your password\.$/);
  assert.equal((await s.signOut(undefined)).message, 'You are signed out.');
  assert.equal((await s.revoked('device token revoked')).message, 'Signed out: device token revoked');
});

test('a plain http:// gateway on another machine is refused before anything is sent: sign-in form and provisioning', async () => {
  const s = session();
  await assert.rejects(s.signIn('http://gw.example.com', 'alice@example.com', 'secret password'), /refusing http:\/\/gw\.example\.com: passwords and tokens would cross the network unencrypted; use https:\/\/gw\.example\.com/);
  const plainLink = provisionDeepLink(signer.sign(provisionPayload({ gateway: 'http://gw.example.com', user: 'alice@example.com', token: 'hen_abcdefghijklmnop', now: NOW })));
  const [reason, why] = message(await s.provision(plainLink));
  assert.equal(reason, 'provision-invalid');
  assert.match(why, /refusing http:\/\/gw\.example\.com/);
  // The control: http:// to this machine is tried (and here nothing listens on port 1).
  await assert.rejects(s.signIn('http://127.0.0.1:1', 'alice@example.com', 'secret password'), /unreachable/);
});
