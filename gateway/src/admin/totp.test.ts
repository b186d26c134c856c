import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDb } from '../store/db.ts';
import { createAdminTotpStore } from '../store/admin-totp.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTotp, newTotpSecret, totpCode, totpStep, TOTP_PERIOD_S } from './totp.ts';

// RFC 6238 Appendix B: the SHA-1 test key "12345678901234567890" (base32 below); T = 59 s → 94287082 (8 digits), so 287082 for 6.
const RFC_KEY = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

test('codes follow RFC 6238 (Appendix B test vector, 6 digits)', () => {
  assert.equal(totpCode(RFC_KEY, 59_000), '287082');
  assert.equal(totpCode(RFC_KEY, 1_111_111_109_000), '081804');
});

test('a code is accepted one step either side of now, not two', () => {
  const t = 1_111_111_109_000;
  const code = totpCode(RFC_KEY, t);
  const step = Math.floor(t / 1000 / TOTP_PERIOD_S);
  assert.equal(totpStep(RFC_KEY, code, t), step);
  assert.equal(totpStep(RFC_KEY, code, t + TOTP_PERIOD_S * 1000), step);
  assert.equal(totpStep(RFC_KEY, code, t - TOTP_PERIOD_S * 1000), step);
  assert.equal(totpStep(RFC_KEY, code, t + 2 * TOTP_PERIOD_S * 1000), undefined);
  assert.equal(totpStep(RFC_KEY, code, t - 2 * TOTP_PERIOD_S * 1000), undefined);
  assert.equal(totpStep(RFC_KEY, 'abcdef', t), undefined);
  assert.equal(totpStep(RFC_KEY, `${code.slice(0, 3)} ${code.slice(3)}`, t), step, 'spaces as apps show them');
});

test('enrollment needs a right first code; a code works once (no replay), an older one never', () => {
  const db = openDb(mkdtempSync(path.join(tmpdir(), 'totp-')));
  db.prepare("INSERT INTO domains (name, created_at) VALUES ('example.com', 0)").run();
  const id = Number(db.prepare("INSERT INTO accounts (address, local, domain, display_name, created_at, updated_at) VALUES ('a@example.com', 'a', 'example.com', 'A', 0, 0)").run().lastInsertRowid);
  let now = 1_800_000_000_000;
  const totp = createTotp({ store: createAdminTotpStore(db), now: () => now });
  const { secret, uri } = newTotpSecret('a@example.com');
  assert.match(uri, /^otpauth:\/\/totp\/Herald:a%40example\.com\?.*secret=/);
  const near = [-1, 0, 1].map((k) => totpCode(secret, now + k * TOTP_PERIOD_S * 1000));
  const wrong = ['111111', '222222', '333333', '444444'].find((c) => !near.includes(c))!;
  assert.throws(() => totp.confirm(id, secret, wrong), /does not match/);
  assert.equal(totp.enrolled(id), false);
  totp.confirm(id, secret, totpCode(secret, now));
  assert.equal(totp.enrolled(id), true);
  assert.equal(totp.verify(id, totpCode(secret, now)), false, 'the enrollment code is spent');
  now += TOTP_PERIOD_S * 1000;
  const next = totpCode(secret, now);
  assert.equal(totp.verify(id, next), true);
  assert.equal(totp.verify(id, next), false, 'replayed');
  now += TOTP_PERIOD_S * 1000;
  assert.equal(totp.verify(id, totpCode(secret, now - TOTP_PERIOD_S * 1000)), false, 'a step before the last used one');
  assert.equal(totp.verify(id, totpCode(secret, now)), true);
});
