import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCommandLine, usageEntries } from './command-line.ts';

const USAGE = `usage: herald-gateway <command> [options]

  user add <local@domain> [--name N]      add a user
  user admin grant <local@domain>
  im send <local@domain> <text...> [--from ADDR]
        continued description
  package --from BUILD (--domain D | --user <local@domain>)

Notes.`;
const options = { data: { type: 'string' }, name: { type: 'string' }, from: { type: 'string' }, domain: { type: 'string' }, user: { type: 'string' } } as const;
const commandOptions = { 'user add': ['name'], 'user admin grant': [], 'im send': ['from'], package: ['from', 'domain', 'user'] };

test('usage entries: one to three words, their arguments, their continuation lines', () => {
  const e = usageEntries(USAGE);
  assert.deepEqual(
    e.map((x) => [x.name, x.maxArgs]),
    [['user add', 1], ['user admin grant', 1], ['im send', Infinity], ['package', 0]],
  );
  assert.match(e[2]!.text, /\[--from ADDR\]\n {11}continued description$/);
});

test('a three-word command resolves; its argument count is checked', () => {
  const cl = createCommandLine({ usage: USAGE, options, common: ['data'], commandOptions });
  assert.equal(cl.parse(['user', 'admin', 'grant', 'a@example.com']).name, 'user admin grant');
  assert.throws(() => cl.parse(['user', 'admin', 'grant', 'a@example.com', 'b']), /unexpected argument "b": user admin grant takes <local@domain>/);
  assert.throws(() => cl.parse(['user', 'add', 'a@example.com', '--nme', 'A']), /unknown option --nme; did you mean --name\?/);
});

test('the usage and the option table must agree', () => {
  assert.throws(() => createCommandLine({ usage: USAGE, options, common: ['data'], commandOptions: { ...commandOptions, 'im send': [] } }), /usage of "im send" offers --from/);
  const { package: _, ...without } = commandOptions;
  assert.throws(() => createCommandLine({ usage: USAGE, options, common: ['data'], commandOptions: without }), /"package" has no row/);
  assert.throws(() => createCommandLine({ usage: USAGE, options, common: ['data'], commandOptions: { ...commandOptions, 'user add': ['name', 'nam'] } }), /takes --nam, which is not an option/);
});
