import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createAuditLog, formatAuditLine, parseAuditLine } from './audit.ts';

const actor = { who: 'ann@example.com', from: '127.0.0.1' };

test('an audit line is one JSON object with who, when, from where and what, in a documented key order', () => {
  const line = formatAuditLine({ at: '2026-12-07T16:20:01.123Z', ...actor, action: 'user.add', target: 'bob@example.com', detail: { name: 'Bob' } });
  assert.equal(line, '{"at":"2026-12-07T16:20:01.123Z","who":"ann@example.com","from":"127.0.0.1","action":"user.add","target":"bob@example.com","detail":{"name":"Bob"}}');
  assert.deepEqual(parseAuditLine(line)?.detail, { name: 'Bob' });
  assert.equal(parseAuditLine('not json'), undefined);
});

test('a detail that names a password, secret, token or code is never written', () => {
  const line = formatAuditLine({ at: 'x', ...actor, action: 'user.passwd', target: 'b@example.com', detail: { password: 'hunter22', newPassword: 'x', totpSecret: 's', token: 't', code: '123456', keepDevices: true } });
  assert.doesNotMatch(line, /hunter22|totpSecret|"token"|123456|newPassword/);
  assert.match(line, /"keepDevices":true/);
});

test('a line break in a value stays inside its line', () => {
  const line = formatAuditLine({ at: 'x', ...actor, action: 'session.end', target: 'a@b.c/x\ny', detail: { reason: 'one\ntwo' } });
  assert.equal(line.includes('\n'), false);
});

test('entries go to Audit-<UTC day>.log (0600), and search finds them by text, who and day range, newest first', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-'));
  let now = new Date('2026-12-06T23:59:59.000Z');
  const log = createAuditLog({ dir, now: () => now });
  log.record(actor, 'user.add', 'bob@example.com');
  now = new Date('2026-12-07T00:00:01.000Z');
  log.record({ who: 'cli@host', from: 'cli (root)' }, 'domain.im', 'example.com', { im: false });
  log.record(actor, 'user.del', 'bob@example.com');
  assert.deepEqual(log.days(), ['2026-12-07', '2026-12-06']);
  assert.equal(readFileSync(path.join(dir, 'Audit-2026-12-06.log'), 'utf8').trim().split('\n').length, 1);
  assert.equal(statSync(path.join(dir, 'Audit-2026-12-07.log')).mode & 0o777, 0o600);
  assert.deepEqual(log.search().map((e) => e.action), ['user.del', 'domain.im', 'user.add']);
  assert.deepEqual(log.search({ text: 'BOB' }).map((e) => e.action), ['user.del', 'user.add']);
  assert.deepEqual(log.search({ who: 'cli@' }).map((e) => e.action), ['domain.im']);
  assert.deepEqual(log.search({ until: '2026-12-06' }).map((e) => e.action), ['user.add']);
  assert.deepEqual(log.search({ since: '2026-12-07', text: 'bob' }).map((e) => e.action), ['user.del']);
  assert.equal(log.search({ limit: 1 }).length, 1);
});
