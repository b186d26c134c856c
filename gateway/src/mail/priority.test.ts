import { test } from 'node:test';
import assert from 'node:assert/strict';
import { priorityOf } from './priority.ts';

const of = (h: Record<string, string>) => priorityOf((name) => h[name]);

test('X-Priority 1–5 as Outlook and Thunderbird write it', () => {
  assert.equal(of({ 'x-priority': '1 (Highest)' }), 'high');
  assert.equal(of({ 'x-priority': '2 (High)' }), 'high');
  assert.equal(of({ 'x-priority': '3 (Normal)' }), 'normal');
  assert.equal(of({ 'x-priority': '4 (Low)' }), 'low');
  assert.equal(of({ 'x-priority': '5' }), 'low');
  assert.equal(of({ 'x-priority': 'High' }), 'high', 'a word instead of a digit');
});

test('Importance, Priority (RFC 2156) and X-MSMail-Priority, case-insensitive', () => {
  assert.equal(of({ importance: 'High' }), 'high');
  assert.equal(of({ importance: 'low' }), 'low');
  assert.equal(of({ priority: 'urgent' }), 'high');
  assert.equal(of({ priority: 'non-urgent' }), 'low');
  assert.equal(of({ 'x-msmail-priority': 'Low' }), 'low');
});

test('X-Priority wins over Importance; a header that says nothing understandable is skipped', () => {
  assert.equal(of({ 'x-priority': '5 (Lowest)', importance: 'high' }), 'low');
  assert.equal(of({ 'x-priority': 'whatever', importance: 'high' }), 'high');
  assert.equal(of({ 'x-priority': '9', priority: 'urgent' }), 'high', 'an out-of-range digit is no answer');
});

test('absent, empty or garbage: normal', () => {
  assert.equal(of({}), 'normal');
  assert.equal(of({ 'x-priority': '' }), 'normal');
  assert.equal(of({ importance: '\u0000\u0001 ###' }), 'normal');
});
