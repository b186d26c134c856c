// Loads settings: defaults ← config file (JSON) ← environment ← CLI overrides, then validates
// once and fails with a message that names the bad key and where it came from.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SettingsSchema, type Settings } from './schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = Record<string, unknown>;

/** Environment variables with a short name; any key also works as HERALD__SECTION__KEY. */
const ENV_ALIASES: Record<string, string> = {
  HERALD_DATA: 'dataDir',
  HERALD_HTTP_PORT: 'http.port',
  HERALD_XMPP_PORT: 'xmpp.port',
  HERALD_LOG_LEVEL: 'log.level',
};

export interface LoadOptions {
  configFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Dotted keys from CLI flags, e.g. {'http.port': '3001'}. */
  overrides?: Record<string, unknown>;
}

function setPath(tree: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[keys.at(-1)!] = value;
}

function envKey(name: string): string | undefined {
  if (ENV_ALIASES[name]) return ENV_ALIASES[name];
  if (!name.startsWith('HERALD__')) return undefined;
  // HERALD__MAIL__IMAP__HOST → mail.imap.host; segments are camelCase-insensitive.
  return name
    .slice('HERALD__'.length)
    .split('__')
    .map((s) => s.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()))
    .join('.');
}

function camelFix(dotted: string): string {
  // Environment names are upper case; map lower-cased segments back onto the schema's camelCase keys.
  const known = new Map<string, string>();
  const walk = (shape: unknown, prefix: string) => {
    const obj = unwrap(shape);
    if (!obj) return;
    for (const [k, v] of Object.entries(obj)) {
      const full = prefix ? `${prefix}.${k}` : k;
      known.set(full.toLowerCase(), full);
      walk(v, full);
    }
  };
  walk(SettingsSchema, '');
  return known.get(dotted.toLowerCase()) ?? dotted;
}

function unwrap(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { def?: { type?: string; innerType?: unknown; shape?: Record<string, unknown> } } | undefined;
  for (let i = 0; i < 5 && s?.def; i++) {
    if (s.def.type === 'object') return s.def.shape;
    s = s.def.innerType as typeof s;
  }
  return undefined;
}

export function loadSettings(opts: LoadOptions = {}): Settings {
  const env = opts.env ?? process.env;
  const raw: Tree = {};
  const origin = new Map<string, string>();

  if (opts.configFile) {
    let text: string;
    try {
      text = readFileSync(opts.configFile, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${opts.configFile}: ${(e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${opts.configFile} is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`config file ${opts.configFile} must hold a JSON object`);
    }
    Object.assign(raw, parsed);
    const mark = (t: unknown, prefix: string) => {
      if (typeof t !== 'object' || t === null || Array.isArray(t)) return void origin.set(prefix, `config file ${opts.configFile}`);
      for (const [k, v] of Object.entries(t)) mark(v, prefix ? `${prefix}.${k}` : k);
    };
    mark(parsed, '');
  }

  for (const [name, value] of Object.entries(env)) {
    const key = envKey(name);
    if (!key || value === undefined) continue;
    const fixed = camelFix(key);
    setPath(raw, fixed, value);
    origin.set(fixed, `environment variable ${name}`);
  }

  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    if (value === undefined) continue;
    setPath(raw, key, value);
    origin.set(key, `command-line option for ${key}`);
  }

  const result = SettingsSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const keys = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        const where = keys.join('.');
        return issue.keys.map((k) => `unknown setting "${where ? `${where}.` : ''}${k}"`).join('; ');
      }
      const key = keys.join('.');
      const from = origin.get(key);
      return `invalid setting "${key}"${from ? ` (from ${from})` : ''}: ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const settings = result.data;
  settings.dataDir = path.resolve(settings.dataDir);
  ORIGINS.set(settings, origin);
  return settings;
}

// Where each value came from, for the admin console's Settings page: kept beside the settings
// object (not in it, so the schema's shape stays what the rest of the gateway reads).
const ORIGINS = new WeakMap<Settings, ReadonlyMap<string, string>>();

/** The dotted keys that were set by the file, the environment or the command line, and by which (the last one wins). */
export function settingOrigins(settings: Settings): ReadonlyMap<string, string> {
  return ORIGINS.get(settings) ?? new Map();
}

/** Where the value at a dotted key came from: the key itself or the nearest enclosing key that was set (a whole object from the file), else `default`. */
export function originOf(origins: ReadonlyMap<string, string>, key: string): string {
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const o = origins.get(k);
    if (o) return o;
  }
  return 'default';
}
