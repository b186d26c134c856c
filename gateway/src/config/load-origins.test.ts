import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadSettings, originOf, settingOrigins } from './load.ts';

test('each setting says where it came from: default, file, environment, command line (the last one wins)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-origins-'));
  const file = path.join(dir, 'herald.json');
  writeFileSync(file, JSON.stringify({ http: { port: 3100 }, xmpp: { port: 5300 }, log: { level: 'warn' } }));
  const s = loadSettings({ configFile: file, env: { HERALD_XMPP_PORT: '5301', HERALD__IM__LOCALE: 'de' }, overrides: { 'log.level': 'debug' } });
  const o = settingOrigins(s);
  assert.equal(originOf(o, 'http.port'), `config file ${file}`);
  assert.equal(originOf(o, 'xmpp.port'), 'environment variable HERALD_XMPP_PORT');
  assert.equal(originOf(o, 'im.locale'), 'environment variable HERALD__IM__LOCALE');
  assert.equal(originOf(o, 'log.level'), 'command-line option for log.level');
  assert.equal(originOf(o, 'http.host'), 'default');
  assert.equal(s.xmpp.port, 5301);
  assert.equal(s.log.level, 'debug');
});

test('a whole object set in the file gives its keys the file as origin; settings not from loadSettings have none', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-origins-'));
  const file = path.join(dir, 'herald.json');
  writeFileSync(file, JSON.stringify({ client: { domains: {} } }));
  const o = settingOrigins(loadSettings({ configFile: file, env: {} }));
  assert.equal(originOf(o, 'client.domains.example.com.webmailUrl'), 'default', 'an empty object sets nothing below it');
  assert.equal(originOf(new Map([['client.domains', 'config file x']]), 'client.domains.example.com.webmailUrl'), 'config file x');
  assert.equal(settingOrigins(structuredClone(loadSettings({ env: {} }))).size, 0);
});
