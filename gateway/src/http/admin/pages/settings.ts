// Settings: the effective configuration, one row per value, with where it came from (default,
// configuration file, environment variable, command-line option: config/load.ts records it) —
// secrets masked, read-only (changes go through the file, the environment or the command line).
import { html } from '../html.ts';
import type { AdminPage } from '../page.ts';

/** A key whose value is a secret: never shown, only whether it is set. */
export const SECRET_KEY = /pass(word|phrase)?$|secret|token|private|credential|apikey/i;

/** Every leaf of the settings as [dotted key, value]; arrays are one value. */
export function flatten(value: unknown, prefix = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [[prefix, value]];
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.length) return prefix ? [[prefix, value]] : [];
  return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

/** The value as shown: secrets (by key, inside arrays too, and in a URL's user info) replaced by `mask`. */
export function shown(key: string, value: unknown, mask: string): string {
  if (value === undefined) return '—';
  const last = key.split('.').at(-1) ?? key;
  if (SECRET_KEY.test(last)) return value === '' ? '' : mask;
  const text = typeof value === 'string' ? value : JSON.stringify(value, (k, v: unknown) => (k && SECRET_KEY.test(k) && v !== '' ? mask : v));
  // https://user:secret@host/ → https://user:mask@host/
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"]+:)[^@/\s"]+@/gi, `$1${mask}@`);
}

const ALERT_RULES_KEY = 'im.alerts.rules';

export const settingsPage: AdminPage = {
  path: 'settings',
  title: 'page.settings',
  nav: true,
  render({ t, deps }) {
    const origins = deps.live.pages?.origins ?? new Map<string, string>();
    const originOf = (key: string) => {
      for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
        const o = origins.get(k);
        if (o) return o;
      }
      return undefined;
    };
    // The console's stored admin alert rules override im.alerts.rules (alert-rules-admin.ts): then
    // the value in effect and its origin are the console's, not the file's.
    const alerts = deps.live.pages?.alertRules.view();
    const byConsole = alerts?.source === 'console' ? alerts : undefined;
    const effective = byConsole ? { ...deps.settings, im: { ...deps.settings.im, alerts: { ...deps.settings.im.alerts, rules: byConsole.rules } } } : deps.settings;
    // admin.port unset (no own listener) is shown too, as "—": where the console lives is worth seeing.
    const rows = flatten({ ...effective, admin: { port: undefined, ...deps.settings.admin } }).sort(([a], [b]) => a.localeCompare(b));
    return html`<p class="hint">${t('settings.hint')}</p>
<div class="table-wrap"><table data-settings>
<thead><tr><th scope="col">${t('settings.key')}</th><th scope="col">${t('settings.value')}</th><th scope="col">${t('settings.origin')}</th></tr></thead>
<tbody>${rows.map(([k, v]) => {
      const o = byConsole && k === ALERT_RULES_KEY ? 'console' : originOf(k);
      // config/load.ts says it in English: "config file F", "environment variable N", "command-line option for K".
      const said = o && (o === 'console' ? t('settings.fromConsole', { page: t('page.scripts'), when: byConsole?.updatedAt ?? '' }) : o.startsWith('config file ') ? t('settings.fromFile', { file: o.slice(12) }) : o.startsWith('environment variable ') ? t('settings.fromEnv', { name: o.slice(21) }) : o.startsWith('command-line') ? t('settings.fromCli') : o);
      return html`<tr data-key="${k}"><th scope="row"><code>${k}</code></th><td class="value"><code>${shown(k, v, t('settings.masked'))}</code></td><td data-origin="${o ? o.split(' ')[0] : 'default'}"${o ? null : html` class="hint"`}>${said || t('settings.default')}</td></tr>`;
    })}</tbody></table></div>`;
  },
};
