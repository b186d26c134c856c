// The admin console's two editors in a real Chromium against a real gateway:
//  - admin alert rules on the Scripts page: the live preview on a sample message, a rule added and
//    then edited in the console applies to the next mail delivered to a Maildir (the IM arrives over
//    XMPP with the new text, no restart), switching it off stops it, a refused rule saves nothing and
//    marks the field, going back to the config file's rules;
//  - a domain's client settings on the Domains page: the INBOX link previewed as the template is
//    typed, saved and handed to desktops by GET /api/v1/config, a bad template refused with the same
//    reason as `herald-gateway domain set --webmail` gives;
// every change in the audit log. Screenshots: test/artifacts/admin-{rules,client}-<light|dark>-<en|de>.png.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import { chromiumMissing, launchChromium, openPage, screenshot, type OpenedPage } from '../fixtures/chromium.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { auditEntries, signInForm } from './admin-console-helpers.ts';
import { cli } from './revocation-helpers.ts';
import { bodyOf, chats, online, PW } from './sem-spool-helpers.ts';

const skip = chromiumMissing();
const ADMIN = 'ann@example.com';
const ALICE = 'alice@example.com';
const FILE_TEMPLATE = 'https://webmail.example.com/?_mbox={folder}';

let gw: TestGateway;
let browser: Browser;
let adminTab: OpenedPage;
let aliceToken = '';

const deliver = (subject: string) =>
  deliverToMaildir(path.join(gw.dataDir, 'mail', 'example.com', 'alice'), composeMessage({ from: 'Max Sender <max@example.net>', to: ALICE, subject }));

/** fetch() from inside the console page: its session cookie and CSRF token, as the page's own scripts send. */
const apiFromPage = (page: Page, method: string, url: string, body?: unknown) =>
  page.evaluate(
    async ([m, u, b]) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
      const r = await fetch(u as string, { method: m as string, headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: b === undefined ? undefined : JSON.stringify(b) });
      return { status: r.status, json: (await r.json()) as { error?: { message: string } } };
    },
    [method, url, body] as const,
  );

before(async () => {
  if (skip) return;
  gw = await startTestGateway({
    'xmpp.requireTls': false,
    // Only rules keep mailboxes watched here.
    'im.calendar.invitations': 'connected',
    'client.webmailUrl': FILE_TEMPLATE,
    'im.alerts.rules': [{ name: 'From file', domains: ['example.com'], conditions: { subject: { match: 'contains', value: 'file-marker' } }, action: { template: 'File rule: $SUBJECT$' } }],
  });
  await gw.user(ADMIN, PW);
  aliceToken = await gw.user(ALICE, PW);
  gw.services.store.accounts.setAdmin(ADMIN, true);
  browser = await launchChromium();
  adminTab = await openPage(browser);
  assert.equal(await signInForm(adminTab.page, gw.url, ADMIN, PW), 303);
});

after(async () => {
  await adminTab?.close();
  await browser?.close();
  await gw?.destroy();
});

test('an admin rule added and then edited in the console applies to the next mail at once; switched off, it stays silent', { skip }, async () => {
  const alice = await online(gw.xmppPort!, ALICE);
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/scripts`);
  assert.equal(await page.getAttribute('[data-alert-source]', 'data-alert-source'), 'file');
  assert.equal(await page.locator('tr[data-rule]').count(), 1);

  // The editor: the preview follows what is typed (nothing saved yet).
  await page.fill('#rule-name', 'Invoices');
  await page.fill('#rule-domains', 'example.com');
  await page.selectOption('select[name="subjectMatch"]', 'glob');
  await page.fill('#rule-subject', 'invoice *');
  await page.fill('#rule-template', 'Console rule: ');
  await page.click('button[data-macro="$SUBJECT$"]');
  await page.waitForSelector('[data-preview-matches="false"]'); // the sample's subject is "Quarterly report"
  await page.fill('#sample-subject', 'Invoice 41');
  await page.waitForSelector('[data-preview-matches="true"]');
  assert.equal(await page.textContent('[data-preview-body]'), 'Console rule: Invoice 41');
  assert.equal(await page.textContent('[data-preview-to]'), 'user@example.com');
  assert.equal(gw.services.store.adminAlertRules.get(), undefined, 'a preview saves nothing');
  await screenshot(page, 'admin-rules-editor-light-en');

  await Promise.all([page.waitForEvent('load'), page.click('form[data-rule-form] button[type="submit"]')]);
  await page.waitForSelector('[data-alert-source="console"]');
  assert.deepEqual(await page.locator('tr[data-rule]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule'))), ['From file', 'Invoices']);

  // A mail to alice's Maildir: the IM per the new rule, with no restart.
  deliver('Invoice 42');
  const first = await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Console rule'));
  assert.equal(bodyOf(first), 'Console rule: Invoice 42');

  // Edit: the form comes filled in; the new text applies to the next mail.
  await Promise.all([page.waitForURL(/edit=Invoices/), page.click('tr[data-rule="Invoices"] a')]);
  assert.equal(await page.inputValue('#rule-subject'), 'invoice *');
  await page.fill('#rule-template', 'Edited: $SUBJECT$ from $SENDER$');
  await page.waitForFunction(() => document.querySelector('[data-preview-body]')?.textContent?.startsWith('Edited:'));
  await Promise.all([page.waitForEvent('load'), page.click('form[data-rule-form] button[type="submit"]')]);
  deliver('Invoice 43');
  const second = await alice.next((e) => e.name === 'message' && bodyOf(e).startsWith('Edited'));
  assert.equal(bodyOf(second), 'Edited: Invoice 43 from Max Sender <max@example.net>');

  // Switched off: its mail sends nothing — the file rule's IM for a later mail arrives, and nothing before it.
  await page.waitForSelector('tr[data-rule="Invoices"] [data-rule-on]');
  await Promise.all([page.waitForEvent('load'), page.click('tr[data-rule="Invoices"] form[data-api$="/enabled"] button')]);
  assert.equal(await page.textContent('tr[data-rule="Invoices"] [data-rule-on]'), 'Off');
  const before = chats(alice).length;
  deliver('Invoice 44');
  deliver('file-marker 1');
  await alice.next((e) => e.name === 'message' && bodyOf(e) === 'File rule: file-marker 1');
  assert.deepEqual(chats(alice).slice(before).map(bodyOf), ['File rule: file-marker 1']);
  alice.close();

  const actions = auditEntries(gw.dataDir).map((e) => `${e.who} ${e.action} ${e.target}`);
  for (const a of ['alert.rule.add Invoices', 'alert.rule.edit Invoices', 'alert.rule.enable Invoices']) assert.ok(actions.includes(`${ADMIN} ${a}`), `${a} in ${JSON.stringify(actions)}`);
});

test('a refused rule saves nothing: the error is shown and the field marked; bad API input is refused naming the field', { skip }, async () => {
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/scripts`);
  const stored = gw.services.store.adminAlertRules.get()?.json;
  await page.fill('#rule-name', 'from FILE');
  await page.fill('#rule-domains', 'example.com');
  await page.click('form[data-rule-form] button[type="submit"]');
  await page.waitForSelector('[data-rule-error]:not([hidden])');
  assert.match((await page.textContent('[data-rule-error]')) ?? '', /field "rule\.name": another admin rule is named "from FILE"/);
  assert.equal(await page.getAttribute('#rule-name', 'aria-invalid'), 'true');
  await page.fill('#rule-name', 'Elsewhere');
  await page.fill('#rule-domains', 'nowhere.example');
  await page.click('form[data-rule-form] button[type="submit"]');
  await page.waitForFunction(() => /nowhere\.example is not a domain/.test(document.querySelector('[data-rule-error]')?.textContent ?? ''));
  assert.equal(await page.getAttribute('#rule-domains', 'aria-invalid'), 'true');
  // A bad template shows in the preview at once.
  await page.fill('#rule-to', 'not an address');
  await page.waitForSelector('[data-preview-error]:not([hidden])');
  assert.match((await page.textContent('[data-preview-error]')) ?? '', /rule\.action\.to/);
  assert.equal(page.url(), `${gw.url}/admin/scripts`, 'still on the form');

  const A = '/api/v1/admin/alert-rules';
  const cases: [string, string, unknown, number, RegExp][] = [
    ['POST', A, { rule: { name: 'Nobody' } }, 400, /field "rule\.domains": an admin rule needs "domains" or "users"/],
    ['POST', A, { rule: { name: 'Ctl', domains: ['example.com'], action: { template: 'a\u0007b' } } }, 400, /field "rule\.action\.template": no control characters/],
    ['POST', A, { rule: { name: 'Extra', domains: ['example.com'], when: 'always' } }, 400, /unknown field\(s\) when/],
    ['POST', A, { rule: { name: ' ', domains: ['example.com'] } }, 400, /field "rule\.name"/],
    ['POST', A, { rule: { name: 'Bad match', domains: ['example.com'], conditions: { subject: { match: 'regex', value: '.*' } } } }, 400, /field "rule\.conditions\.subject\.match"/],
    ['PUT', `${A}/${encodeURIComponent('No such rule')}`, { rule: { name: 'X', domains: ['example.com'] } }, 404, /no admin alert rule named "No such rule"/],
    ['DELETE', `${A}/${encodeURIComponent('No such rule')}`, undefined, 404, /No such rule/],
    ['POST', `${A}/Invoices/enabled`, { enabled: 'maybe' }, 400, /field "enabled"/],
    ['POST', `${A}/preview`, { rule: { action: { to: 'x' } } }, 400, /field "rule\.action\.to"/],
  ];
  for (const [method, url, body, status, re] of cases) {
    const r = await apiFromPage(page, method, url, body);
    assert.equal(r.status, status, `${method} ${url} ${JSON.stringify(body)}`);
    assert.match(r.json.error?.message ?? '', re);
  }
  assert.equal(gw.services.store.adminAlertRules.get()?.json, stored, 'nothing saved');
});

test('a domain’s client settings: the INBOX link previewed while typing, saved for its desktops, a bad template refused like the CLI refuses it', { skip }, async () => {
  const { page } = adminTab;
  await page.goto(`${gw.url}/admin/domains`);
  const form = page.locator('form[data-client-form][data-domain="example.com"]');
  const input = form.locator('[data-webmail-template]');
  const out = form.locator('[data-webmail-preview]');
  assert.equal(await input.inputValue(), FILE_TEMPLATE);
  assert.equal(await out.textContent(), 'https://webmail.example.com/?_mbox=INBOX');
  await form.locator('[data-inherit]').uncheck();
  await input.fill('');
  await input.pressSequentially('https://mail.example.com/?_mbox={folder}&u={user}');
  // Typed, not saved: the link follows each key.
  assert.equal(await out.textContent(), 'https://mail.example.com/?_mbox=INBOX&u=user%40example.com');
  await form.locator('select[name="updates"]').selectOption('automatic');
  await Promise.all([page.waitForEvent('load'), form.locator('button[type="submit"]').click()]);
  assert.match((await form.locator('[data-webmail-source]').textContent()) ?? '', /saved here/);
  // What alice's desktop gets.
  const cfg = await gw.api('GET', '/api/v1/config', { token: aliceToken });
  assert.equal(cfg.json.webmail.urlTemplate, 'https://mail.example.com/?_mbox={folder}&u={user}');
  assert.equal(cfg.json.updates.mode, 'automatic');
  await screenshot(page, 'admin-client-light-en');

  // A template the desktop would refuse: the error in the form, nothing saved.
  await input.fill('https://{user}.example.com/');
  await form.locator('button[type="submit"]').click();
  await form.locator('[data-client-error]:not([hidden])').waitFor();
  assert.match((await form.locator('[data-client-error]').textContent()) ?? '', /field "webmailUrl": a placeholder may not stand in the scheme, host or port/);
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  assert.equal(gw.services.store.domains.get('example.com')?.webmailUrl, 'https://mail.example.com/?_mbox={folder}&u={user}');
  // The CLI runs the same check (admin/domains.ts setClient) and says the same.
  const bad = await cli(gw, ['domain', 'set', 'example.com', '--webmail', 'https://{user}.example.com/']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /field "webmailUrl": a placeholder may not stand in the scheme, host or port/);
  // API bad input.
  const A = '/api/v1/admin/domains';
  for (const [url, body, status, re] of [
    [`${A}/example.com/client`, { webmailUrl: 'ftp://files.example.com/{folder}' }, 400, /only http and https/],
    [`${A}/example.com/client`, { updates: 'sometimes' }, 400, /field "updates"/],
    [`${A}/example.com/client`, {}, 400, /nothing to set/],
    [`${A}/nowhere.example/client`, { updates: 'off' }, 404, /no domain nowhere\.example/],
  ] as const) {
    const r = await apiFromPage(page, 'POST', url, body);
    assert.equal(r.status, status, `${url} ${JSON.stringify(body)}`);
    assert.match(r.json.error?.message ?? '', re);
  }
  assert.equal(gw.services.store.domains.get('example.com')?.updates, 'automatic');
  // Back to the file's template from the CLI: the page shows it in effect again.
  const back = await cli(gw, ['domain', 'set', 'example.com', '--webmail', 'default']);
  assert.equal(back.code, 0, back.stderr);
  assert.equal((await gw.api('GET', '/api/v1/config', { token: aliceToken })).json.webmail.urlTemplate, FILE_TEMPLATE);
  await page.reload();
  assert.equal(await form.locator('[data-inherit]').isChecked(), true);
  assert.match((await form.locator('[data-webmail-source]').textContent()) ?? '', /client\.webmailUrl/);
  const actions = auditEntries(gw.dataDir).filter((e) => e.action === 'domain.client').map((e) => `${e.who.startsWith('cli@') ? 'cli' : e.who} ${JSON.stringify(e.detail)}`);
  assert.deepEqual(actions, [`${ADMIN} {"webmailUrl":"https://mail.example.com/?_mbox={folder}&u={user}","updates":"automatic"}`, 'cli {"webmailUrl":null}']);
});

/** The Settings page's row of im.alerts.rules: its value and where it says it comes from. */
async function alertRulesRow(page: Page) {
  await page.goto(`${gw.url}/admin/settings`);
  const cells = page.locator('tr[data-key="im.alerts.rules"] td');
  return { value: (await cells.nth(0).textContent()) ?? '', origin: await cells.nth(1).getAttribute('data-origin'), said: (await cells.nth(1).textContent()) ?? '' };
}

test('going back to the configuration file’s rules from the console', { skip }, async () => {
  const { page } = adminTab;
  // While the console's rules are in effect, the Settings page says so (and shows them), in English and German.
  const stored = gw.services.store.adminAlertRules.get()!;
  const when = new Date(stored.updatedAt).toISOString();
  const en = await alertRulesRow(page);
  assert.equal(en.origin, 'console');
  assert.equal(en.said, `console (Scripts and alerts, ${when})`);
  assert.match(en.value, /"name":"Invoices"/, 'the rules in effect, not the file\'s');
  const deTab = await openPage(browser, { locale: 'de-DE' });
  assert.equal(await signInForm(deTab.page, gw.url, ADMIN, PW), 303);
  const de = await alertRulesRow(deTab.page);
  await deTab.close();
  assert.equal(de.origin, 'console');
  assert.equal(de.said, `Konsole (Skripte und Hinweise, ${when})`);
  await page.goto(`${gw.url}/admin/scripts`);
  assert.equal(await page.getAttribute('[data-alert-source]', 'data-alert-source'), 'console');
  await page.click('form[data-api="/api/v1/admin/alert-rules"][data-method="DELETE"] button');
  const dialog = page.locator('dialog[data-confirm-dialog]');
  await dialog.waitFor({ state: 'visible' });
  await Promise.all([page.waitForEvent('load'), dialog.locator('button[value="ok"]').click()]);
  assert.equal(await page.getAttribute('[data-alert-source]', 'data-alert-source'), 'file');
  assert.deepEqual(await page.locator('tr[data-rule]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule'))), ['From file']);
  assert.ok(auditEntries(gw.dataDir).some((e) => e.who === ADMIN && e.action === 'alert.rules.reset'));
  // Back to the file's rules (given on the command line here): the Settings page says that again.
  const back = await alertRulesRow(page);
  assert.equal(back.origin, 'command-line');
  assert.equal(back.said, 'command line');
  assert.doesNotMatch(back.value, /Invoices/);
  assert.match(back.value, /"name":"From file"/);
});

test('screenshots of the rule editor and the client settings in light and dark, English and German, and on a phone', { skip }, async () => {
  for (const scheme of ['light', 'dark'] as const) {
    for (const locale of ['en', 'de'] as const) {
      const tab = await openPage(browser, { colorScheme: scheme, locale: locale === 'de' ? 'de-DE' : 'en-GB', viewport: { width: 1280, height: 800 } });
      await tab.context.addCookies((await adminTab.context.cookies()).filter((c) => c.name === 'herald_admin'));
      await tab.page.goto(`${gw.url}/admin/scripts?edit=${encodeURIComponent('From file')}`);
      assert.equal(await tab.page.getAttribute('html', 'lang'), locale);
      await tab.page.locator('#rule-editor-h').scrollIntoViewIfNeeded();
      await screenshot(tab.page, `admin-rules-${scheme}-${locale}`);
      await tab.page.goto(`${gw.url}/admin/domains`);
      await screenshot(tab.page, `admin-client-${scheme}-${locale}`);
      assert.deepEqual(tab.problems, [], 'no exceptions or CSP violations');
      await tab.close();
    }
  }
  const phone = await openPage(browser, { colorScheme: 'dark', viewport: { width: 390, height: 844 } });
  await phone.context.addCookies((await adminTab.context.cookies()).filter((c) => c.name === 'herald_admin'));
  for (const [name, route] of [['rules', '/admin/scripts'], ['client', '/admin/domains']] as const) {
    await phone.page.goto(`${gw.url}${route}`);
    const overflow = (await phone.page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    assert.ok(overflow <= 0, `${name} is wider than a phone by ${overflow} px`);
    await screenshot(phone.page, `admin-${name}-phone-dark-en`);
  }
  await phone.close();
});
