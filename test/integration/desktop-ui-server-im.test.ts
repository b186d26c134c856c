// IMs the server sends, in the desktop renderer end to end (issue 14, gaps 6, 8 and 9): a script's
// SEM file dropped into the real gateway's spool and a message from herald@ arrive as a "Herald"
// conversation — named, styled, popped up — and stay in History › Conversations after a reload;
// an alert rule aimed at yourself gives one pop-up per mail; IM switched off and on again: the
// contacts window says what the chat waits for (in German for a German window), the status shows offline meanwhile, and the chat
// comes back by itself. Screenshots in test/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { drop, sem } from './sem-spool-helpers.ts';
import { screenshot, type OpenedPage } from '../fixtures/chromium.ts';
import { PASSWORDS, shoot, startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';

// Counts every pop-up the preview raises (its stand-in for OS notifications lives in a shadow
// root, which the client keeps even after it left the page): the ids seen, in order, and their
// texts; a pop-up replaced by one with the same id counts once.
const NOTES = `
  window.__notes = [];
  window.__noteTexts = {};
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (o) {
    const root = attach.call(this, o);
    new MutationObserver(() => {
      for (const el of root.querySelectorAll('[data-note]')) {
        if (!window.__notes.includes(el.dataset.note)) window.__notes.push(el.dataset.note);
        window.__noteTexts[el.dataset.note] = el.innerText || el.textContent;
      }
    }).observe(root, { subtree: true, childList: true });
    return root;
  };
`;
const notes = (page: Page) => page.evaluate('window.__notes') as Promise<string[]>;
/** The text of every pop-up raised so far (the last text of one replaced by id); the screenshot helper removes the pop-ups' host from the page. */
const noteTexts = (page: Page) => page.evaluate('Object.values(window.__noteTexts)') as Promise<string[]>;

const noteTextsOf = async (ids: string[]) => {
  const all = (await alice.page.evaluate('window.__noteTexts')) as Record<string, string>;
  return ids.map((id) => all[id] ?? '');
};

let ui: DesktopUi;
let alice: OpenedPage;
const ALICE = 'alice@example.com';
const core = () => ui.preview.profile('alice').core;
const chatState = () => core().chat()?.connection().state;

before(async () => {
  ui = await startDesktopUi();
  await ui.signIn('alice');
  await until('alice online', () => chatState() === 'online', 15000);
  alice = await ui.open('alice', '#/contacts', { viewport: { width: 360, height: 640 } });
  await alice.context.addInitScript({ content: NOTES });
  await alice.page.reload();
  await alice.page.getByRole('combobox', { name: 'My status' }).waitFor();
});
after(async () => {
  await ui?.close();
});

test('an alert rule aimed at yourself: one pop-up per mail, not two (first: no Herald pop-up of another test to merge with)', async () => {
  const token = await ui.gw.user(ALICE, PASSWORDS.alice!);
  const put = await ui.gw.api('PUT', '/api/v1/alert-rules', { token, body: { rules: [{ name: 'From the boss', conditions: { sender: { match: 'equals', value: 'boss@example.com' } } }] } });
  assert.equal(put.status, 200, JSON.stringify(put.json));
  assert.equal((await ui.gw.api('GET', '/api/v1/folders', { token })).status, 200);
  const before = (await notes(alice.page)).length;
  const ims = () => core().chat()!.serverConversations();
  await ui.deliver('alice', 'boss@example.com', 'Quarterly numbers');
  // Both sides of the pair happened: the mail was counted and the alert IM stored.
  await until('the new mail seen by the app', () => core().state().folders.some((f) => f.path === 'INBOX' && f.new > 0), 15000);
  await until('the alert IM arrived', async () => ims().includes('herald@example.com') && (await core().chat()!.history({ with: 'herald@example.com', max: 10 })).some((m) => m.body.includes('Quarterly numbers')), 15000);
  // A later mail the rule does not match: once its pop-up is up, the first mail's was decided
  // (the app raises mail pop-ups in order), so a second pop-up for it would be there by now.
  await ui.deliver('alice', 'carol@example.com', 'Lunch on Friday?');
  await until('the later mail popped up', async () => (await noteTexts(alice.page)).some((t) => t.includes('Lunch on Friday?')), 15000).catch(async (e) => {
    throw new Error(`${(e as Error).message}; notes: ${JSON.stringify(await noteTexts(alice.page))}`);
  });
  const raised = (await notes(alice.page)).slice(before);
  const texts = await noteTextsOf(raised);
  const quarterly = texts.filter((t) => t.includes('Quarterly numbers'));
  assert.equal(quarterly.length, 1, `one pop-up for one mail, got ${JSON.stringify(texts)}`);
  assert.equal(raised.length, 2, `the paired one and the later mail's: ${JSON.stringify(texts)}`);
});

test('a script SEM and a herald@ message arrive as Herald conversations: named, styled, popped up, linked, and kept in History', async () => {
  drop(ui.gw.spool.dir, 'IM-42', sem(ALICE, 'ci@example.com', 'Build 42 of herald failed: https://ci.example.com/builds/42'));
  await until('the CI IM stored', async () => (await core().chat()!.history({ with: 'ci@example.com', max: 5 })).length > 0).catch(async (e) => {
    throw new Error(`${(e as Error).message}; spool: ${JSON.stringify(ui.gw.spool.status())}`);
  });
  await until('the CI pop-up', async () => (await noteTexts(alice.page)).find((t) => t.includes('CI (Herald)') && t.includes('Build 42'))).catch(async (e) => {
    throw new Error(`${(e as Error).message}; notes: ${JSON.stringify(await noteTexts(alice.page))} ${JSON.stringify(await notes(alice.page))}`);
  });
  ui.gw.xmpp!.sendSystemMessage({ from: 'herald@example.com', to: ALICE, body: 'Reminder: Budget review at 14:00 in Room 2 (https://cal.example.com/e/7)' });
  await until('the Herald pop-up', async () => (await noteTexts(alice.page)).find((t) => /\bHerald\b/.test(t) && t.includes('Budget review')));
  // With the preview's pop-ups (shoot() takes them away): the server IMs arriving.
  await screenshot(alice.page, 'desktop-server-im-popup');

  const chat = await ui.open('alice', '#/chat/ci%40example.com', { viewport: { width: 520, height: 480 } });
  await chat.page.getByRole('heading', { name: 'CI (Herald)' }).waitFor();
  const msg = chat.page.locator('.msg.in.server').filter({ hasText: 'Build 42 of herald failed' });
  await msg.waitFor();
  assert.equal(await msg.locator('.msg-from').innerText(), 'CI (Herald)');
  const link = msg.getByRole('link', { name: 'https://ci.example.com/builds/42' });
  assert.equal(await link.getAttribute('target'), '_blank', 'opened through the window-open handler (link policy)');
  await shoot(chat.page, 'server-im-chat');
  await chat.context.close();

  // History lists both after a fresh start of the window (the pop-ups are gone).
  const history = await ui.open('alice', '#/history', { viewport: { width: 640, height: 480 } });
  await history.page.getByRole('option', { name: 'CI (Herald)' }).click();
  await history.page.locator('.msg.server').filter({ hasText: 'Build 42' }).waitFor();
  await history.page.getByRole('option', { name: 'Herald', exact: true }).click();
  await history.page.locator('.msg.server').filter({ hasText: 'Budget review' }).waitFor();
  await shoot(history.page, 'server-im-history');
  await history.context.close();
});

test('IM switched off and on: the window says what the chat waits for, the status is not "online" meanwhile, and chat comes back by itself', async () => {
  ui.gw.services.directory.setDomainIm('example.com', false);
  const line = alice.page.locator('.chat-state');
  await line.filter({ hasText: /instant messaging is switched off for your domain; trying again/ }).waitFor({ timeout: 10_000 });
  await alice.page.getByText(/Not connected: shown as “Online” once chat is back/).waitFor();
  assert.equal(await alice.page.locator('.own-status .presence').getAttribute('class'), 'presence presence-offline');
  const shownStatus = () => alice.page.getByRole('combobox', { name: 'My status' }).evaluate((el) => (el as unknown as { selectedOptions: { textContent: string | null }[] }).selectedOptions[0]?.textContent);
  assert.equal(await shownStatus(), 'Offline (not connected)', 'the status box shows the status in effect, not "Online"');
  await shoot(alice.page, 'chat-waiting-for-im');
  // In German the same wait is German: the core gives a code (ChatWait), the window the words.
  const de = await ui.open('alice', '#/contacts', { locale: 'de-DE', viewport: { width: 360, height: 640 } });
  try {
    const deLine = de.page.locator('.chat-state');
    await deLine.filter({ hasText: /^Chat ist nicht verbunden: Instant Messaging ist für Ihre Domain abgeschaltet; neuer Versuch (in \d+ s|läuft)$/ }).waitFor({ timeout: 10_000 });
    assert.doesNotMatch(await deLine.innerText(), /instant messaging is switched off|trying again/);
  } finally {
    await de.context.close();
  }
  ui.gw.services.directory.setDomainIm('example.com', true);
  await until('chat back by itself', () => chatState() === 'online', 15000);
  await line.waitFor({ state: 'detached' });
  assert.equal(await alice.page.locator('.own-status .presence').getAttribute('class'), 'presence presence-online');
  assert.equal(await shownStatus(), 'Online');
});
