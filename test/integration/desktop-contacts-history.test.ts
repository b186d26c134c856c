// Contacts managed in the app and the history folder in Settings (issue 14, gaps 1 and 4), end to
// end as a user clicks it (Debian's Chromium, the preview bridge, real desktop cores, the real
// gateway): alice adds someone of another local domain (not linked, so the RFC 6121 subscription
// flow runs: pending on her side, a request bar on his, he allows from his window, both see each
// other); an address on another server is refused in words and the dialog stays for a retry; she
// renames a directory colleague from the keyboard menu, moves one into a new group, and removes a
// directory colleague (hidden: gone from her list, the gateway's roster keeps it hidden for her).
// Settings › History shows where history is kept, opens the folder through the shell, and exports
// a conversation as text and HTML (hostile text escaped). Screenshots go to test/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Locator } from 'playwright-core';
import type { OpenedPage } from '../fixtures/chromium.ts';
import { chatLookups, shoot, startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';

const DAVE = 'dave@other.example';
const DAVE_PASSWORD = 'dave the diver 4';
const CONTACTS_SIZE = { width: 340, height: 620 };
const HOSTILE = `<script>alert(1)</script><img src=x onerror="alert('x')"> & </table>`;

let ui: DesktopUi;
let alice: OpenedPage;

const { chatOf, online, contactOf, rosterRow } = chatLookups(() => ui);

async function shown(what: string, l: Locator, o: { state?: 'visible' | 'hidden' | 'detached'; ms?: number } = {}): Promise<void> {
  await l.waitFor({ state: o.state ?? 'visible', timeout: o.ms ?? 8000 }).catch((e: Error) => {
    throw new Error(`timed out waiting for ${what} (${o.ms ?? 8000} ms; ${e.message.split('\n')[0]})`);
  });
}
const row = (name: RegExp) => alice.page.getByRole('option', { name });

before(async () => {
  ui = await startDesktopUi();
  for (const p of ['alice', 'bob', 'carol']) await ui.signIn(p);
  await ui.gw.user(DAVE, DAVE_PASSWORD);
  const dave = ui.preview.profile('dave');
  await dave.ready;
  const r = await dave.core.signIn(ui.gw.url, DAVE, DAVE_PASSWORD);
  if (!r.ok) throw new Error(`dave could not sign in: ${r.message}`);
  await until('the chats online', () => online('alice') && online('bob') && online('carol') && online('dave'), 15000);
  alice = await ui.open('alice', '#/contacts', { viewport: CONTACTS_SIZE });
  await shown('alice’s contact list', alice.page.getByRole('listbox', { name: 'Contacts' }), { ms: 10000 });
  await shown('bob in alice’s list', row(/^Bob, Online/), { ms: 10000 });
});
after(async () => {
  await ui?.close();
});

test('adding someone of another local domain: pending on her side, he allows from his window, both see each other; another server is refused in words and the dialog stays', async () => {
  const davePage = await ui.open('dave', '#/contacts', { viewport: CONTACTS_SIZE });
  assert.equal(contactOf('alice', DAVE), undefined, 'dave is not alice’s contact to begin with');

  await alice.page.getByRole('button', { name: 'Add contact' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'Add a contact' });
  await shown('the Add a contact dialog', dialog);
  // First an address on another server: the gateway refuses it (no server-to-server); the dialog says so and stays.
  await dialog.getByLabel('Address').fill('zed@elsewhere.example.net');
  await dialog.getByRole('button', { name: 'Add' }).click();
  const failure = dialog.getByRole('alert');
  await shown('the refusal in the dialog', failure);
  assert.match(await failure.innerText(), /^Could not add the contact: .+/);
  assert.ok(await dialog.isVisible(), 'the dialog stays for another try');
  assert.equal(contactOf('alice', 'zed@elsewhere.example.net'), undefined);

  await dialog.getByLabel('Address').fill(DAVE);
  await dialog.getByLabel('Name (optional)').fill('Dave Diver');
  await shoot(alice.page, 'contacts-add-dialog');
  await dialog.getByRole('button', { name: 'Try again' }).click();
  await shown('the dialog to close once the server took it', dialog, { state: 'detached' });
  await shown('dave in alice’s list, waiting for him to accept', row(/^Dave Diver,/).filter({ hasText: 'Waiting for them to accept' }), { ms: 10000 });
  await until('the gateway keeps alice’s request (ask)', () => rosterRow('alice@example.com', DAVE)?.askOut);
  await shoot(alice.page, 'contacts-pending');

  // The other side: dave sees the request bar in his window and allows it.
  const bar = davePage.page.getByRole('alert').filter({ hasText: 'alice@example.com would like to see when you are online' });
  await shown('alice’s request in dave’s window', bar, { ms: 10000 });
  await shoot(davePage.page, 'contacts-request-incoming');
  await bar.getByRole('button', { name: 'Allow' }).click();
  await shown('dave, online, in alice’s list', row(/^Dave Diver, Online/), { ms: 10000 });
  await until('alice’s core: dave both ways', () => contactOf('alice', DAVE)?.subscription === 'both');
  await until('dave’s core: alice both ways', () => contactOf('dave', 'alice@example.com')?.subscription === 'both');
  const mine = rosterRow('alice@example.com', DAVE);
  assert.ok(mine?.inRoster && mine.subTo && mine.subFrom && mine.name === 'Dave Diver', JSON.stringify(mine));
  assert.deepEqual(alice.problems, []);
  assert.deepEqual(davePage.problems, []);
  await davePage.context.close();
});

test('renaming a directory colleague from the keyboard menu (Shift+F10, arrows, Enter)', async () => {
  const bob = row(/^Bob, Online/);
  await bob.focus();
  await alice.page.keyboard.press('Shift+F10');
  const menu = alice.page.getByRole('menu', { name: 'Actions for Bob' });
  await shown('the contact menu', menu);
  await shown('the first item focused', menu.getByRole('menuitem', { name: 'Rename…' }).and(alice.page.locator(':focus')));
  await shoot(alice.page, 'contacts-menu');
  await alice.page.keyboard.press('ArrowDown');
  await alice.page.keyboard.press('ArrowUp');
  await alice.page.keyboard.press('Enter');
  const dialog = alice.page.getByRole('dialog', { name: 'Rename bob@example.com' });
  await shown('the rename dialog', dialog);
  await dialog.getByLabel('Name').fill('Bobby Builder');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await shown('the dialog to close', dialog, { state: 'detached' });
  await shown('the new name in the list', row(/^Bobby Builder, Online/), { ms: 10000 });
  assert.equal(rosterRow('alice@example.com', 'bob@example.com')?.name, 'Bobby Builder', 'the gateway keeps alice’s name for bob');
  assert.equal(contactOf('alice', 'bob@example.com')?.name, 'Bobby Builder');
});

test('moving a colleague into a new group from the right-click menu', async () => {
  await row(/^Carol, Online/).click({ button: 'right' });
  await alice.page.getByRole('menuitem', { name: 'Move to group…' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'Move Carol to a group' });
  await shown('the move dialog', dialog);
  await dialog.getByLabel('Group').selectOption({ label: 'New group…' });
  await dialog.getByLabel('Name of the new group').fill('Project X');
  await shoot(alice.page, 'contacts-move-dialog');
  await dialog.getByRole('button', { name: 'Move' }).click();
  await shown('the dialog to close', dialog, { state: 'detached' });
  await shown('carol in the group Project X', alice.page.getByRole('group', { name: 'Project X' }).getByRole('option', { name: /^Carol, Online/ }), { ms: 10000 });
  assert.deepEqual(rosterRow('alice@example.com', 'carol@example.com')?.groups, ['Project X']);
  assert.deepEqual(contactOf('alice', 'carol@example.com')?.groups, ['Project X']);
  await shoot(alice.page, 'contacts-groups');
});

test('drag and drop: a contact dropped on another group moves there', async () => {
  const dave = row(/^Dave Diver, Online/);
  const target = alice.page.getByRole('group', { name: 'Project X' });
  await dave.dragTo(target);
  await shown('dave in the group Project X', target.getByRole('option', { name: /^Dave Diver, Online/ }), { ms: 10000 });
  await until('the gateway keeps dave in Project X for alice', () => JSON.stringify(rosterRow('alice@example.com', DAVE)?.groups) === '["Project X"]');
  await shown('no move banner left', alice.page.locator('.move-status'), { state: 'detached' });
  assert.deepEqual(alice.problems, []);
});

test('a move that fails (chat offline) says why in a bar that stays, and Try again works once back online', async () => {
  await chatOf('alice').setPresence({ show: 'offline' });
  await until('alice’s chat offline', () => !online('alice'));
  const carol = row(/^Carol,/);
  await carol.dragTo(alice.page.getByRole('group', { name: 'example.com' }));
  const bar = alice.page.getByRole('alert').filter({ hasText: /^Could not move the contact: .+/ });
  await shown('the failure bar', bar);
  await shoot(alice.page, 'contacts-move-failed');
  assert.deepEqual(rosterRow('alice@example.com', 'carol@example.com')?.groups, ['Project X'], 'nothing changed on the gateway');
  await chatOf('alice').setPresence({ show: 'online' });
  await until('alice’s chat online again', () => online('alice'), 15000);
  assert.ok(await bar.isVisible(), 'the bar is still there after coming back online');
  await bar.getByRole('button', { name: 'Try again' }).click();
  await shown('the bar to go', alice.page.locator('.move-status'), { state: 'detached', ms: 10000 });
  await shown('carol in example.com', alice.page.getByRole('group', { name: 'example.com' }).getByRole('option', { name: /^Carol,/ }), { ms: 10000 });
  assert.deepEqual(rosterRow('alice@example.com', 'carol@example.com')?.groups, ['example.com']);
});

test('Settings › History: where it is kept, Open folder through the shell, export as text and HTML (hostile text escaped)', async () => {
  await chatOf('alice').send({ to: 'bob@example.com', kind: 'chat', body: HOSTILE });
  await chatOf('bob').send({ to: 'alice@example.com', kind: 'chat', body: 'Got it\nsecond line' });
  await until('bob’s reply in alice’s history', async () => (await chatOf('alice').history({ with: 'bob@example.com', max: 10 })).some((m) => m.body === 'Got it\nsecond line'));

  const settings = await ui.open('alice', '#/settings', { viewport: { width: 760, height: 560 } });
  await settings.page.getByRole('tab', { name: 'History' }).click();
  const folder = chatOf('alice').historyFolder();
  await shown('the history folder path', settings.page.locator('.folder-path').filter({ hasText: folder }));
  const profile = ui.preview.profile('alice');
  await settings.page.getByRole('button', { name: 'Open folder' }).click();
  await until('the shell asked to open the history folder', () => profile.openedFolders.includes(folder));

  await settings.page.getByLabel('Conversation').selectOption('bob@example.com');
  await settings.page.getByRole('button', { name: 'Export as text' }).click();
  const saved = settings.page.getByRole('status').filter({ hasText: /^Saved to / });
  await shown('the saved note (text)', saved);
  const textFile = (await saved.innerText()).replace(/^Saved to /, '');
  assert.ok(textFile.endsWith('herald-bob@example.com.txt') && profile.saved.includes(textFile), textFile);
  const text = readFileSync(textFile, 'utf8');
  assert.match(text, /^Conversation with bob@example\.com\n/);
  assert.ok(text.includes(`alice@example.com: ${HOSTILE}\n`), text);
  assert.ok(text.includes('bob@example.com: Got it\n    second line\n'), text);

  await settings.page.getByRole('button', { name: 'Export as HTML' }).click();
  await shown('the saved note (HTML)', saved.filter({ hasText: '.html' }));
  const htmlFile = (await saved.innerText()).replace(/^Saved to /, '');
  const html = readFileSync(htmlFile, 'utf8');
  assert.ok(!/<script|<img/i.test(html), 'no markup from the message');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; &lt;/table&gt;'));
  // Opened in the browser, the page shows the message as the characters it is, and runs nothing.
  const view = await ui.browser.newPage();
  await view.goto(`file://${htmlFile}`);
  assert.ok((await view.locator('body').innerText()).includes(`<script>alert(1)</script><img src=x onerror="alert('x')"> & </table>`));
  assert.equal(await view.locator('img, script').count(), 0);
  await view.close();
  await shoot(settings.page, 'settings-history');
  assert.deepEqual(settings.problems, []);
  await settings.context.close();
});

test('removing a directory colleague: gone from the list, hidden in the gateway’s roster for alice only', async () => {
  await row(/^Bobby Builder, Online/).hover();
  await row(/^Bobby Builder, Online/).getByRole('button', { name: 'Actions for Bobby Builder' }).click();
  await alice.page.getByRole('menuitem', { name: 'Remove…' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'Remove Bobby Builder?' });
  await shown('the remove dialog', dialog);
  await shoot(alice.page, 'contacts-remove-dialog');
  await dialog.getByRole('button', { name: 'Remove' }).click();
  await shown('the dialog to close', dialog, { state: 'detached' });
  await shown('bob gone from alice’s list', row(/^Bobby Builder,/), { state: 'detached', ms: 10000 });
  assert.equal(contactOf('alice', 'bob@example.com'), undefined);
  assert.equal(rosterRow('alice@example.com', 'bob@example.com')?.hidden, true, 'the gateway keeps bob hidden for alice');
  await until('bob still sees alice (the directory subscription is the admin’s)', () => contactOf('bob', 'alice@example.com')?.show === 'online');

  // Adding the address again brings the colleague back (README "Rosters").
  await alice.page.getByRole('button', { name: 'Add contact' }).click();
  const add = alice.page.getByRole('dialog', { name: 'Add a contact' });
  await add.getByLabel('Address').fill('bob@example.com');
  await add.getByRole('button', { name: 'Add' }).click();
  await shown('the dialog to close', add, { state: 'detached' });
  await shown('bob back in alice’s list', row(/^Bob, Online/), { ms: 10000 });
  assert.equal(rosterRow('alice@example.com', 'bob@example.com')?.hidden, false, 'no longer hidden');
  assert.deepEqual(alice.problems, []);
});
