// The one route table main and the renderer share: what is a route, and that writing a parsed
// route gives the canonical hash back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouteHash, routeHash } from './routes.ts';

test('routes parse and write back; anything else is not a route', () => {
  const routes = ['#/contacts', '#/chat/bob%40example.com', '#/room/team-1%40conference.example.com', '#/history', '#/history/bob%40example.com', '#/folders', '#/settings', '#/about', '#/sign-in'];
  for (const h of routes) assert.equal(routeHash(parseRouteHash(h)!), h, h);
  assert.deepEqual(parseRouteHash('#/chat/bob%40example.com'), { view: 'chat', jid: 'bob@example.com' });
  for (const h of ['', '#/', '#/nope', '#/chat', '#/chat/bob', '#/chat/%E0%A4%A', '#/contacts/x%40y.z', '#/chat/a%40b.c/d', '#/CHAT/a%40b.c', '#/history/not-a-jid']) {
    assert.equal(parseRouteHash(h), undefined, h);
  }
});
