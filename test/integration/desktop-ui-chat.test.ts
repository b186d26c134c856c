// Chat in the desktop renderer, end to end: two people (alice and bob, each with a real desktop
// core and its XMPP client) talk through the real gateway's XMPP server in Debian's Chromium —
// typing shown, text colour and an emoticon sent, delivery confirmed; a message to a closed
// conversation pops up with its sound and the pop-up opens it; a group conversation is created,
// joined from the invitation and used; a file goes over with a progress bar; history is searched.
// Screenshots of the chat views in every skin go to test/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { OpenedPage } from '../fixtures/chromium.ts';
import { SKINS, progressSeen, shoot, sounds, startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';


let ui: DesktopUi;
let alice: OpenedPage;
let bob: OpenedPage;
let aliceChat: Page;
let roomJid = '';
const ROOM_NAME = 'Launch';

const online = (profile: string) => ui.preview.profile(profile).core.chat()?.connection().state === 'online';

before(async () => {
  ui = await startDesktopUi();
  await ui.signIn('alice');
  await ui.signIn('bob');
  await until('both chats online', () => online('alice') && online('bob'), 15000);
  alice = await ui.open('alice', '#/contacts', { viewport: { width: 340, height: 620 } });
  bob = await ui.open('bob', '#/contacts', { viewport: { width: 340, height: 620 } });
});
after(async () => {
  await ui?.close();
});

/** The next window a page opens (a conversation, a room). */
async function popup(o: OpenedPage, action: () => Promise<void>, size = { width: 520, height: 560 }): Promise<Page> {
  const next = o.context.waitForEvent('page');
  await action();
  const p = await next;
  await p.setViewportSize(size);
  await p.waitForLoadState();
  return p;
}

test('1:1: typing is shown, a coloured message with an emoticon arrives as sent, and is marked delivered', async () => {
  await alice.page.getByRole('option', { name: /^Bob, Online/ }).waitFor();
  aliceChat = await popup(alice, () => alice.page.getByRole('option', { name: /^Bob, Online/ }).dblclick());
  assert.match(aliceChat.url(), /#\/chat\/bob%40example\.com$/);
  const bobChat = await ui.open('bob', '#/chat/alice%40example.com', { viewport: { width: 520, height: 560 } });
  await bobChat.page.getByText('No messages yet. Say hello!').waitFor();

  const box = aliceChat.getByRole('textbox', { name: 'Message to Bob' });
  await box.pressSequentially('Hello Bob ');
  await bobChat.page.getByText(/is typing…/).waitFor();
  await aliceChat.getByRole('button', { name: 'Text colour' }).click();
  await aliceChat.getByRole('radio', { name: '#c0392b' }).click();
  await aliceChat.getByRole('button', { name: 'Emoticons' }).click();
  await aliceChat.getByRole('button', { name: '🙂 :-)' }).click();
  assert.equal(await box.inputValue(), 'Hello Bob 🙂');
  await box.press('Enter');

  const got = bobChat.page.locator('.msg.in').filter({ hasText: 'Hello Bob 🙂' });
  await got.waitFor();
  const colour = await got.locator('.msg-body span').first().evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color);
  assert.equal(colour, 'rgb(192, 57, 43)', 'the text colour travelled as XHTML-IM');
  await until('typing indicator cleared', async () => (await bobChat.page.locator('.typing').innerText()) === '');
  await aliceChat.locator('.msg.out').filter({ hasText: 'Hello Bob' }).getByRole('img', { name: 'Delivered' }).waitFor();
  assert.equal(await box.inputValue(), '');

  // Keyboard only: Shift+Enter makes a new line, Enter sends.
  await bobChat.page.getByRole('textbox', { name: /Message to Alice/ }).focus();
  await bobChat.page.keyboard.type('Hi Alice!');
  await bobChat.page.keyboard.press('Shift+Enter');
  await bobChat.page.keyboard.type('Lunch at noon?');
  await bobChat.page.keyboard.press('Enter');
  await aliceChat.locator('.msg.in').filter({ hasText: 'Hi Alice!\nLunch at noon?' }).waitFor();
  assert.deepEqual([...alice.problems, ...bobChat.problems], []);
  await bobChat.close();
});

test('keyboard: arrow keys move through the contact list, Enter opens a conversation; search filters', async () => {
  const bobRow = alice.page.getByRole('option', { name: /^Bob, Online/ });
  await bobRow.focus();
  await alice.page.keyboard.press('ArrowDown');
  const carolRow = alice.page.getByRole('option', { name: /^Carol, Offline/ });
  assert.equal(await carolRow.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement), true, 'Carol has the focus');
  const carolChat = await popup(alice, () => alice.page.keyboard.press('Enter'));
  assert.match(carolChat.url(), /#\/chat\/carol%40example\.com$/);
  await carolChat.getByRole('textbox', { name: 'Message to Carol' }).waitFor();
  await carolChat.close();
  await alice.page.getByRole('searchbox', { name: 'Search contacts' }).fill('car');
  const list = alice.page.getByRole('listbox', { name: 'Contacts' });
  await until('only Carol listed', async () => (await list.getByRole('option').allInnerTexts()).join('|') === 'Carol\nOffline');
  await alice.page.getByRole('searchbox', { name: 'Search contacts' }).fill('nobody');
  await alice.page.getByText('Nobody matches “nobody”.').waitFor();
  await alice.page.getByRole('searchbox', { name: 'Search contacts' }).fill('');
});

test('a message to a closed conversation pops up with its sound; the pop-up opens the conversation', async () => {
  const before = (await sounds(bob.page)).length;
  await aliceChat.getByRole('textbox', { name: 'Message to Bob' }).fill('Are you there?');
  await aliceChat.getByRole('button', { name: 'Send', exact: true }).click();
  const note = bob.page.getByRole('button', { name: /Alice.*Are you there\?/s });
  await note.waitFor();
  await until('MessageIn sound', async () => (await sounds(bob.page)).slice(before).includes('/skins/Default/sounds/message-in.wav'));
  assert.ok(ui.preview.profile('bob').shell.chatUnread() >= 1);
  assert.equal(ui.preview.profile('bob').tray()?.icon, 'chat', 'the tray shows unread chat');
  const conversation = await popup(bob, () => note.click());
  assert.match(conversation.url(), /#\/chat\/alice%40example\.com$/);
  await conversation.locator('.msg.in').filter({ hasText: 'Are you there?' }).waitFor();
  await conversation.close();
});

test('group conversation: created with an invitation, joined from it, members listed, messages both ways', async () => {
  await alice.page.getByRole('button', { name: 'New group conversation' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'Start a group conversation' });
  await dialog.getByLabel('Name of the conversation').fill(ROOM_NAME);
  await dialog.getByRole('checkbox', { name: 'Bob' }).check();
  const aliceRoom = await popup(alice, () => dialog.getByRole('button', { name: 'Create' }).click(), { width: 680, height: 580 });
  roomJid = decodeURIComponent(/#\/room\/(.+)$/.exec(aliceRoom.url())![1]!);
  await aliceRoom.locator('.titlebar h1').filter({ hasText: ROOM_NAME }).waitFor();

  const invite = bob.page.getByRole('alert').filter({ hasText: /invites you to/ });
  await invite.waitFor();
  const bobRoom = await popup(bob, () => invite.getByRole('button', { name: 'Join' }).click(), { width: 680, height: 580 });
  assert.equal(decodeURIComponent(/#\/room\/(.+)$/.exec(bobRoom.url())![1]!), roomJid);
  await until('both members listed', async () => (await bobRoom.locator('.members li').count()) === 2);
  await aliceRoom.getByRole('textbox', { name: new RegExp(`Message to ${ROOM_NAME}`) }).fill('Welcome to the launch room');
  await aliceRoom.keyboard.press('Enter');
  await bobRoom.locator('.msg.in').filter({ hasText: 'Welcome to the launch room' }).waitFor();
  await bobRoom.getByRole('textbox', { name: new RegExp(`Message to ${ROOM_NAME}`) }).fill('Glad to be here');
  await bobRoom.keyboard.press('Enter');
  await aliceRoom.locator('.msg.in').filter({ hasText: 'Glad to be here' }).waitFor();
  assert.match(await aliceRoom.locator('.msg.in .msg-from').last().innerText(), /bob/i);
  await bobRoom.close();
  await alice.page.getByRole('button', { name: new RegExp(ROOM_NAME) }).waitFor();
});

test('a file is sent with a progress bar and arrives as a link to the gateway’s upload', async () => {
  const file = path.join(ui.root, 'plan.pdf');
  writeFileSync(file, Buffer.alloc(3 * 1024 * 1024, 7));
  const chat = await ui.open('alice', '#/chat/bob%40example.com', { viewport: { width: 520, height: 560 } });
  const page = chat.page;
  await page.locator('.msg').first().waitFor();
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Send a file' }).click();
  await (await chooser).setFiles(file);
  const sent = page.locator('.msg.out').filter({ has: page.getByRole('link', { name: 'plan.pdf', exact: true }) });
  await sent.waitFor({ timeout: 15000 });
  const seen = await progressSeen(page);
  assert.ok(seen.length >= 1 && seen[0] === 0, `a progress bar was shown from 0: ${JSON.stringify(seen)}`);
  assert.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]!), `progress only grows: ${JSON.stringify(seen)}`);
  assert.ok(seen.some((v) => v > 0 && v < 100), `the bar moved through the upload, not just 0 then done: ${JSON.stringify(seen)}`);
  const href = await sent.getByRole('link', { name: 'plan.pdf', exact: true }).getAttribute('href');
  assert.ok(href?.startsWith(`${ui.gw.url}/upload/`), href ?? '');
  assert.equal(await page.getByRole('progressbar').count(), 0, 'the bar is gone when done');
  assert.deepEqual(chat.problems, []);
  await chat.close();
  const bobChat = await ui.open('bob', '#/chat/alice%40example.com', { viewport: { width: 520, height: 560 } });
  await bobChat.page.locator('.msg.in').getByRole('link', { name: 'plan.pdf', exact: true }).waitFor();
  const res = await fetch(href!);
  assert.equal((await res.arrayBuffer()).byteLength, 3 * 1024 * 1024);
  await bobChat.close();
});

test('history: the conversation is listed and searched, matches highlighted; nothing found is said', async () => {
  const h = await ui.open('alice', '#/history/bob%40example.com', { viewport: { width: 720, height: 560 } });
  await h.page.locator('.msg').filter({ hasText: 'Are you there?' }).waitFor();
  await h.page.getByRole('searchbox', { name: 'Search in this conversation' }).fill('lunch');
  await h.page.keyboard.press('Enter');
  await h.page.getByRole('status').filter({ hasText: '1 message' }).waitFor();
  assert.equal(await h.page.locator('mark').first().innerText(), 'Lunch');
  await h.page.getByRole('searchbox', { name: 'Search in this conversation' }).fill('no such words');
  await h.page.keyboard.press('Enter');
  await h.page.getByText('No messages found.').waitFor();
  await h.page.getByRole('option', { name: ROOM_NAME }).click();
  await h.page.getByRole('searchbox', { name: 'Search in this conversation' }).fill('');
  await h.page.keyboard.press('Enter');
  await h.page.locator('.msg').filter({ hasText: 'Glad to be here' }).waitFor();
  assert.deepEqual(h.problems, []);
  await h.close();
});

test('screenshots: chat, group conversation, pickers and history in every bundled skin', async () => {
  const room = await ui.open('alice', `#/room/${encodeURIComponent(roomJid)}`, { viewport: { width: 680, height: 580 } });
  await room.page.locator('.msg').first().waitFor();
  const history = await ui.open('alice', '#/history/bob%40example.com', { viewport: { width: 720, height: 560 } });
  await history.page.locator('.msg').first().waitFor();
  for (const skin of SKINS) {
    await ui.preview.profile('alice').core.updateSettings({ skin });
    const lower = skin.toLowerCase();
    await shoot(aliceChat, `chat-${lower}`);
    await shoot(room.page, `room-${lower}`);
    await shoot(history.page, `history-${lower}`);
    await shoot(alice.page, `contacts-chat-${lower}`);
    await aliceChat.getByRole('button', { name: 'Emoticons' }).click();
    await shoot(aliceChat, `chat-emoticons-${lower}`);
    await aliceChat.keyboard.press('Escape');
  }
  await ui.preview.profile('alice').core.updateSettings({ skin: 'Default' });
  assert.deepEqual([...room.problems, ...history.problems], []);
});
