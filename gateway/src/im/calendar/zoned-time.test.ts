// Wall-clock time in IANA zones ↔ instants, across DST changes, and the dates messages show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRelative, formatWhen, isKnownTimeZone, wallAt, wallToEpoch } from './zoned-time.ts';

const w = (year: number, month: number, day: number, hour = 0, minute = 0, second = 0) => ({ year, month, day, hour, minute, second });
const iso = (ms: number) => new Date(ms).toISOString();

test('wall time in a zone → instant, summer and winter', () => {
  assert.equal(iso(wallToEpoch(w(2026, 7, 1, 10), 'Europe/Berlin')), '2026-07-01T08:00:00.000Z');
  assert.equal(iso(wallToEpoch(w(2026, 12, 1, 10), 'Europe/Berlin')), '2026-12-01T09:00:00.000Z');
  assert.equal(iso(wallToEpoch(w(2026, 12, 1, 10), 'America/New_York')), '2026-12-01T15:00:00.000Z');
  assert.equal(iso(wallToEpoch(w(2026, 12, 1, 10), 'Asia/Kolkata')), '2026-12-01T04:30:00.000Z');
  assert.equal(iso(wallToEpoch(w(2026, 12, 1, 10), 'UTC')), '2026-12-01T10:00:00.000Z');
});

test('a time skipped by the spring change moves forward by the gap; a repeated one is the first (RFC 5545 §3.3.5)', () => {
  // Berlin, 29 Mar 2026: 02:00 CET → 03:00 CEST. 02:30 does not exist: 02:30 +01:00 = 01:30Z (03:30 CEST).
  assert.equal(iso(wallToEpoch(w(2026, 3, 29, 2, 30), 'Europe/Berlin')), '2026-03-29T01:30:00.000Z');
  // Berlin, 25 Oct 2026: 03:00 CEST → 02:00 CET. 02:30 happens twice; the first is 02:30 +02:00.
  assert.equal(iso(wallToEpoch(w(2026, 10, 25, 2, 30), 'Europe/Berlin')), '2026-10-25T00:30:00.000Z');
  // Round trip away from the changes.
  const t = Date.UTC(2026, 5, 15, 12, 34, 56);
  assert.equal(wallToEpoch(wallAt(t, 'Australia/Sydney'), 'Australia/Sydney'), t);
});

test('known zones', () => {
  assert.equal(isKnownTimeZone('Europe/Berlin'), true);
  assert.equal(isKnownTimeZone('W. Europe Standard Time'), false);
  assert.equal(isKnownTimeZone('Nowhere/City'), false);
});

test('an event time as people read it, in their zone, with today/tomorrow', () => {
  const now = Date.UTC(2026, 11, 1, 8, 0); // Tue 1 Dec 2026 09:00 in Berlin
  const start = Date.UTC(2026, 11, 1, 13, 30);
  assert.equal(formatWhen(start, start + 3_600_000, 'Europe/Berlin', { now }), 'today (Tue 1 Dec 2026), 14:30–15:30');
  assert.equal(formatWhen(start, start + 3_600_000, 'America/New_York', { now }), 'today (Tue 1 Dec 2026), 08:30–09:30');
  assert.equal(formatWhen(start + 86_400_000, start + 86_400_000, 'Europe/Berlin', { now }), 'tomorrow (Wed 2 Dec 2026), 14:30');
  assert.equal(formatWhen(start, start + 12 * 3_600_000, 'Europe/Berlin'), 'Tue 1 Dec 2026, 14:30 – Wed 2 Dec 2026, 02:30');
  const midnight = wallToEpoch(w(2026, 12, 24), 'Europe/Berlin');
  assert.equal(formatWhen(midnight, midnight + 86_400_000, 'Europe/Berlin', { allDay: true }), 'Thu 24 Dec 2026 (all day)');
  assert.equal(formatWhen(midnight, midnight + 3 * 86_400_000, 'Europe/Berlin', { allDay: true }), 'Thu 24 Dec 2026 – Sat 26 Dec 2026 (all day)');
  assert.equal(formatWhen(start, start, 'Europe/Berlin', { locale: 'de-DE' }), 'Di. 1. Dez. 2026, 14:30');
});

test('relative times', () => {
  const now = 1_000_000_000_000;
  assert.equal(formatRelative(now + 15 * 60_000, now), 'in 15 minutes');
  assert.equal(formatRelative(now + 60_000, now), 'in 1 minute');
  assert.equal(formatRelative(now + 125 * 60_000, now), 'in 2 hours 5 minutes');
  assert.equal(formatRelative(now + 26 * 3_600_000, now), 'in 1 day 2 hours');
  assert.equal(formatRelative(now - 5 * 60_000, now), '5 minutes ago');
  assert.equal(formatRelative(now + 10_000, now), 'now');
});
