import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cell } from './cell.ts';

test('a value set between a view\'s render and its subscription is not missed', () => {
  const cell = new Cell('unavailable');
  const rendered = cell.value; // the view painted this
  cell.set('online'); // the snapshot arrives before the view's effect subscribed
  let updates = 0;
  const stop = cell.follow(rendered, () => updates++);
  assert.equal(updates, 1, 'told at once');
  cell.set('offline');
  assert.equal(updates, 2, 'and of later changes');
  stop();
  cell.set('online');
  assert.equal(updates, 2, 'not after unsubscribing');
});

test('no extra update when nothing changed since the render', () => {
  const cell = new Cell({ n: 1 });
  let updates = 0;
  cell.follow(cell.value, () => updates++);
  assert.equal(updates, 0);
});
