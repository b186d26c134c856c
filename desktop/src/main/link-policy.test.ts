// The navigation / new-window / openExternal allow-list, as a table: our routes open Herald
// windows, webmail on its exact origin, the gateway's shared files and plain mailto go to the
// system browser, everything else is denied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_ORIGIN } from './app-origin.ts';
import { decideWindowOpen, externalAllowed, navigationAllowed, type LinkContext } from './link-policy.ts';

const ctx: LinkContext = { appOrigin: APP_ORIGIN, webmailOrigin: 'https://mail.example.com', gatewayOrigin: 'https://gw.example.com' };

test('window.open: our routes become Herald windows; anything else on our origin is refused', () => {
  assert.deepEqual(decideWindowOpen(`${APP_ORIGIN}/index.html#/chat/bob%40example.com`, ctx), { action: 'open-window', route: { view: 'chat', jid: 'bob@example.com' } });
  assert.deepEqual(decideWindowOpen(`${APP_ORIGIN}/#/settings`, ctx), { action: 'open-window', route: { view: 'settings' } });
  assert.deepEqual(decideWindowOpen(`${APP_ORIGIN}/index.html#/history`, ctx), { action: 'open-window', route: { view: 'history' } });
  for (const url of [`${APP_ORIGIN}/index.html#/shell`, `${APP_ORIGIN}/index.html#/chat/not-a-jid`, `${APP_ORIGIN}/other.html#/contacts`, `${APP_ORIGIN}/index.html#/chat/a%40b.c/extra`, `${APP_ORIGIN}/index.html#/settings/x%40y.z`]) {
    assert.equal(decideWindowOpen(url, ctx).action, 'deny', url);
  }
});

test('openExternal allow-list', () => {
  const allowed = [
    'https://mail.example.com/roundcube/?_task=mail&_mbox=INBOX',
    'https://mail.example.com/',
    'https://gw.example.com/upload/3f2a/report.pdf',
    'mailto:bob@example.com',
    'mailto:bob@example.com?subject=Hello%20there',
  ];
  const denied = [
    'http://mail.example.com/', // another origin (scheme)
    'https://mail.example.com:8443/',
    'https://mail.example.com.evil.example/',
    'https://evil.example/?https://mail.example.com/',
    'https://user:pw@mail.example.com/',
    'https://gw.example.com/api/v1/folders', // the gateway, but not a shared file
    'https://gw.example.com/uploadx/1',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'smb://fileserver/share',
    'ms-msdt:/id PCWDiagnostic',
    'mailto:bob@example.com?body=x&attach=/etc/passwd',
    'mailto:',
    'not a url',
    `https://mail.example.com/${'a'.repeat(9000)}`,
  ];
  for (const u of allowed) assert.equal(externalAllowed(u, ctx), true, u);
  for (const u of denied) assert.equal(externalAllowed(u, ctx), false, u);
  for (const u of allowed) assert.deepEqual(decideWindowOpen(u, ctx), { action: 'open-external', url: u });
  for (const u of denied) assert.equal(decideWindowOpen(u, ctx).action, 'deny', u);
  // No webmail configured, not signed in: only mailto is left.
  const bare = { appOrigin: APP_ORIGIN };
  assert.equal(externalAllowed('https://mail.example.com/', bare), false);
  assert.equal(externalAllowed('https://gw.example.com/upload/1/a', bare), false);
  assert.equal(externalAllowed('mailto:bob@example.com', bare), true);
});

test('navigation: only the page’s own #route may change', () => {
  const here = `${APP_ORIGIN}/index.html#/sign-in`;
  assert.equal(navigationAllowed(here, `${APP_ORIGIN}/index.html#/contacts`), true);
  for (const to of ['https://mail.example.com/', `${APP_ORIGIN}/other.html`, `${APP_ORIGIN}/index.html?x=1#/contacts`, 'file:///etc/passwd', 'about:blank', 'javascript:void 0']) {
    assert.equal(navigationAllowed(here, to), false, to);
  }
  assert.equal(navigationAllowed('http://127.0.0.1:5174/#/contacts', 'http://127.0.0.1:5174/#/settings'), true);
  assert.equal(navigationAllowed('http://127.0.0.1:5174/#/contacts', 'http://127.0.0.1:5175/#/settings'), false);
});
