import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from '../../store/index.ts';
import { asEjabberdctl, rosterCommands, rosterFingerprint, rosterGroups } from './ejabberd-roster.ts';

const src = {
  domains: ['a.example', 'b.example', 'c.example'],
  users: new Map([
    ['a.example', ['bob@a.example', 'ann@a.example']],
    ['b.example', ['cat@b.example']],
    ['c.example', []],
  ]),
  // a–b linked; b–c linked; a and c are not (links are not transitive); a link to an unknown domain is ignored.
  links: new Map([
    ['a.example', ['b.example', 'gone.example']],
    ['b.example', ['a.example', 'c.example']],
    ['c.example', ['b.example']],
  ]),
};

test('groups: each domain sees itself and the domains linked to it, not their links (not transitive)', () => {
  const g = rosterGroups(src);
  assert.deepEqual([...g.get('a.example')!.keys()], ['herald', 'link-b.example']);
  assert.deepEqual(g.get('a.example')!.get('herald'), { label: 'a.example', display: ['herald', 'link-b.example'], members: ['ann@a.example', 'bob@a.example'] });
  assert.deepEqual(g.get('a.example')!.get('link-b.example'), { label: 'b.example', display: [], members: ['cat@b.example'] });
  assert.deepEqual(g.get('b.example')!.get('herald')!.display, ['herald', 'link-a.example', 'link-c.example']);
  assert.deepEqual(g.get('c.example')!.get('herald')!.display, ['herald', 'link-b.example']);
  assert.equal(g.get('c.example')!.has('link-a.example'), false);
});

test('commands: every srg_create before the first srg_user_add (a displayed group must exist when members are added)', () => {
  const cmds = rosterCommands(src);
  const lastCreate = cmds.map((c) => c.command).lastIndexOf('srg_create');
  const firstAdd = cmds.findIndex((c) => c.command === 'srg_user_add');
  assert.ok(lastCreate < firstAdd);
  assert.deepEqual(cmds.find((c) => c.command === 'srg_user_add' && c.args.group === 'link-b.example'), {
    command: 'srg_user_add',
    args: { user: 'cat', host: 'b.example', group: 'link-b.example', grouphost: 'a.example' },
  });
  assert.equal(cmds.filter((c) => c.command === 'srg_create').length, 2 + 3 + 2);
});

test('ejabberdctl lines: arguments in order, quoted for the shell, display groups separated by the two characters \\n', () => {
  const lines = asEjabberdctl(rosterCommands(src));
  assert.equal(lines[0], "ejabberdctl srg_create herald a.example a.example 'Herald: a.example' 'herald\\nlink-b.example'");
  assert.ok(lines.includes("ejabberdctl srg_create link-b.example a.example b.example 'Herald: b.example' ''"));
  assert.ok(lines.includes('ejabberdctl srg_user_add cat b.example link-b.example a.example'));
  const odd = asEjabberdctl([{ command: 'srg_create', args: { group: 'g', host: 'h.example', label: "it's", description: 'x y', display: '' } }]);
  assert.equal(odd[0], "ejabberdctl srg_create g h.example 'it'\\''s' 'x y' ''");
});

test('fingerprint: moves when who is in the roster changes (also a removed newest user replaced by another), not for the IM switch', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-roster-fp-'));
  const store = createStore(dir);
  try {
    const user = (address: string) => ({ address, local: address.split('@')[0]!, domain: address.split('@')[1]!, displayName: address, passwordHash: null });
    store.domains.add('a.example', true);
    store.domains.add('b.example', true);
    store.accounts.add(user('ann@a.example'));
    // serve's poll compares with the last fingerprint it saw.
    let last = rosterFingerprint(store);
    const step = (what: string, change: () => void) => {
      change();
      const f = rosterFingerprint(store);
      assert.notEqual(f, last, `${what}: the fingerprint did not move`);
      last = f;
    };
    step('user added', () => store.accounts.add(user('bob@a.example')));
    // SQLite reuses the largest rowid once its row is gone: count and sum stay, the newest address does not.
    step('newest user replaced', () => (store.accounts.remove('bob@a.example'), store.accounts.add(user('cat@a.example'))));
    step('older user removed', () => store.accounts.remove('ann@a.example'));
    step('link', () => store.domainLinks.link('a.example', 'b.example'));
    step('unlink', () => store.domainLinks.unlink('a.example', 'b.example'));
    step('domain added', () => store.domains.add('c.example', true));
    const before = rosterFingerprint(store);
    store.domains.setImEnabled('a.example', false);
    assert.equal(rosterFingerprint(store), before, 'the IM switch does not change who is in the roster');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
