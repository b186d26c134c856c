import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouteHash, routeHash, routeKey, windowSpec, type Route } from './window-routes.ts';

test('routes round-trip through the hash; one key per conversation, case-insensitive', () => {
  const routes: Route[] = [
    { view: 'contacts' },
    { view: 'chat', jid: 'bob@example.com' },
    { view: 'room', jid: 'team-1@conference.example.com' },
    { view: 'history' },
    { view: 'history', jid: 'bob@example.com' },
    { view: 'folders' },
    { view: 'settings' },
    { view: 'about' },
    { view: 'help' },
    { view: 'help', section: 'alerts' },
    { view: 'help', section: 'sign-in' },
    { view: 'sign-in' },
  ];
  for (const r of routes) assert.deepEqual(parseRouteHash(routeHash(r)), r);
  assert.equal(routeKey({ view: 'chat', jid: 'Bob@Example.com' }), routeKey({ view: 'chat', jid: 'bob@example.com' }));
  assert.notEqual(routeKey({ view: 'chat', jid: 'bob@example.com' }), routeKey({ view: 'room', jid: 'bob@example.com' }));
  assert.ok(windowSpec({ view: 'chat', jid: 'a@b.c' }).width >= 380);
  // One Help window, whatever section it shows (opening another section moves that window there).
  assert.equal(routeKey({ view: 'help', section: 'alerts' }), routeKey({ view: 'help' }));
  assert.equal(routeHash({ view: 'help', section: 'skins' }), '#/help/skins');
});

test('anything else is not a route', () => {
  for (const h of ['', '#', '#/', '#/nope', '#/chat', '#/chat/bob', '#/chat/%E0%A4%A', '#/chat/a%20b@c.d', '#/contacts/x@y.z', '#/help/nope', '#/help/bob@example.com', '#/help/alerts/x', '#/help/ALERTS', '#/chat/a@b.c/d', 'chat/a@b.c', '#/CHAT/a@b.c']) {
    assert.equal(parseRouteHash(h), undefined, h);
  }
});
