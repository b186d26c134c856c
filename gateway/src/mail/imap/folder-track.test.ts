import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertRange, applyStatus, knownFreshCount, toFolder, trackFolder, uidChunks, watermarksFor, type FolderStatus } from './folder-track.ts';

const status = (o: Partial<FolderStatus> = {}): FolderStatus => ({
  path: 'INBOX',
  name: 'INBOX',
  specialUse: '\\Inbox',
  messages: 5,
  unseen: 2,
  uidNext: 11,
  uidValidity: 100,
  ...o,
});

test('first sight: baseline takes existing mail as alerted, nothing acknowledged', () => {
  assert.deepEqual(watermarksFor(status(), undefined), { alertedUid: 10, ackedUid: 0, baseline: true });
  assert.deepEqual(watermarksFor(status({ uidNext: 1, messages: 0, unseen: 0 }), undefined), { alertedUid: 0, ackedUid: 0, baseline: true });
});

test('stored watermarks are kept while UIDVALIDITY holds, replaced when it changes', () => {
  const row = { uidValidity: 100, alertedUid: 7, ackedUid: 4 };
  assert.deepEqual(watermarksFor(status(), row), { alertedUid: 7, ackedUid: 4, baseline: false });
  assert.deepEqual(watermarksFor(status({ uidValidity: 200 }), row), { alertedUid: 10, ackedUid: 0, baseline: true });
});

test('alert range: the uids above the alerted watermark, up to UIDNEXT-1', () => {
  const t = trackFolder(status(), { alertedUid: 7, ackedUid: 0 });
  assert.deepEqual(alertRange(t), { from: 8, to: 10 });
  t.alertedUid = 10;
  assert.equal(alertRange(t), undefined);
});

test('new count known without a search when the numbers decide it', () => {
  const t = trackFolder(status(), { alertedUid: 10, ackedUid: 0 });
  assert.equal(knownFreshCount(t), 2, 'nothing acknowledged: every unseen message is new');
  t.ackedUid = 10;
  assert.equal(knownFreshCount(t), 0, 'acknowledged up to the top');
  t.ackedUid = 12;
  assert.equal(knownFreshCount(t), 0);
  t.ackedUid = 5;
  assert.equal(knownFreshCount(t), undefined, 'some acknowledged: the server must tell');
  t.unseen = 0;
  assert.equal(knownFreshCount(t), 0, 'nothing unseen');
});

test('applyStatus marks the folder stale only when its counters moved', () => {
  const t = trackFolder(status(), { alertedUid: 10, ackedUid: 0 });
  t.stale = false;
  assert.deepEqual(applyStatus(t, status()), { uidValidityChanged: false, shownChanged: false });
  assert.equal(t.stale, false);
  assert.deepEqual(applyStatus(t, status({ uidNext: 12, messages: 6, unseen: 3 })), { uidValidityChanged: false, shownChanged: true });
  assert.equal(t.stale, true);
  t.stale = false;
  // An expunge of a seen message and a new arrival: same totals, but UIDNEXT moved.
  assert.deepEqual(applyStatus(t, status({ uidNext: 13, messages: 6, unseen: 3 })), { uidValidityChanged: false, shownChanged: false });
  assert.equal(t.stale, true);
  assert.equal(applyStatus(t, status({ uidValidity: 5, uidNext: 13, messages: 6, unseen: 3 })).uidValidityChanged, true);
});

test('toFolder: the API shape; new never above unread', () => {
  const t = trackFolder(status({ path: 'Work/Sub', name: 'Sub', specialUse: null }), { alertedUid: 10, ackedUid: 0 });
  t.fresh = 9;
  assert.deepEqual(toFolder(t), { path: 'Work/Sub', name: 'Sub', specialUse: null, total: 5, unread: 2, new: 2 });
});

test('uid chunks cover the range exactly', () => {
  assert.deepEqual(uidChunks(1, 5, 2), ['1:2', '3:4', '5:5']);
  assert.deepEqual(uidChunks(8, 8, 200), ['8:8']);
  assert.deepEqual(uidChunks(1, 400, 200), ['1:200', '201:400']);
});
