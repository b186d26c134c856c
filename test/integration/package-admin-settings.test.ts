// The admin's settings that a stamped app obeys and its user cannot override — skin locked, IM on
// or off, poll interval, webmail template — delivered by GET /api/v1/config, globally and per mail
// domain (client.domains.<domain>), and applied by the real desktop core's effective settings after
// it enrolled with a stamped package. A webmail template the desktop would refuse stops the
// gateway at start, naming the key (the same rules on both sides, checked on one corpus).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ConfigError, loadSettings } from '../../gateway/src/config/load.ts';
import { webmailTemplateProblem } from '../../gateway/src/protocol/webmail-template.ts';
import { systemClock } from '../../desktop/src/core/ports/clock.ts';
import { createSession } from '../../desktop/src/core/session/session.ts';
import { effectiveSettings } from '../../desktop/src/core/settings/effective-settings.ts';
import { createDirStorage } from '../../desktop/src/core/storage/dir-storage.ts';
import { resolveTemplate } from '../../desktop/src/core/webmail/webmail-url.ts';
import { defaultSettings } from '../../desktop/src/shared/settings.ts';
import { MemorySecretStore } from '../../desktop/test-support/fake-ports.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { makeGenericBuild, resourcesPathOf, unpack } from '../fixtures/generic-build.ts';

let root: string;
let gw: TestGateway;

before(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'herald-admin-settings-'));
  // client.domains is a record keyed by domain names: only a config file (or an override object) sets it.
  gw = await startTestGateway({
    'client.webmailUrl': 'roundcube:https://mail.example.com/roundcube',
    'client.defaultSkin': 'Classic',
    'client.skinLocked': true,
    'client.pollSeconds': 45,
    'client.alertFolders': 'inbox',
    'client.domains': { 'Example.ORG': { webmailUrl: 'sogo:https://sogo.example.org/SOGo', pollSeconds: 120, skinLocked: false, sounds: false } },
  });
  await gw.user('alice@example.com', 'alice password');
  await gw.user('bob@example.org', 'bob password');
});
after(async () => {
  await gw.destroy();
  rmSync(root, { recursive: true, force: true });
});

test('/api/v1/config carries the admin’s choices, a domain’s own over the global ones, and IM per domain', async () => {
  const alice = (await gw.api('POST', '/api/v1/session', { body: { user: 'alice@example.com', password: 'alice password' } })).json.deviceToken;
  const bob = (await gw.api('POST', '/api/v1/session', { body: { user: 'bob@example.org', password: 'bob password' } })).json.deviceToken;
  const a = (await gw.api('GET', '/api/v1/config', { token: alice })).json;
  assert.deepEqual([a.webmail.urlTemplate, a.pollIntervalSeconds, a.skin, a.sounds.newMail, a.alerts.folders, a.xmpp.enabled], ['roundcube:https://mail.example.com/roundcube', 45, { default: 'Classic', locked: true }, true, 'inbox', true]);
  const b = (await gw.api('GET', '/api/v1/config', { token: bob })).json;
  assert.deepEqual([b.webmail.urlTemplate, b.pollIntervalSeconds, b.skin, b.sounds.newMail, b.alerts.folders], ['sogo:https://sogo.example.org/SOGo', 120, { default: 'Classic', locked: false }, false, 'inbox']);

  gw.services.directory.setDomainIm('example.org', false);
  assert.equal((await gw.api('GET', '/api/v1/config', { token: bob })).json.xmpp.enabled, false, 'IM off for bob’s domain');
  assert.equal((await gw.api('GET', '/api/v1/config', { token: alice })).json.xmpp.enabled, true, 'alice’s domain untouched');
  gw.services.directory.setDomainIm('example.org', true);
  assert.equal((await gw.api('GET', '/api/v1/config', { token: bob })).json.xmpp.enabled, true);
});

test('the app stamped for alice obeys: locked skin, gateway webmail and poll interval win over her own settings', async () => {
  const build = makeGenericBuild(mkdtempSync(path.join(root, 'build-')), { os: 'linux', format: 'tar.gz' });
  const { pkg } = await gw.provisioning.package(build, 'alice@example.com');
  const file = path.join(root, 'alice.tar.gz');
  await pipeline(pkg.stream(), createWriteStream(file));
  const app = unpack(file, path.join(root, 'alice-app'));
  const userData = mkdtempSync(path.join(root, 'user-'));
  const r = await createSession({ storage: createDirStorage(userData), secrets: new MemorySecretStore(), clock: systemClock, places: { resourcesDir: path.join(app, resourcesPathOf('linux')), userDataDir: userData }, deviceName: 'alice laptop' }).start();
  assert.ok('signedIn' in r, JSON.stringify(r));
  const config = await r.signedIn.api.config(r.signedIn.token);

  const mine = { ...defaultSettings(), skin: 'Default', webmail: { preset: 'snappymail' as const, baseUrl: 'https://my.own.webmail.example' } };
  const e = effectiveSettings(mine, config);
  assert.deepEqual(e.skin, { name: 'Classic', locked: true }, 'her skin choice is overridden');
  assert.equal(e.webmail.source, 'gateway');
  assert.equal(e.webmail.template, resolveTemplate('roundcube:https://mail.example.com/roundcube'));
  assert.equal(e.pollIntervalSeconds, 45);
  assert.equal(e.alerts.scope, 'inbox');
  assert.deepEqual([...e.locked].sort(), ['alerts.scope', 'pollInterval', 'skin', 'webmail']);
});

test('a webmail template the desktop would refuse stops the gateway at start, naming the key; the rules agree with the desktop’s', () => {
  const corpus = [
    'https://mail.example.com/?_task=mail&_mbox={folder}',
    'http://webmail.example.com/#/mailbox/{folder}?u={user}',
    'https://mail.example.com/imp/dynamic.php?page=mailbox#mbox:{folderBase64}',
    'roundcube:https://mail.example.com/roundcube',
    'sogo:https://sogo.example.com/SOGo/',
    'horde:http://horde.example.com',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'https://{folder}.evil.example/x',
    'https://mail.example.com:{user}/x',
    'https://u:p@mail.example.com/?m={folder}',
    'https://mail.example.com/?m={mailbox}',
    'roundcube:ftp://mail.example.com',
    'sogo:not a url',
    'mail.example.com/?m={folder}',
  ];
  for (const t of corpus) {
    let desktopOk = true;
    try {
      resolveTemplate(t);
    } catch {
      desktopOk = false;
    }
    assert.equal(webmailTemplateProblem(t) === undefined, desktopOk, `${t}: gateway says ${webmailTemplateProblem(t) ?? 'fine'}, desktop ${desktopOk ? 'accepts' : 'refuses'}`);
  }
  assert.equal(webmailTemplateProblem(''), undefined, 'empty: no webmail (the user may name their own)');

  const env = {};
  assert.throws(() => loadSettings({ env, overrides: { 'client.webmailUrl': 'javascript:alert(1)' } }), (e: Error) => e instanceof ConfigError && /invalid setting "client\.webmailUrl" \(from command-line option for client\.webmailUrl\): only http and https webmail URLs are opened/.test(e.message));
  assert.throws(() => loadSettings({ env, overrides: { 'client.domains': { 'example.org': { webmailUrl: 'https://{folder}.evil.example/' } } } }), /invalid setting "client\.domains\.example\.org\.webmailUrl".*a placeholder may not stand in the scheme, host or port/);
  assert.throws(() => loadSettings({ env, overrides: { 'client.domains': { 'example.org': { skin: 'Classic' } } } }), /unknown setting "client\.domains\.example\.org\.skin"/);
  assert.throws(() => loadSettings({ env: { HERALD__CLIENT__POLL_SECONDS: '0' } }), /invalid setting "client\.pollSeconds" \(from environment variable HERALD__CLIENT__POLL_SECONDS\)/);
});
