// The desktop core's own words in English and German: new-mail pop-ups, the tray's status line
// and tooltip, the sign-in prompts and chat's "offline by choice". The renderer
// (renderer/i18n) and the main process (main/main-strings.ts) have catalogs of their own. The
// language is the OS locale (Electron's app.getLocale(), the one main-strings uses): de, de-DE,
// de_AT.UTF-8 … get German, everything else English. Counted texts have a form per plural
// category (Intl.PluralRules); `{name}` placeholders are filled by t() and count().

/** A counted text: `{n}` is the count; `one` is used where the language says so (1 in en and de). */
export interface Plural {
  one: string;
  other: string;
}

const en = {
  // new-mail pop-ups (mail/alert-policy.ts)
  unknownSender: 'Unknown sender',
  noSubject: '(no subject)',
  inbox: 'Inbox',
  newMessagesIn: { one: '{n} new message in {folder}', other: '{n} new messages in {folder}' },
  missedBody: 'arrived while Herald was not connected',
  moreNewMessages: { one: '{n} more new message', other: '{n} more new messages' },
  digestLine: '{folder}: {n}',
  // the tray's status line and tooltip (tray/tray-model.ts)
  'conn.signed-out': 'Signed out',
  'conn.connecting': 'Connecting…',
  'conn.connected': 'Connected',
  'conn.connected-poll': 'Connected (checking periodically)',
  'conn.gateway-unreachable': 'Gateway unreachable',
  'conn.mail-unavailable': 'Mail server unavailable',
  statusDnd: '{status} · do not disturb',
  statusQuiet: '{status} · quiet hours',
  newMessages: { one: '{n} new message', other: '{n} new messages' },
  // sign-in prompts (session/session.ts) and the sign-in answer (herald-core.ts)
  promptNotProvisioned: 'Sign in with your mail address and password.',
  promptSignedOut: 'You are signed out.',
  promptRevoked: 'Signed out: {reason}',
  promptProvisionInvalid: 'The provisioning in this app cannot be used ({reason}). Sign in with your mail address and password.',
  promptProvisionExpired: 'The provisioning for {user} expired on {date}. Sign in with your password.',
  promptEnrollmentRefused: 'The gateway refused this app’s enrollment: {reason}',
  alreadySignedIn: 'already signed in as {user}; sign out first',
  // chat (chat/xmpp-chat.ts): the detail shown after "Offline"
  chatOfflineByChoice: 'offline by choice',
  // chat (chat/outbox.ts): the file of messages not yet confirmed could not be written
  chatOutboxNotSaved: 'Messages not yet confirmed by the server could not be saved ({reason}). They are kept while Herald runs, but would be lost if it closed now.',
  writeFailedFull: 'the disk is full',
  writeFailedDenied: 'no permission to write to the app’s data folder',
  writeFailedOther: 'the app’s data folder cannot be written: {code}',
} satisfies Record<string, string | Plural>;

type Catalog = typeof en;
/** Keys of plain texts. */
export type TextKey = { [K in keyof Catalog]: Catalog[K] extends string ? K : never }[keyof Catalog];
/** Keys of counted texts. */
export type CountKey = Exclude<keyof Catalog, TextKey>;
export type CoreCatalog = { [K in TextKey]: string } & { [K in CountKey]: Plural };

const de: CoreCatalog = {
  unknownSender: 'Unbekannter Absender',
  noSubject: '(kein Betreff)',
  inbox: 'Posteingang',
  newMessagesIn: { one: '{n} neue Nachricht in {folder}', other: '{n} neue Nachrichten in {folder}' },
  missedBody: 'eingegangen, während Herald nicht verbunden war',
  moreNewMessages: { one: '{n} weitere neue Nachricht', other: '{n} weitere neue Nachrichten' },
  digestLine: '{folder}: {n}',
  'conn.signed-out': 'Abgemeldet',
  'conn.connecting': 'Verbindung wird aufgebaut…',
  'conn.connected': 'Verbunden',
  'conn.connected-poll': 'Verbunden (regelmäßige Abfrage)',
  'conn.gateway-unreachable': 'Gateway nicht erreichbar',
  'conn.mail-unavailable': 'Mailserver nicht verfügbar',
  statusDnd: '{status} · nicht stören',
  statusQuiet: '{status} · Ruhezeit',
  newMessages: { one: '{n} neue Nachricht', other: '{n} neue Nachrichten' },
  promptNotProvisioned: 'Melden Sie sich mit Ihrer Mailadresse und Ihrem Passwort an.',
  promptSignedOut: 'Sie sind abgemeldet.',
  promptRevoked: 'Abgemeldet: {reason}',
  promptProvisionInvalid: 'Die Vorkonfiguration dieser App ist nicht verwendbar ({reason}). Melden Sie sich mit Ihrer Mailadresse und Ihrem Passwort an.',
  promptProvisionExpired: 'Die Vorkonfiguration für {user} ist am {date} abgelaufen. Melden Sie sich mit Ihrem Passwort an.',
  promptEnrollmentRefused: 'Das Gateway hat die Registrierung dieser App abgelehnt: {reason}',
  alreadySignedIn: 'Sie sind bereits als {user} angemeldet; melden Sie sich zuerst ab.',
  chatOfflineByChoice: 'selbst gewählt',
  chatOutboxNotSaved: 'Noch nicht vom Server bestätigte Nachrichten konnten nicht gespeichert werden ({reason}). Sie bleiben erhalten, solange Herald läuft, gingen aber verloren, wenn es jetzt beendet würde.',
  writeFailedFull: 'der Datenträger ist voll',
  writeFailedDenied: 'keine Schreibrechte im Datenordner der App',
  writeFailedOther: 'der Datenordner der App ist nicht beschreibbar: {code}',
};

export type CoreLang = 'en' | 'de';
export const CORE_CATALOGS: Record<CoreLang, CoreCatalog> = { en, de };

type Values = Record<string, string | number>;

export interface CoreText {
  readonly lang: CoreLang;
  /** A plain text with its `{name}` placeholders filled. */
  t(key: TextKey, values?: Values): string;
  /** A counted text in the plural form for n, `{n}` (formatted for the language) and the other placeholders filled. */
  count(key: CountKey, n: number, values?: Values): string;
  /** A date and time as the language writes it. */
  date(d: Date): string;
}

/** 'de', 'de-DE', 'de_AT', 'de_DE.UTF-8', 'DE' → German; anything else (or nothing) → English. */
export function coreLang(locale: string | undefined): CoreLang {
  const primary = (locale ?? '').trim().split(/[-_.@]/)[0]!.toLowerCase();
  return primary === 'de' ? 'de' : 'en';
}

const fill = (s: string, values: Values) => s.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));

const cache = new Map<CoreLang, CoreText>();

/** The core's texts for a locale (see coreLang). */
export function coreStrings(locale?: string): CoreText {
  const lang = coreLang(locale);
  const hit = cache.get(lang);
  if (hit) return hit;
  const catalog = CORE_CATALOGS[lang];
  const rules = new Intl.PluralRules(lang);
  const number = new Intl.NumberFormat(lang);
  const dateFmt = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' });
  const text: CoreText = {
    lang,
    t: (key, values = {}) => fill(catalog[key], values),
    count(key, n, values = {}) {
      const forms = catalog[key];
      return fill(rules.select(n) === 'one' ? forms.one : forms.other, { ...values, n: number.format(n) });
    },
    date: (d) => dateFmt.format(d),
  };
  cache.set(lang, text);
  return text;
}
