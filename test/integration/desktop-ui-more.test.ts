// More of the desktop renderer, end to end, as a user clicks it (Debian's Chromium, the preview
// bridge, real desktop cores, the real gateway's XMPP server): someone on a domain that is not
// linked to example.com asks to see alice's presence — allowed from the bar, then a second one
// denied; a member leaves a group conversation from its window; a member invites another from
// inside a room and the invitee joins from the bar; and alice signs out from Settings and back in
// through the sign-in form; a left room is rejoined; and an Allow or Join that fails (the chat session
// ended) stays in its bar with the reason and works when tried again. Every step is checked on the page
// and in the cores / the gateway.
// Screenshots go to test/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { OUTBOX_FILE } from '../../desktop/src/core/chat/outbox.ts';
import type { OpenedPage } from '../fixtures/chromium.ts';
import { chatLookups, PASSWORDS, shoot, startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';

// Users of a domain that is NOT linked to example.com: not in anyone's directory roster there, so
// the RFC 6121 subscription flow applies between them and alice.
const DAVE = 'dave@other.example';
const ERIN = 'erin@other.example';
const FRANK = 'frank@other.example';
const OTHERS: Record<string, { address: string; password: string }> = {
  dave: { address: DAVE, password: 'dave the diver 4' },
  erin: { address: ERIN, password: 'erin the explorer 5' },
  frank: { address: FRANK, password: 'frank the fisher 6' },
};
const CONTACTS_SIZE = { width: 340, height: 620 };
const ROOM_SIZE = { width: 680, height: 580 };
const PREVIEW_DEVICE = 'Herald preview (alice)';

let ui: DesktopUi;
let alice: OpenedPage;
let bob: OpenedPage;
let carol: OpenedPage;

const { chatOf, online, contactOf, rosterRow } = chatLookups(() => ui);
const previewDevices = () => ui.gw.services.tokens.listDevices('alice@example.com').filter((d) => d.label === PREVIEW_DEVICE);

/** A profile signed in as a user outside example.com (the helpers' signIn() knows only example.com). */
async function signInOther(profile: string): Promise<void> {
  const { address, password } = OTHERS[profile]!;
  await ui.gw.user(address, password);
  const p = ui.preview.profile(profile);
  await p.ready;
  const r = await p.core.signIn(ui.gw.url, address, password);
  if (!r.ok) throw new Error(`${profile} could not sign in: ${r.message}`);
}

/** Waits for what a user would see (or see go); a timeout says what did not happen. */
async function shown(what: string, l: Locator, o: { state?: 'visible' | 'hidden' | 'detached'; ms?: number } = {}): Promise<void> {
  await l.waitFor({ state: o.state ?? 'visible', timeout: o.ms ?? 8000 }).catch((e: Error) => {
    throw new Error(`timed out waiting for ${what} (${o.ms ?? 8000} ms; ${e.message.split('\n')[0]})`);
  });
}

/** The next window a page opens (a conversation, a room). */
async function popup(o: OpenedPage, action: () => Promise<void>, size = ROOM_SIZE): Promise<Page> {
  const next = o.context.waitForEvent('page', { timeout: 10000 });
  await action();
  const p = await next;
  await p.setViewportSize(size);
  await p.waitForLoadState();
  return p;
}

const roomOf = (page: Page) => decodeURIComponent(/#\/room\/(.+)$/.exec(page.url())?.[1] ?? '');
/** The members list as people read it: names, not nicknames. */
const memberNames = async (page: Page) => (await page.locator('.members .member-name').allInnerTexts()).map((n) => n.trim()).sort();

before(async () => {
  ui = await startDesktopUi();
  for (const p of ['alice', 'bob', 'carol']) await ui.signIn(p);
  await until('alice’s, bob’s and carol’s chats online', () => online('alice') && online('bob') && online('carol'), 15000);
  alice = await ui.open('alice', '#/contacts', { viewport: CONTACTS_SIZE });
  bob = await ui.open('bob', '#/contacts', { viewport: CONTACTS_SIZE });
  carol = await ui.open('carol', '#/contacts', { viewport: CONTACTS_SIZE });
  for (const [name, o] of [['alice', alice], ['bob', bob], ['carol', carol]] as const) {
    await o.page.getByRole('listbox', { name: 'Contacts' }).waitFor({ timeout: 10000 }).catch(async () => {
      const text = await o.page.locator('body').innerText().catch(() => '?');
      throw new Error(`timed out waiting for ${name}’s contact list (10000 ms); the page shows ${JSON.stringify(text.slice(0, 300))}; problems: ${JSON.stringify(o.problems)}`);
    });
  }
});
after(async () => {
  await ui?.close();
});

test('subscription request: allowed from the bar, the person becomes a contact both ways; a denied one does not', async () => {
  await signInOther('dave');
  await signInOther('erin');
  await until('dave’s and erin’s chats online', () => online('dave') && online('erin'), 15000);
  assert.equal(contactOf('alice', DAVE), undefined, 'dave is not alice’s contact to begin with (other.example is not linked)');
  assert.equal(await alice.page.getByRole('alert').count(), 0, 'no bar before anyone asks');

  // Dave adds alice (what his app's "add contact" does): the gateway keeps the request for her.
  await chatOf('dave').addContact('alice@example.com');
  const bar = alice.page.getByRole('alert').filter({ hasText: `${DAVE} would like to see when you are online` });
  await shown('dave’s subscription request bar in alice’s contacts window', bar, { ms: 10000 });
  assert.equal(rosterRow('alice@example.com', DAVE)?.pendingIn ? 'kept' : 'missing', 'kept', 'the gateway keeps dave’s request for alice');
  assert.equal(contactOf('dave', 'alice@example.com')?.subscription, 'pending', 'dave’s core shows his request as pending');
  await shown('a Deny button on dave’s request bar', bar.getByRole('button', { name: 'Deny' }));
  await shoot(alice.page, 'subscription-request');

  await bar.getByRole('button', { name: 'Allow' }).click();
  await shown('dave’s request bar to go after Allow', bar, { state: 'detached', ms: 5000 });
  await shown('dave, online, in alice’s contact list after Allow', alice.page.getByRole('option', { name: /^Dave, Online/ }), { ms: 10000 });
  // Alice allowed and asked back (what "Allow" means to a user): both see each other.
  await until('alice’s core lists dave with subscription both', () => contactOf('alice', DAVE)?.subscription === 'both');
  await until('dave’s core lists alice with subscription both', () => contactOf('dave', 'alice@example.com')?.subscription === 'both');
  await until('dave’s core sees alice online', () => contactOf('dave', 'alice@example.com')?.show === 'online');
  const mine = rosterRow('alice@example.com', DAVE);
  const his = rosterRow(DAVE, 'alice@example.com');
  assert.ok(mine?.inRoster && mine.subFrom && mine.subTo && !mine.pendingIn, `alice’s gateway roster row for dave: ${JSON.stringify(mine)}`);
  assert.ok(his?.inRoster && his.subFrom && his.subTo && !his.askOut, `dave’s gateway roster row for alice: ${JSON.stringify(his)}`);

  // A second request, denied: no contact on alice's side, erin's request ends unanswered-for-good.
  await chatOf('erin').addContact('alice@example.com');
  const erinBar = alice.page.getByRole('alert').filter({ hasText: `${ERIN} would like to see when you are online` });
  await shown('erin’s subscription request bar in alice’s contacts window', erinBar, { ms: 10000 });
  await until('erin’s core shows her request pending', () => contactOf('erin', 'alice@example.com')?.subscription === 'pending');
  await erinBar.getByRole('button', { name: 'Deny' }).click();
  await shown('erin’s request bar to go after Deny', erinBar, { state: 'detached', ms: 5000 });
  await until('erin’s core shows the request refused (subscription none, no longer pending)', () => contactOf('erin', 'alice@example.com')?.subscription === 'none');
  const refused = rosterRow('alice@example.com', ERIN);
  assert.ok(!refused || (!refused.inRoster && !refused.subFrom && !refused.pendingIn), `alice’s gateway roster row for erin: ${JSON.stringify(refused)}`);
  const hers = rosterRow(ERIN, 'alice@example.com');
  assert.ok(!hers?.subTo && !hers?.askOut, `erin’s gateway roster row for alice: ${JSON.stringify(hers)}`);
  assert.equal(contactOf('alice', ERIN), undefined, 'erin is not in alice’s core roster');
  assert.equal(await alice.page.getByRole('option', { name: /^erin,/i }).count(), 0, 'erin is not in alice’s contact list');
  assert.equal(contactOf('erin', 'alice@example.com')?.show, 'offline', 'erin does not see alice’s presence');
  assert.equal(await alice.page.getByRole('alert').count(), 0, 'no bar left');
  assert.deepEqual(alice.problems, []);
});

test('leaving a group conversation from its window: gone from the list, from the members, and the window says so', async () => {
  await alice.page.getByRole('button', { name: 'New group conversation' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'Start a group conversation' });
  await dialog.getByLabel('Name of the conversation').fill('Retro');
  await dialog.getByRole('checkbox', { name: 'Bob' }).check();
  const aliceRoom = await popup(alice, () => dialog.getByRole('button', { name: 'Create' }).click());
  const roomJid = roomOf(aliceRoom);
  assert.match(roomJid, /^retro-[0-9a-f]{6}@/);

  const invite = bob.page.getByRole('alert').filter({ hasText: 'Alice invites you to Retro' });
  await shown('bob’s invitation bar for Retro', invite, { ms: 10000 });
  const bobRoom = await popup(bob, () => invite.getByRole('button', { name: 'Join' }).click());
  assert.equal(roomOf(bobRoom), roomJid);
  await until('alice and bob in both members lists', async () => (await memberNames(aliceRoom)).join() === 'Alice,Bob' && (await memberNames(bobRoom)).join() === 'Alice,Bob');
  const bobRow = bob.page.locator('.room-item').filter({ hasText: 'Retro' });
  await shown('Retro in bob’s group conversations after joining', bobRow, { ms: 5000 });

  await bobRoom.getByRole('button', { name: 'Leave' }).click();
  await shown('bob’s room window to say he left', bobRoom.getByText('You left this conversation.'), { ms: 8000 });
  assert.equal(await bobRoom.getByRole('textbox', { name: 'Message to Retro' }).isDisabled(), true, 'nothing can be typed into a left room');
  assert.equal(await bobRoom.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true, 'nothing can be sent to a left room');
  assert.equal(await bobRoom.getByRole('button', { name: 'Send a file' }).isDisabled(), true, 'no file can be sent to a left room');
  assert.equal(await bobRoom.getByRole('button', { name: 'Leave' }).count(), 0, 'no Leave button once left');
  assert.equal(await bobRoom.getByRole('button', { name: 'Invite…' }).count(), 0, 'no Invite button once left');
  // Not a member any more: his window no longer claims who is in the room (nor that he is).
  await shown('bob’s left room window to drop its members list', bobRoom.locator('.members'), { state: 'detached', ms: 5000 });
  assert.doesNotMatch(await bobRoom.locator('.titlebar').innerText(), /members/, 'no member count in a left room’s title');
  await shown('Retro to go from bob’s group conversations after leaving', bobRow, { state: 'detached', ms: 5000 });
  await until('bob gone from alice’s members list', async () => (await memberNames(aliceRoom)).join() === 'Alice');
  assert.match(await aliceRoom.locator('#members-title').innerText(), /\(1\)/);

  assert.equal(chatOf('bob').rooms().some((r) => r.jid === roomJid), false, 'bob’s core is no longer in the room');
  const seen = chatOf('alice').rooms().find((r) => r.jid === roomJid);
  assert.deepEqual(seen?.members.map((m) => m.nick), ['alice'], 'the gateway told alice’s core that bob left');
  await shoot(bobRoom, 'room-left');

  // "Rejoin" in the left room's window: back in, members shown again on both sides, the room listed again.
  await bobRoom.getByRole('button', { name: 'Rejoin' }).click();
  await shown('bob’s room window to drop “You left” after Rejoin', bobRoom.getByText('You left this conversation.'), { state: 'detached', ms: 8000 });
  await until('alice and bob in both members lists after Rejoin', async () => (await memberNames(aliceRoom)).join() === 'Alice,Bob' && (await memberNames(bobRoom)).join() === 'Alice,Bob');
  await shown('Retro back in bob’s group conversations after Rejoin', bobRow, { ms: 5000 });
  assert.equal(await bobRoom.getByRole('textbox', { name: 'Message to Retro' }).isDisabled(), false, 'bob can type again');
  assert.equal(chatOf('bob').rooms().some((r) => r.jid === roomJid), true, 'bob’s core is in the room again');
  assert.deepEqual(bob.problems, []);
  await bobRoom.close();
  await aliceRoom.close();
});

test('inviting from inside a room: the invitee gets the bar, joins, and both see each other as members', async () => {
  const created = await chatOf('alice').createRoom('Planning', []);
  const roomRow = alice.page.locator('.room-item').filter({ hasText: 'Planning' });
  await shown('Planning in alice’s group conversations', roomRow, { ms: 5000 });
  const aliceRoom = await popup(alice, () => roomRow.click());
  assert.equal(roomOf(aliceRoom), created.jid);
  await until('alice alone in Planning’s members list', async () => (await memberNames(aliceRoom)).join() === 'Alice');

  await aliceRoom.getByRole('button', { name: 'Invite…' }).click();
  const dialog = aliceRoom.getByRole('dialog', { name: 'Invite to Planning' });
  const who = dialog.getByRole('combobox', { name: 'Invite' });
  await shown('the invite dialog’s choice of whom to invite', who);
  const choices = (await who.locator('option').allInnerTexts()).map((s) => s.trim());
  assert.ok(choices.includes('Carol (Online)') && choices.includes('Bob (Online)'), `carol and bob can be invited: ${JSON.stringify(choices)}`);
  assert.ok(!choices.some((s) => /^Alice/.test(s)), `a member is not offered: ${JSON.stringify(choices)}`);
  await who.selectOption({ label: 'Carol (Online)' });
  await shoot(aliceRoom, 'room-invite');
  await dialog.getByRole('button', { name: 'Invite…' }).click();
  await shown('the invite dialog to close after inviting', dialog, { state: 'hidden', ms: 5000 });

  const invite = carol.page.getByRole('alert').filter({ hasText: 'Alice invites you to Planning' });
  await shown('carol’s invitation bar for Planning', invite, { ms: 10000 });
  const carolRoom = await popup(carol, () => invite.getByRole('button', { name: 'Join' }).click());
  assert.equal(roomOf(carolRoom), created.jid);
  await shown('carol’s invitation bar to go after Join', invite, { state: 'detached', ms: 5000 });
  await until('alice and carol in both members lists', async () => (await memberNames(aliceRoom)).join() === 'Alice,Carol' && (await memberNames(carolRoom)).join() === 'Alice,Carol');
  const inCarols = chatOf('carol').rooms().find((r) => r.jid === created.jid);
  assert.deepEqual(inCarols?.members.map((m) => m.nick).sort(), ['alice', 'carol'], 'carol’s core is in the room with alice');
  const inAlices = chatOf('alice').rooms().find((r) => r.jid === created.jid);
  assert.ok(inAlices?.members.some((m) => m.jid === 'carol@example.com'), `alice’s core sees carol’s real address in the room: ${JSON.stringify(inAlices?.members)}`);

  // A member is no longer offered.
  await aliceRoom.getByRole('button', { name: 'Invite…' }).click();
  const again = (await dialog.getByRole('combobox', { name: 'Invite' }).locator('option').allInnerTexts()).map((s) => s.trim());
  assert.ok(!again.some((s) => /^Carol/.test(s)) && again.includes('Bob (Online)'), `carol, now a member, is not offered: ${JSON.stringify(again)}`);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await shown('the invite dialog to close on Cancel', dialog, { state: 'hidden', ms: 5000 });

  await carolRoom.getByRole('textbox', { name: 'Message to Planning' }).fill('Thanks for the invitation');
  await carolRoom.keyboard.press('Enter');
  await shown('carol’s message in alice’s room window', aliceRoom.locator('.msg.in').filter({ hasText: 'Thanks for the invitation' }), { ms: 8000 });
  await carolRoom.close();
  await aliceRoom.close();
});

test('sign out from Settings: the sign-in form shows, the token is revoked, and signing in again brings the contacts back', async () => {
  const signedIn = previewDevices().filter((d) => d.revokedAt === null);
  assert.equal(signedIn.length, 1, `alice’s preview has one live device token: ${JSON.stringify(previewDevices())}`);
  await shown('bob to see alice online before she signs out', bob.page.getByRole('option', { name: /^Alice, Online/ }));

  const settings = await ui.open('alice', '#/settings', { viewport: { width: 720, height: 560 } });
  await settings.page.getByRole('tab', { name: 'Account' }).click();
  await shown('alice’s account in Settings › Account', settings.page.getByText('Alice <alice@example.com>'));
  // The connection rows say what they are about: mail and chat (the mail row was labelled "Folder").
  const facts = async () => (await settings.page.locator('dl.facts').innerText()).split('\n').map((l) => l.trim()).filter(Boolean);
  await until('Settings › Account names the mail and the chat connection', async () => {
    const f = await facts();
    return f.includes('Mail') && f.includes('Chat') && f.filter((l) => l === 'Connected').length === 2;
  });
  assert.ok(!(await facts()).includes('Folder'), `no "Folder" row: ${JSON.stringify(await facts())}`);
  await settings.page.getByRole('button', { name: 'Sign out' }).click();

  // The contacts window needs an account: it turns into the sign-in form.
  await shown('alice’s contacts window to turn into the sign-in form', alice.page.getByRole('heading', { name: 'Sign in to Herald' }), { ms: 8000 });
  await shown('Settings › Account to say “Signed out”', settings.page.locator('dl.facts dd').first().filter({ hasText: /^Signed out$/ }), { ms: 5000 });
  assert.equal(await settings.page.getByRole('button', { name: 'Sign out' }).count(), 0, 'no Sign out button when signed out');
  const core = ui.preview.profile('alice').core;
  await until('alice’s core signed out (no user)', () => core.state().user === null);
  assert.equal(core.state().signIn?.reason, 'signed-out');
  await until('alice’s chat disconnected', () => chatOf('alice').connection().state !== 'online');
  await until('the gateway revoked the preview’s device token', () => previewDevices().every((d) => d.revokedAt !== null));
  await shown('bob to see alice offline after she signed out', bob.page.getByRole('option', { name: /^Alice, Offline/ }), { ms: 8000 });
  await shoot(alice.page, 'signed-out');

  // Back in through the form, as a user types it: a wrong password first.
  const gateway = alice.page.getByLabel('Gateway address');
  const user = alice.page.getByLabel('Mail address');
  const password = alice.page.getByLabel('Password');
  await gateway.fill('');
  await gateway.pressSequentially(ui.gw.url);
  await user.fill('');
  await user.pressSequentially('alice@example.com');
  await password.pressSequentially('not my password');
  await alice.page.getByRole('button', { name: 'Sign in' }).click();
  await shown('an error for the wrong password', alice.page.getByRole('alert'), { ms: 8000 });
  assert.notEqual((await alice.page.getByRole('alert').innerText()).trim(), '', 'the error says something');
  assert.ok(!core.state().user, 'a wrong password does not sign in');
  await password.fill('');
  await password.pressSequentially(PASSWORDS.alice!);
  await password.press('Enter');
  await shown('the contact list (bob online) after signing in again', alice.page.getByRole('option', { name: /^Bob, Online/ }), { ms: 15000 });
  assert.equal(core.state().user?.address, 'alice@example.com');
  assert.equal(alice.page.url().endsWith('#/contacts'), true, 'the window stays the contacts window');
  assert.equal(previewDevices().filter((d) => d.revokedAt === null).length, 1, 'one new live device token');
  assert.notEqual(previewDevices().find((d) => d.revokedAt === null)?.id, signedIn[0]!.id, 'not the revoked one');
  await shown('bob to see alice online again after she signed back in', bob.page.getByRole('option', { name: /^Alice, Online/ }), { ms: 10000 });
  await shown('Settings › Account to show alice again after signing in', settings.page.getByText('Alice <alice@example.com>'), { ms: 5000 });
  // Dave, allowed in the first test, is still her contact; erin's denied request does not come back.
  await shown('dave (allowed in the first test) still in alice’s contact list', alice.page.getByRole('option', { name: /^Dave, Online/ }), { ms: 5000 });
  assert.equal(await alice.page.getByRole('alert').count(), 0, 'no request bar after signing in again');
  assert.deepEqual([...alice.problems, ...settings.problems], []);
  await settings.close();
});

test('a failed Allow or Join stays in its bar with the reason, buttons disabled meanwhile, and works when tried again', async () => {
  await signInOther('frank');
  await until('frank’s chat online', () => online('frank'), 15000);
  await chatOf('frank').addContact('alice@example.com');
  const request = alice.page.getByRole('alert').filter({ hasText: `${FRANK} would like to see when you are online` });
  await shown('frank’s subscription request bar in alice’s contacts window', request, { ms: 10000 });
  const room = await chatOf('bob').createRoom('Budget', ['alice@example.com']);
  const invite = alice.page.getByRole('alert').filter({ hasText: 'Bob invites you to Budget' });
  await shown('bob’s invitation bar for Budget in alice’s contacts window', invite, { ms: 10000 });

  // Alice's chat session ends (she goes offline): the core's calls are refused, not faked.
  await chatOf('alice').setPresence({ show: 'offline' });
  await until('alice’s chat offline', () => chatOf('alice').connection().state === 'offline');
  // Every button of a bar seen disabled, recorded as it happens (the call is an HTTP round trip away).
  await alice.page.evaluate(`
    window.__disabled = [];
    new MutationObserver(() => {
      for (const b of document.querySelectorAll('.invite button')) if (b.disabled) window.__disabled.push(b.textContent);
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['disabled'] });
  `);
  const disabledSeen = () => alice.page.evaluate('window.__disabled') as Promise<string[]>;

  await request.getByRole('button', { name: 'Allow' }).click();
  await shown('the reason Allow failed, in frank’s bar', request.getByText(/^Could not allow: .*not connected.*Try again\.$/), { ms: 8000 });
  assert.deepEqual([...new Set(await disabledSeen())].sort(), ['Allow', 'Deny'], 'both buttons were disabled while the call ran');
  assert.equal(await request.getByRole('button', { name: 'Allow' }).isEnabled(), true, 'Allow can be tried again');
  assert.ok(rosterRow('alice@example.com', FRANK)?.pendingIn, 'the gateway still keeps frank’s request: nothing was answered');

  const popups: Page[] = [];
  alice.context.on('page', (p) => popups.push(p));
  await invite.getByRole('button', { name: 'Join' }).click();
  await shown('the reason Join failed, in the invitation bar', invite.getByText(/^Could not join: .*not connected.*Try again\.$/), { ms: 8000 });
  assert.equal(await invite.getByRole('button', { name: 'Join' }).isEnabled(), true, 'Join can be tried again');
  assert.equal(await request.count(), 1, 'frank’s bar is still there');
  assert.equal(popups.length, 0, 'no room window opened for a failed join');
  await shoot(alice.page, 'ask-bar-failed');

  // Back online: the same buttons now work, and only then do the bars go.
  await chatOf('alice').setPresence({ show: 'online' });
  await until('alice’s chat online again', () => online('alice'), 15000);
  await request.getByRole('button', { name: 'Allow' }).click();
  await shown('frank’s request bar to go after Allow succeeded', request, { state: 'detached', ms: 8000 });
  await until('frank’s core lists alice with subscription both', () => contactOf('frank', 'alice@example.com')?.subscription === 'both');
  const aliceRoom = await popup(alice, () => invite.getByRole('button', { name: 'Join' }).click());
  assert.equal(roomOf(aliceRoom), room.jid);
  await shown('the invitation bar to go after Join succeeded', invite, { state: 'detached', ms: 5000 });
  await until('alice and bob in alice’s members list', async () => (await memberNames(aliceRoom)).join() === 'Alice,Bob');
  assert.deepEqual(alice.problems, []);
  await aliceRoom.close();
});

test('unconfirmed messages that cannot be saved: the contacts window says so, the message still goes, and the warning leaves with the next good write', async () => {
  // The outbox file's place is taken by a folder: writing it fails for real (rename onto a directory).
  const outbox = path.join(ui.root, 'profiles', 'profiles', 'alice', OUTBOX_FILE);
  rmSync(outbox, { force: true });
  mkdirSync(outbox);
  try {
    const warning = alice.page.locator('.storage-problem');
    assert.equal(await warning.count(), 0, 'no warning before a write failed');
    const sent = await chatOf('alice').send({ to: 'bob@example.com', kind: 'chat', body: 'kept in memory' });
    await shown('the outbox warning in alice’s contacts window', warning, { ms: 8000 });
    assert.match(await warning.innerText(), /^Messages not yet confirmed by the server could not be saved \(the app’s data folder cannot be written: EISDIR\)\. They are kept while Herald runs, but would be lost if it closed now\.$/);
    await until('bob’s core has the message (nothing lost)', async () => (await chatOf('bob').history({ with: 'alice@example.com', max: 20 })).some((m) => m.id === sent.id));
    await shoot(alice.page, 'outbox-not-saved');
  } finally {
    rmSync(outbox, { recursive: true, force: true });
  }
  await chatOf('alice').send({ to: 'bob@example.com', kind: 'chat', body: 'saved again' });
  await shown('the outbox warning to go after a good write', alice.page.locator('.storage-problem'), { state: 'detached', ms: 8000 });
  assert.deepEqual(alice.problems, []);
});
