// `herald-gateway alerts ...`: the admin alert rules from the command line while `serve` runs on
// the same data folder — the console's code path (admin/alert-rules-admin.ts), audited as
// cli@<host>, and the running gateway follows at the next mail (no restart): a rule switched off
// by the CLI sends nothing for its mail while another rule's IM for a later mail arrives.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { composeMessage, deliverToMaildir } from '../../gateway/src/mail/maildir/deliver.ts';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.ts';
import { auditEntries } from './admin-console-helpers.ts';
import { cli } from './revocation-helpers.ts';
import { bodyOf, chats, online, PW, waitFor } from './sem-spool-helpers.ts';

const ALICE = 'alice@example.com';
const rule = (name: string, marker: string, prefix: string) => ({ name, domains: ['example.com'], conditions: { subject: { match: 'contains', value: marker } }, action: { template: `${prefix}: $SUBJECT$` } });

const FILE_RULES = [rule('From file', 'file-marker', 'File rule'), rule('Keeper', 'keep-marker', 'Keep')];

let gw: TestGateway;
/** The configuration file serve and the CLI both read (the CLI gets it with --config, as an admin would). */
let configFile = '';
before(async () => {
  gw = await startTestGateway({ 'xmpp.requireTls': false, 'im.calendar.invitations': 'connected', 'im.alerts.rules': FILE_RULES });
  configFile = path.join(gw.dataDir, 'herald.json');
  writeFileSync(configFile, JSON.stringify({ im: { alerts: { rules: FILE_RULES } } }));
  // Added by the CLI, like the changes below: the running gateway sees it (PRAGMA data_version) and
  // starts watching her mail for the file's rules.
  for (const args of [['domain', 'add', 'example.com'], ['user', 'add', ALICE, '--password', PW]]) {
    const r = await cli(gw, [...args, '--config', configFile]);
    assert.equal(r.code, 0, r.stderr);
  }
  await waitFor(() => gw.services.store.alertRules.watchedSince(gw.services.store.accounts.byAddress(ALICE)!.id), 8000, 'alice watched for the rules');
});
after(async () => {
  await gw?.destroy();
});

const deliver = (subject: string) =>
  deliverToMaildir(path.join(gw.dataDir, 'mail', 'example.com', 'alice'), composeMessage({ from: 'Max Sender <max@example.net>', to: ALICE, subject }));
const ok = async (...args: string[]) => {
  const r = await cli(gw, ['alerts', ...args, '--config', configFile]);
  assert.equal(r.code, 0, `alerts ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const byCli = (action: string, target: string) => auditEntries(gw.dataDir).filter((e) => e.who === `cli@${hostname()}` && e.action === action && e.target === target);

test('list, disable, enable, show, delete and reset while serve runs: the running gateway follows at the next mail, each change audited as cli@host', async () => {
  const alice = await online(gw.xmppPort!, ALICE);
  assert.match(await ok('list'), /^admin alert rules from the configuration file \(im\.alerts\.rules\):\n {2}on {3}From file {2}— @example\.com\n {2}on {3}Keeper {2}— @example\.com\n$/);
  deliver('file-marker 1');
  await alice.next((e) => e.name === 'message' && bodyOf(e) === 'File rule: file-marker 1');

  // Off by the CLI: its mail sends nothing — the other rule's IM for a later mail arrives, and nothing before it.
  assert.match(await ok('disable', 'from file'), /From file is off; the console's list now holds the file's rules/);
  assert.equal(byCli('alert.rule.enable', 'From file').length, 1);
  assert.equal(gw.services.store.adminAlertRules.get() !== undefined, true, 'the console\'s list, as a console edit makes it');
  let seen = chats(alice).length;
  deliver('file-marker 2');
  deliver('keep-marker 1');
  await alice.next((e) => e.name === 'message' && bodyOf(e) === 'Keep: keep-marker 1');
  assert.deepEqual(chats(alice).slice(seen).map(bodyOf), ['Keep: keep-marker 1']);
  assert.match(await ok('list'), /from the admin console's list \(saved \d{4}-\d\d-\d\dT[\d:.]+Z; the file's 2 rule\(s\) are not used: alerts reset goes back to them\):\n {2}off {2}From file/);
  assert.equal((JSON.parse(await ok('show', 'From file')) as { enabled: boolean }).enabled, false);
  assert.match(await ok('disable', 'From file'), /From file is off already/);
  assert.equal(byCli('alert.rule.enable', 'From file').length, 1, 'no change, no audit entry');

  // On again: its next mail is an IM.
  assert.match(await ok('enable', 'From file'), /^From file is on\n$/);
  deliver('file-marker 3');
  await alice.next((e) => e.name === 'message' && bodyOf(e) === 'File rule: file-marker 3');

  // Deleted: gone from the list, and its mail sends nothing.
  assert.match(await ok('delete', 'Keeper'), /deleted Keeper/);
  assert.equal(byCli('alert.rule.delete', 'Keeper').length, 1);
  assert.doesNotMatch(await ok('list'), /Keeper/);
  seen = chats(alice).length;
  deliver('keep-marker 2');
  deliver('file-marker 4');
  await alice.next((e) => e.name === 'message' && bodyOf(e) === 'File rule: file-marker 4');
  assert.deepEqual(chats(alice).slice(seen).map(bodyOf), ['File rule: file-marker 4']);

  // Reset: the file's rules again (Keeper with them), once.
  assert.match(await ok('reset'), /back to the configuration file's rules \(2\)/);
  assert.equal(gw.services.store.adminAlertRules.get(), undefined);
  assert.equal(byCli('alert.rules.reset', 'im.alerts.rules').length, 1);
  assert.match(await ok('reset'), /the configuration file's rules are in effect already/);
  assert.equal(byCli('alert.rules.reset', 'im.alerts.rules').length, 1);
  deliver('keep-marker 3');
  await alice.next((e) => e.name === 'message' && bodyOf(e) === 'Keep: keep-marker 3');
  alice.close();
});

test('bad input: an unknown rule fails (exit 1), a missing name, an unknown action or a foreign option is a usage error (exit 2)', async () => {
  for (const args of [['show', 'Nope'], ['enable', 'Nope'], ['delete', 'Nope']]) {
    const r = await cli(gw, ['alerts', ...args, '--config', configFile]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /^herald-gateway: there is no admin alert rule named "Nope"\n$/);
  }
  for (const [args, re] of [
    [['enable'], /missing rule name \(alerts enable <name>\)/],
    [['frob'], /frob/],
    [['list', '--force'], /--force/],
    [['reset', 'Keeper'], /Keeper/],
  ] as const) {
    const r = await cli(gw, ['alerts', ...args, '--config', configFile]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
    assert.match(r.stderr, /herald-gateway alerts/, 'the usage of the alerts commands under the error');
  }
  assert.equal(gw.services.store.adminAlertRules.get(), undefined, 'nothing saved');
  assert.equal(auditEntries(gw.dataDir).filter((e) => e.action.startsWith('alert.')).length, 4, 'nothing more audited');
});
