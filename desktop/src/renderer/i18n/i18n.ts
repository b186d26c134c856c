// The renderer's strings: the catalog follows the system language (navigator.language: de-* gets
// German, everything else English), and t() fills `{name}` placeholders. Numbers and dates use
// the same language through Intl; so do plurals (Intl.PluralRules).
import { de } from './de.ts';
import { en, type Catalog, type StringKey } from './en.ts';

export const CATALOGS: Record<'en' | 'de', Catalog> = { en, de };
export type Lang = keyof typeof CATALOGS;

export const lang: Lang = ((globalThis as { navigator?: { language?: string } }).navigator?.language ?? 'en').toLowerCase().startsWith('de') ? 'de' : 'en';
const catalog = CATALOGS[lang];

const plural = new Intl.PluralRules(lang);

/** A `{count}` picks the key's plural form when the catalog has one (`memberCount.one`: "1 member"). */
export function t(key: StringKey, values: Record<string, string | number> = {}): string {
  const form = typeof values.count === 'number' ? (`${key}.${plural.select(values.count)}` as StringKey) : undefined;
  const text = form && form in catalog ? catalog[form] : catalog[key];
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}

const timeFmt = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(lang, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

export const formatTime = (iso: string) => timeFmt.format(new Date(iso));

export function formatDay(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(now) - startOf(d)) / 86_400_000);
  if (days === 0) return t('today');
  if (days === 1) return t('yesterday');
  return dayFmt.format(d);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: i === 0 ? 0 : 1 }).format(v)} ${units[i]}`;
}
