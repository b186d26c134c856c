// The text of an alert IM: the rule's template with its macros filled in, in one pass (a subject
// that contains "$SENDER$" stays as it is). $DATE$ is the message's date in the configured time
// zone and language ("Fri, 27 Nov 2026, 10:00 CET"). Values lose control characters (XMPP cannot
// carry most of them, and a newline in a subject would fake a second line) and are shortened, so
// one alert stays a readable IM whatever the mail looks like.
import type { AlertOwner, IncomingMail, MailParty } from './types.ts';

/** For the mailbox owner themself, and for anyone else (who needs to know whose mail it is). */
export const DEFAULT_TEMPLATE = 'New mail from $SENDER$: $SUBJECT$ (in $FOLDER$, $DATE$)';
export const DEFAULT_TEMPLATE_OTHER = 'New mail for $RECIPIENT$ from $SENDER$: $SUBJECT$ (in $FOLDER$, $DATE$)';

/** One macro's value at most this long (then "…"); $TO$ lists at most MAX_LISTED addresses. */
export const MAX_VALUE = 300;
const MAX_LISTED = 10;
/** The whole text at most this long. */
export const MAX_BODY = 4000;

export interface DateStyle {
  timeZone: string;
  locale: string;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** "Fri, 27 Nov 2026, 10:00 CET" (en-GB); the ISO text itself when it is not a date. */
export function formatDate(iso: string, style: DateStyle): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const key = `${style.locale}\u0000${style.timeZone}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(style.locale, {
      timeZone: style.timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    });
    formats.set(key, f);
  }
  return f.format(d);
}

/** At most `max` characters (code points: a cut never splits a surrogate pair), "…" when cut. */
const cut = (t: string, max: number): string => {
  if (t.length <= max) return t;
  const cps = Array.from(t);
  return cps.length > max ? `${cps.slice(0, max - 1).join('')}…` : t;
};

// Lone surrogates and the two non-characters XML 1.0 excludes (§2.2).
const NOT_XML = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g;

const clean = (s: string, max = MAX_VALUE): string =>
  // C0/C1 controls and DEL become spaces; runs of white space one space.
  cut(
    s
      .replace(NOT_XML, '\ufffd')
      .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
    max,
  );

const party = (p: MailParty) => (p.name && p.address && p.name !== p.address ? `${p.name} <${p.address}>` : p.address || p.name);

function listed(parties: MailParty[]): string {
  const shown = parties.slice(0, MAX_LISTED).map(party).filter(Boolean);
  const more = parties.length - Math.min(parties.length, MAX_LISTED);
  return shown.join(', ') + (more > 0 ? ` (+${more} more)` : '');
}

export function macroValues(mail: IncomingMail, owner: AlertOwner, style: DateStyle): Record<string, string> {
  return {
    SENDER: clean(mail.from),
    SUBJECT: clean(mail.subject),
    FOLDER: clean(mail.folder),
    DATE: formatDate(mail.date, style),
    RECIPIENT: owner.address,
    TO: clean(listed([...mail.to, ...mail.cc]), MAX_VALUE * 2),
    PRIORITY: mail.priority,
  };
}

/** The template with every known $MACRO$ replaced; unknown ones stay as written. */
export function expandTemplate(template: string, values: Record<string, string>): string {
  const out = template.replace(/\$([A-Z]+)\$/g, (m, name: string) => (Object.hasOwn(values, name) ? values[name]! : m));
  return cut(out, MAX_BODY);
}
