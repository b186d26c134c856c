import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeImapError, describeLogin, loginFor } from './imap-connection.ts';

const login = { mode: 'master' as const, masterUser: 'master', masterPassword: 'secret', separator: '*' };

test('master mode logs in as user*master; authzid mode uses SASL PLAIN with the user as authzid', () => {
  assert.deepEqual(loginFor(login, 'a@example.com'), { user: 'a@example.com*master', pass: 'secret' });
  assert.deepEqual(loginFor({ ...login, mode: 'authzid' }, 'a@example.com'), {
    user: 'master',
    pass: 'secret',
    authzid: 'a@example.com',
    loginMethod: 'AUTH=PLAIN',
  });
  assert.doesNotMatch(describeLogin(login, 'a@example.com') + describeLogin({ ...login, mode: 'authzid' }, 'a@example.com'), /secret/);
});

test('errors become short reasons', () => {
  const o = { login: describeLogin(login, 'a@example.com'), timeoutSeconds: 10 };
  const d = (e: object) => describeImapError(Object.assign(new Error('x'), e), o);
  assert.equal(d({ code: 'ECONNREFUSED' }), 'connection refused');
  assert.equal(d({ code: 'CONNECT_TIMEOUT' }), 'no answer within 10 s');
  assert.equal(d({ code: 'ENOTFOUND' }), 'host name not found');
  assert.equal(d({ code: 'NoConnection' }), 'connection closed by the server');
  assert.equal(
    d({ authenticationFailed: true, responseText: 'Authentication failed.' }),
    'login as "a@example.com*master" (master user) failed (Authentication failed.); check mail.imap.login',
  );
  assert.equal(d({ responseStatus: 'NO', responseText: 'Mailbox is locked (0.001 + 0.000 secs).' }), 'NO: Mailbox is locked (0.001 + 0.000 secs).');
  assert.equal(describeImapError(undefined, o), 'undefined');
});
