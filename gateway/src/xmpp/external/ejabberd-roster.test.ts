import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asEjabberdctl, rosterCommands, rosterGroups } from './ejabberd-roster.ts';

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
