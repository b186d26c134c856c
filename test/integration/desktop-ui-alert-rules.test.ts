// Settings › My alert rules in the real renderer, through the preview bridge to a real desktop
// core and a real gateway (issue 14, gap 5): add a rule with a macro clicked into its message,
// see the gateway's preview follow the form, save it, edit it, see it fire on a delivered mail
// (the IM arrives in the app's chat from herald@), delete it; a gateway refusal (too many rules,
// a recipient who is no user) shown in words with "Try again"; the admin's rule read-only with a
// lock. Screenshots: test/artifacts/desktop-alert-rules.png and desktop-alert-rules-de.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenedPage } from '../fixtures/chromium.ts';
import { shoot, startDesktopUi, until, type DesktopUi } from './desktop-ui-helpers.ts';

let ui: DesktopUi;
let s: OpenedPage;
const core = () => ui.preview.profile('alice').core;
const stored = async () => (await core().alertRules.list()).rules;

before(async () => {
  ui = await startDesktopUi({
    gateway: {
      'im.alerts.maxRulesPerUser': 2,
      'im.timeZone': 'Europe/Berlin',
      'im.alerts.rules': [{ name: 'Company outage', domains: ['example.com'], conditions: { subject: { match: 'contains', value: 'outage' } }, action: { template: 'OUTAGE: $SUBJECT$' } }],
    },
  });
  await ui.signIn('alice');
  await until('alice chat online', () => core().chat()?.connection().state === 'online', 15000);
  s = await ui.open('alice', '#/settings', { viewport: { width: 760, height: 1480 } });
  await s.page.getByRole('tab', { name: 'My alert rules' }).click();
});
after(async () => {
  await ui?.close();
});

test('the admin rule shows read-only with a lock; nothing of it can be edited', async () => {
  const { page } = s;
  const admin = page.locator('[data-admin-rule="Company outage"]');
  await admin.waitFor();
  assert.match(await admin.innerText(), /subject contains “outage”/i);
  assert.match(await admin.innerText(), /OUTAGE: \$SUBJECT\$/);
  assert.equal(await admin.locator('svg').count(), 1, 'the lock icon');
  assert.equal(await admin.getByRole('button').count(), 0, 'no edit or delete on an admin rule');
  assert.match(await page.locator('.admin-rules').innerText(), /only your administrator can change them/);
  assert.match(await page.getByText(/You have 0 of at most 2 rules/).innerText(), /0 of at most 2/);
});

test('add a rule: a macro clicked in, the gateway preview follows, saved; then edited', async () => {
  const { page } = s;
  await page.getByRole('button', { name: 'Add rule' }).click();
  const editor = page.locator('.rule-editor');
  await editor.getByLabel('Name', { exact: true }).fill('Boss mail');
  await editor.getByLabel('How to compare Sender').selectOption('contains');
  await editor.getByLabel('Sender text').fill('boss@example.com');
  await editor.getByLabel('Message', { exact: true }).fill('Boss wrote: ');
  await editor.getByRole('button', { name: '$SUBJECT$' }).click();
  assert.equal(await editor.getByLabel('Message', { exact: true }).inputValue(), 'Boss wrote: $SUBJECT$');
  // The sample is not from the boss: the preview says it would not fire, with the text expanded by the gateway.
  const preview = editor.locator('[data-preview]');
  await until('preview of the non-matching sample', async () => /does not match/.test((await preview.innerText().catch(() => '')) ?? '') && /Boss wrote: Quarterly report/.test(await preview.innerText()));
  await editor.getByLabel('From', { exact: true }).fill('boss@example.com');
  await editor.getByLabel('Subject', { exact: true }).fill('Budget 2027');
  await until('preview of the matching sample', async () => /This mail matches; alice@example\.com would get:/.test(await preview.innerText()) && /Boss wrote: Budget 2027/.test(await preview.innerText()));
  await shoot(page, 'alert-rules');
  await editor.getByRole('button', { name: 'Save rule' }).click();
  await page.getByText('Saved “Boss mail”.').waitFor();
  assert.deepEqual(await stored(), [{ name: 'Boss mail', enabled: true, conditions: { sender: { match: 'contains', value: 'boss@example.com' } }, action: { template: 'Boss wrote: $SUBJECT$' } }]);

  // Edit: a different message; the list and the gateway have it.
  await page.getByRole('button', { name: 'Edit Boss mail' }).click();
  await editor.getByLabel('Message', { exact: true }).fill('From the boss: $SUBJECT$ ($FOLDER$)');
  await until('edited preview', async () => /From the boss: Quarterly report \(INBOX\)/.test(await preview.innerText()));
  await editor.getByRole('button', { name: 'Save rule' }).click();
  await page.getByText('Saved “Boss mail”.').waitFor();
  assert.equal((await stored())[0]?.action.template, 'From the boss: $SUBJECT$ ($FOLDER$)');
});

test('the saved rule fires on a delivered mail: the IM arrives in the app', async () => {
  await ui.deliver('alice', 'boss@example.com', 'Numbers for Monday');
  const im = await until(
    'the alert IM in the app',
    async () => (await core().chat()!.history({ with: 'herald@example.com', max: 20 })).find((m) => m.body.includes('Numbers for Monday')),
    20000,
  );
  assert.equal(im.body, 'From the boss: Numbers for Monday (INBOX)');
});

test('gateway refusals in words with "Try again": a stranger as recipient, then too many rules', async () => {
  const { page } = s;
  await page.getByRole('button', { name: 'Add rule' }).click();
  const editor = page.locator('.rule-editor');
  await editor.getByLabel('Name', { exact: true }).fill('To a stranger');
  // Half-typed, the preview says what it waits for (not a schema error).
  await editor.getByLabel('Send the message to').fill('nobody');
  await editor.getByText('Enter a complete address (name@domain) to see the preview.').waitFor();
  await editor.getByLabel('Send the message to').fill('nobody@nowhere.example');
  await until('preview for the stranger', async () => /nobody@nowhere\.example would get/.test(await editor.locator('[data-preview]').innerText().catch(() => '')));
  await editor.getByRole('button', { name: 'Save rule' }).click();
  const alert = page.locator('.page-error[role=alert]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Not saved: the server refused it — rule 2: field "rules\.1\.action\.to": nobody@nowhere\.example is not a user here/);
  assert.equal(await alert.getByRole('button', { name: 'Try again' }).count(), 1);
  assert.equal((await stored()).length, 1, 'nothing stored');
  // The editor stays open with what the user typed: fix it and save.
  await editor.getByLabel('Send the message to').fill('');
  await editor.getByRole('button', { name: 'Save rule' }).click();
  await page.getByText('Saved “To a stranger”.').waitFor();
  assert.equal((await stored()).length, 2);
  // At the limit, "Add rule" is off and says why; a third rule slipped in from elsewhere is refused in words.
  assert.equal(await page.getByRole('button', { name: 'Add rule' }).isDisabled(), true);
  assert.match(await page.locator('.alert-rules').innerText(), /as many rules as the server allows/);
  await assert.rejects(core().alertRules.save([...(await stored()), { name: 'Third', enabled: true, conditions: {}, action: {} }]), /at most 2 rules per user \(got 3\)/);
});

test('delete a rule: gone from the list and from the gateway', async () => {
  const { page } = s;
  await page.getByRole('button', { name: 'Delete Boss mail' }).click();
  await page.getByText('Deleted “Boss mail”.').waitFor();
  assert.deepEqual((await stored()).map((r) => r.name), ['To a stranger']);
  assert.equal(await page.locator('[data-rule="Boss mail"]').count(), 0);
});

test('German: the page in words a German user reads (screenshot)', async () => {
  const de = await ui.open('alice', '#/settings', { viewport: { width: 760, height: 1480 }, locale: 'de-DE' });
  await de.page.getByRole('tab', { name: 'Meine Alarmregeln' }).click();
  await de.page.locator('[data-admin-rule="Company outage"]').waitFor();
  await de.page.getByRole('button', { name: 'To a stranger bearbeiten' }).click();
  await until('German preview', async () => /Diese (Beispiel-)?Mail/.test(await de.page.locator('[data-preview]').innerText().catch(() => '')));
  assert.match(await de.page.locator('.admin-rules').innerText(), /Regeln Ihres Administrators/);
  await shoot(de.page, 'alert-rules-de');
  await de.context.close();
});
