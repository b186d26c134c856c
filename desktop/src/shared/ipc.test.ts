import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENTS, INVOKE, IpcPayloadError, REQUEST_SCHEMAS, parseRequest } from './ipc.ts';

test('every invoke channel has a payload schema; channel names are unique and namespaced', () => {
  const names = [...Object.values(INVOKE), ...Object.values(EVENTS)];
  assert.equal(new Set(names).size, names.length);
  for (const n of names) assert.match(n, /^herald:[a-z]+:[a-z-]+$/);
  assert.deepEqual(Object.keys(REQUEST_SCHEMAS).sort(), Object.values(INVOKE).sort());
  assert.ok(Object.values(INVOKE).filter((c) => c.startsWith('herald:chat:')).length >= 10, 'chat channels are part of the contract');
});

test('payloads: good ones pass (with defaults), bad ones are refused naming channel and field', () => {
  assert.deepEqual(parseRequest(INVOKE.openFolder, { path: 'Projects/Herald' }), { path: 'Projects/Herald' });
  assert.equal(parseRequest(INVOKE.getState, undefined), undefined);
  assert.deepEqual(parseRequest(INVOKE.chatHistory, { with: 'bob@example.com' }), { with: 'bob@example.com', max: 50 });
  assert.deepEqual(parseRequest(INVOKE.updateSettings, { alerts: { doNotDisturb: true } }), { alerts: { doNotDisturb: true } });
  assert.deepEqual(parseRequest(INVOKE.chatUpdateContact, { jid: 'bob@example.com', groups: [' Project X '] }), { jid: 'bob@example.com', groups: ['Project X'] });
  assert.deepEqual(parseRequest(INVOKE.historyExport, { with: 'bob@example.com', format: 'html' }), { with: 'bob@example.com', format: 'html' });
  const bad: [string, unknown, RegExp][] = [
    [INVOKE.openFolder, {}, /herald:mail:open-folder: invalid payload at "path"/],
    [INVOKE.openFolder, { path: 'x', extra: 1 }, /open-folder: invalid payload/],
    [INVOKE.openFolder, 'INBOX', /open-folder: invalid payload/],
    [INVOKE.getState, { sneaky: true }, /state:get: invalid payload/],
    [INVOKE.signIn, { gatewayUrl: 'http://gw', user: 'a@b.c' }, /at "password"/],
    [INVOKE.updateSettings, { version: 99 }, /settings:update: invalid payload/],
    [INVOKE.updateSettings, { alerts: { quietHours: { from: '9am' } } }, /at "alerts.quietHours.from"/],
    [INVOKE.chatSend, { to: 'not-a-jid', kind: 'chat', body: 'hi' }, /at "to"/],
    [INVOKE.chatSend, { to: 'bob@example.com', kind: 'chat', body: 'hi', color: 'red; background:url(x)' }, /at "color"/],
    [INVOKE.chatSetPresence, { show: 'chatty' }, /at "show"/],
    [INVOKE.chatAddContact, { jid: 'no-at-sign' }, /add-contact: invalid payload at "jid"/],
    [INVOKE.chatAddContact, { jid: 'dave@other.example', name: 'x'.repeat(257) }, /at "name"/],
    [INVOKE.chatUpdateContact, { jid: 'bob@example.com', groups: ['  '] }, /at "groups.0"/],
    [INVOKE.chatUpdateContact, { jid: 'bob@example.com', groups: Array.from({ length: 33 }, (_, i) => `g${i}`) }, /at "groups"/],
    [INVOKE.chatUpdateContact, { jid: 'bob@example.com', subscription: 'both' }, /update-contact: invalid payload/],
    [INVOKE.chatRemoveContact, {}, /at "jid"/],
    [INVOKE.historyExport, { with: 'bob@example.com', format: 'pdf' }, /at "format"/],
    [INVOKE.historyExport, { with: 'bob@example.com', format: 'text', file: '/etc/passwd' }, /history:export: invalid payload/],
    [INVOKE.historyOpenFolder, { path: '/' }, /history:open-folder: invalid payload/],
    ['herald:shell:exec', {}, /unknown channel/],
  ];
  for (const [ch, payload, want] of bad) {
    assert.throws(() => parseRequest(ch as never, payload), (e: Error) => e instanceof IpcPayloadError && want.test(e.message), `${ch} ${JSON.stringify(payload)}`);
  }
});
