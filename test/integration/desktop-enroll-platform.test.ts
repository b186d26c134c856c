// The desktop tells the gateway which platform it runs on when it enrolls and when it signs in
// (`platform`, as the gateway names platforms: win-x64, mac-arm64, linux-x64…), so the admin's
// `token list` and the console's devices show it — Node's fetch sends no browser User-Agent the
// gateway could guess from. A real gateway; the device token rows read from its database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createApiClient } from '../../desktop/src/core/gateway/api-client.ts';
import { platformId } from '../../desktop/src/core/gateway/platform-id.ts';
import { systemClock } from '../../desktop/src/core/ports/clock.ts';
import { createSession } from '../../desktop/src/core/session/session.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import { MemorySecretStore } from '../../desktop/test-support/fake-ports.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';

let gw: TestGateway;
const root = mkdtempSync(path.join(tmpdir(), 'herald-enroll-platform-'));
before(async () => {
  gw = await startTestGateway({ 'xmpp.enabled': false });
  await gw.user('alice@example.com', 'alice wonderland 1');
});
after(async () => {
  await gw?.destroy();
  rmSync(root, { recursive: true, force: true });
});

/** The platform of the newest device token of `label`. */
function platformOf(label: string): string | null | undefined {
  const db = new Database(path.join(gw.dataDir, 'herald.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT platform FROM device_tokens WHERE label = ? ORDER BY id DESC LIMIT 1').get(label) as { platform: string | null } | undefined)?.platform;
  } finally {
    db.close();
  }
}

test('this machine as the gateway names it: os-arch from Node’s platform and arch', () => {
  assert.equal(platformId('win32', 'x64'), 'win-x64');
  assert.equal(platformId('darwin', 'arm64'), 'mac-arm64');
  assert.equal(platformId('linux', 'x64'), 'linux-x64');
  assert.equal(platformId('linux', 'ia32'), 'linux', 'an arch the gateway has no name for: the OS alone');
  assert.equal(platformId('aix', 'ppc64'), undefined);
  assert.match(platformId()!, /^(win|mac|linux)-(x64|arm64)$/);
});

test('signing in (the core’s session) sends the platform; the gateway keeps it with the device token', async () => {
  const dir = path.join(root, 'profile');
  const session = createSession({ storage: createDirStorage(dir), secrets: new MemorySecretStore(), clock: systemClock, places: { userDataDir: dir }, deviceName: 'platform test sign-in' });
  await session.start();
  await session.signIn(gw.url, 'alice@example.com', 'alice wonderland 1');
  assert.equal(platformOf('platform test sign-in'), platformId());
});

test('enrolling with a one-time token sends it too', async () => {
  const t = gw.services.tokens.issueEnroll('alice@example.com');
  await createApiClient({ baseUrl: gw.url, platform: 'win-arm64' }).enroll(t.token, 'platform test enroll');
  assert.equal(platformOf('platform test enroll'), 'win-arm64');
});
