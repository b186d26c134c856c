// Reads `herald-gateway <command> [options]` the way an admin types it, mistakes included: the
// command is found first (a mistyped one gets "did you mean"), then every option is checked
// against what that command takes, so an error names the one mistake and comes with the usage of
// that command only — not Node's parser text above thirty lines of usage.
//
// The usage text in cli.ts is the one source: each entry ("  user add <local@domain> [...]" and its
// indented continuation lines) is that command's help, and its <arguments> are how many words it takes.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../config/did-you-mean.ts';
import { UsageError } from './admin-commands.ts';

export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** A usage mistake with the usage to print under it (the command's, a group's, or the command list). */
export class CommandLineError extends UsageError {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

/** Under "usage: herald-gateway": descriptions start a little right of the command. */
const INDENT = ' '.repeat(11);

interface Entry {
  name: string;
  text: string;
  /** How many words after the name it takes at most (Infinity: `<text...>`). */
  maxArgs: number;
  /** Its <arguments> as the usage writes them. */
  args: string[];
}

/** The entries of the usage text: "  name <args> [options]   description" and its continuation lines. */
export function usageEntries(usage: string): Entry[] {
  const entries: Entry[] = [];
  for (const line of usage.split('\n')) {
    // A command is one to three words ("serve", "user add", "user admin grant").
    const start = /^ {2}([a-z][a-z-]*(?: [a-z][a-z-]*){0,2})(?=\s|$)(.*)$/.exec(line);
    if (start) {
      // The synopsis ends where a two-space gap starts the description.
      const synopsis = start[2]!.split(/ {2,}/, 1)[0]!;
      const bare = synopsis.replace(/\[[^\]]*\]|\([^)]*\)/g, '');
      const args = bare.match(/<[^>]+>/g) ?? [];
      const maxArgs = args.some((a) => a.endsWith('...>')) ? Infinity : args.length;
      const description = start[2]!.slice(synopsis.length).trim();
      entries.push({ name: start[1]!, text: `herald-gateway ${start[1]}${synopsis}${description ? `\n${INDENT}${description}` : ''}`, maxArgs, args });
    } else if (/^ {4,}\S/.test(line) && entries.length) {
      entries.at(-1)!.text += `\n${INDENT}${line.trimStart()}`;
    } else if (entries.length && !line.startsWith(' ')) {
      break; // the notes after the command list
    }
  }
  return entries;
}

export interface CommandLine {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The command as the usage names it ("user add", "serve"); undefined: none given. */
  name: string | undefined;
  /** Help asked for (`help [command]`, `--help`): the text to print. */
  help?: string;
}

export interface CommandLineSpec {
  usage: string;
  options: OptionTable;
  /** Options every command takes. */
  common: string[];
  /** The options each command takes beyond `common`. */
  commandOptions: Record<string, string[]>;
}

const HINT = 'herald-gateway help shows every command';

export function createCommandLine({ usage, options, common, commandOptions }: CommandLineSpec) {
  const entries = usageEntries(usage);
  // The usage and the option table must agree, or an option would be refused that the usage
  // offers (or taken that it does not): a programming error, found by any test that runs the CLI.
  for (const e of entries) {
    const table = commandOptions[e.name];
    if (!table) throw new Error(`usage entry "${e.name}" has no row in the command option table`);
    const offered = (e.text.split('\n', 1)[0]!.match(/--[a-z][a-z-]*/g) ?? []).map((o) => o.slice(2));
    const missing = offered.filter((o) => !table.includes(o) && !common.includes(o));
    if (missing.length) throw new Error(`usage of "${e.name}" offers ${missing.map((o) => `--${o}`).join(', ')}, which its option table lacks`);
  }
  for (const [name, table] of Object.entries(commandOptions)) {
    const unknown = table.filter((o) => !options[o]);
    if (unknown.length) throw new Error(`"${name}" takes ${unknown.map((o) => `--${o}`).join(', ')}, which is not an option`);
  }
  const names = [...new Set([...entries.map((e) => e.name), ...Object.keys(commandOptions)])];
  const groups = new Set(names.filter((n) => n.includes(' ')).map((n) => n.split(' ')[0]!));
  const list = () => `commands: ${names.join(', ')}\n${HINT}`;

  /** The usage of one command, or of every command of a group ("user"). */
  const usageOf = (name: string): string => {
    const shown = entries.filter((e) => e.name === name || e.name.startsWith(`${name} `));
    if (!shown.length) return list();
    return `usage: ${shown.map((e) => e.text).join('\n       ')}\n(every command also takes --data DIR and --config FILE; ${HINT})`;
  };

  /** The command the words name, or a CommandLineError that suggests the nearest one. */
  function resolve(words: string[]): string {
    const [first, second] = words;
    if (first === undefined) throw new CommandLineError('no command given', list());
    for (let n = Math.min(3, words.length); n > 0; n--) {
      const name = words.slice(0, n).join(' ');
      // `package frobnicate`: a command that is also a group and takes no arguments was given a subcommand it lacks.
      const takesNone = n < words.length && groups.has(name) && entries.find((e) => e.name === name)?.maxArgs === 0;
      if (names.includes(name) && !takesNone) return name;
    }
    if (groups.has(first)) {
      const actions = names.filter((n) => n.startsWith(`${first} `)).map((n) => n.slice(first.length + 1));
      if (second === undefined) throw new CommandLineError(`"${first}" needs a subcommand: ${actions.join(', ')}`, usageOf(first));
      const near = closest(second, actions);
      throw new CommandLineError(`unknown command "${first} ${second}"${near ? `; did you mean "${first} ${near}"?` : ''}`, usageOf(first));
    }
    const near = closest(first, [...groups, ...names.filter((n) => !n.includes(' '))]);
    throw new CommandLineError(`unknown command "${first}"${near ? `; did you mean "${near}"?` : ''}`, list());
  }

  function parse(argv: string[]): CommandLine {
    const { values, positionals, tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
    const helpWanted = values.help === true || positionals[0] === 'help';
    if (helpWanted) {
      const words = positionals[0] === 'help' ? positionals.slice(1) : positionals;
      if (!words.length) return { values, positionals, name: undefined, help: usage };
      const name = words.length === 1 && groups.has(words[0]!) && !names.includes(words[0]!) ? words[0]! : resolve(words);
      return { values, positionals, name, help: usageOf(name) };
    }
    const name = resolve(positionals);
    const fail = (message: string): never => {
      throw new CommandLineError(message, usageOf(name));
    };
    const allowed = [...common, ...(commandOptions[name] ?? Object.keys(options))];
    for (const t of tokens) {
      if (t.kind !== 'option') continue;
      const spec = options[t.name];
      if (!spec) {
        const near = t.rawName.startsWith('--') ? closest(t.name, allowed) : undefined;
        fail(`unknown option ${t.rawName}${near ? `; did you mean --${near}?` : ''}`);
      } else if (!allowed.includes(t.name)) {
        const takes = commandOptions[name]?.length ? `it takes ${commandOptions[name].map((o) => `--${o}`).join(', ')}` : 'it takes no options besides --data and --config';
        fail(`--${t.name} means nothing for "${name}": ${takes}`);
      } else if (spec.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('--') && t.value.slice(2).split('=')[0]! in options))) {
        fail(`--${t.name} needs a value`);
      } else if (spec.type === 'boolean' && t.value !== undefined) {
        fail(`--${t.name} takes no value (got --${t.name}=${t.value})`);
      }
    }
    const entry = entries.find((e) => e.name === name);
    const extra = positionals.slice(name.split(' ').length + (entry?.maxArgs ?? Infinity));
    if (extra.length) {
      const takes = entry!.args.length ? `takes ${entry!.args.join(' ')}` : 'takes options only';
      fail(`unexpected ${extra.length > 1 ? 'arguments' : 'argument'} ${extra.map((a) => `"${a}"`).join(' ')}: ${name} ${takes} (quote a value with spaces)`);
    }
    return { values, positionals, name };
  }

  return { parse, usageOf, list };
}
