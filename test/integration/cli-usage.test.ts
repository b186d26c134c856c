// The command line as a new admin meets it: a mistake gets one error line and the usage of that
// command only (with "did you mean" for a mistyped option or command), `help <command>` and
// `<command> --help` show it, and bad names are called what they are.
// Exit codes: 0 done, 1 the operation failed, 2 the command line is wrong.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCli } from '../fixtures/cli.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-cli-usage-'));
const { cli, killAll } = createCli(dataDir);
before(async () => assert.equal((await cli(['domain', 'add', 'example.com'])).code, 0));
after(() => {
  killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a mistake: one error line, then the usage of that command only, exit 2; help <command> and --help show it', async () => {
  // (Refused or answered before the data folder is touched: safe to run side by side.)
  const [wrong, helpCmd, cmdHelp, group, all, extra] = await Promise.all([
    cli(['user', 'add', 'kim@example.com', '--ttl', '5']),
    cli(['help', 'token', 'revoke']),
    cli(['token', 'revoke', '--help']),
    cli(['help', 'domain']),
    cli(['help']),
    cli(['user', 'del', 'a@example.com', 'b@example.com']),
  ]);
  assert.equal(wrong.code, 2);
  const lines = wrong.stderr.split('\n');
  assert.equal(lines[0], 'herald-gateway: --ttl means nothing for "user add": it takes --password, --password-file, --name');
  assert.equal(lines[1], '');
  assert.match(lines[2]!, /^usage: herald-gateway user add <local@domain>/);
  assert.doesNotMatch(wrong.stderr, /spool status|log search|user del/, 'no other command');
  assert.ok(lines.length < 8, wrong.stderr);

  for (const help of [helpCmd, cmdHelp]) {
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^usage: herald-gateway token revoke <local@domain> \[--device ID\]\n/);
    assert.doesNotMatch(help.stdout, /token enroll|user add/);
  }
  assert.match(group.stdout, /domain add[\s\S]*domain del[\s\S]*domain dns/);
  assert.doesNotMatch(group.stdout, /user add/);
  assert.match(all.stdout, /user add[\s\S]*spool status/, 'help alone: every command');

  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /^herald-gateway: unexpected argument "b@example\.com": user del takes <local@domain> \(quote a value with spaces\)\n/);
});

test('did you mean: a mistyped option or command gets the nearest, not the parser text', async () => {
  const [option, command, action, value, flag] = await Promise.all([
    cli(['log', 'search', '--usr', 'alice@example.com']),
    cli(['usr', 'list']),
    cli(['domain', 'lst']),
    cli(['log', 'search', '--user']),
    cli(['spool', 'status', '--json=yes']),
  ]);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /^herald-gateway: unknown option --usr; did you mean --user\?\n\nusage: herald-gateway log search /);
  assert.doesNotMatch(option.stderr, /ERR_PARSE_ARGS|Unknown option '--usr'|To specify a positional/);
  assert.equal(command.code, 2);
  assert.match(command.stderr, /^herald-gateway: unknown command "usr"; did you mean "user"\?/);
  assert.match(action.stderr, /^herald-gateway: unknown command "domain lst"; did you mean "domain list"\?\n\nusage: herald-gateway domain add/);
  assert.equal(value.code, 2);
  assert.match(value.stderr, /^herald-gateway: --user needs a value/);
  assert.match(flag.stderr, /^herald-gateway: --json takes no value/);
});

test('domain add with a bad name says the domain is invalid (exit 1)', async () => {
  const r = await cli(['domain', 'add', 'not a domain']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'herald-gateway: "not a domain" is not a valid domain name (expected a name like example.com)\n');
});

test('user list --domain of a domain that does not exist says so, with the nearest (exit 1)', async () => {
  const r = await cli(['user', 'list', '--domain', 'exmaple.com']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'herald-gateway: no domain exmaple.com; did you mean example.com?\n');
  assert.equal(r.stdout, '');
  assert.equal((await cli(['user', 'list', '--domain', 'example.com'])).code, 0);
});
