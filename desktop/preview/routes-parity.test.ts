// Main opens windows for routes it parses (src/main/window-routes.ts); the renderer shows a view
// for the route it parses (src/renderer/router.ts). They may not import each other, so this test
// holds them to the same table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouteHash, routeHash as mainHash } from '../src/main/window-routes.ts';
import { parseRoute, routeHash as rendererHash } from '../src/renderer/router.ts';

const HASHES = [
  '#/contacts', '#/chat/bob%40example.com', '#/room/team-1%40conference.example.com', '#/history', '#/history/bob%40example.com',
  '#/folders', '#/settings', '#/about', '#/sign-in',
  '', '#/', '#/nope', '#/chat', '#/chat/bob', '#/chat/%E0%A4%A', '#/contacts/x%40y.z', '#/chat/a%40b.c/d', '#/CHAT/a%40b.c', '#/history/not-a-jid',
];

test('main and the renderer read every route the same way, and write it back the same way', () => {
  for (const h of HASHES) {
    const m = parseRouteHash(h);
    const r = parseRoute(h);
    assert.deepEqual(r, m, h);
    if (m) assert.equal(rendererHash(r!), mainHash(m), h);
  }
});
