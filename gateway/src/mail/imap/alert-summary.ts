// What a new-mail alert shows, from the IMAP ENVELOPE (RFC 3501 §7.4.2) that imapflow has
// already decoded (RFC 2047 words in names and subject): sender, subject, date; and for rules
// (NewMail) the To and Cc addresses, the arrival time (INTERNALDATE) and the priority from the
// header fields fetched beside the envelope (BODY.PEEK[HEADER.FIELDS (...)]).
import type { MailAlert } from '../../protocol/api.ts';
import { NO_SUBJECT, UNKNOWN_SENDER, priorityOfFields, readHeaderFields } from '../headers.ts';
import type { MailAddress, NewMail } from '../source.ts';

type EnvelopeAddress = { name?: string | undefined; address?: string | undefined };

export interface EnvelopeLike {
  date?: Date | string | undefined;
  subject?: string | undefined;
  from?: EnvelopeAddress[] | undefined;
  to?: EnvelopeAddress[] | undefined;
  cc?: EnvelopeAddress[] | undefined;
}

/** "Name <addr>", or the address alone, or the name alone; UNKNOWN_SENDER when there is none. */
export function formatSender(from: EnvelopeLike['from']): string {
  const first = from?.[0];
  const name = first?.name?.replace(/\s+/g, ' ').trim();
  const address = first?.address?.trim();
  if (name && address && name !== address) return `${name} <${address}>`;
  return address || name || UNKNOWN_SENDER;
}

function validDate(d: Date | string | undefined): Date | undefined {
  if (d === undefined || d === '') return undefined;
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function alertFromEnvelope(
  folder: string,
  uid: number,
  envelope: EnvelopeLike | undefined,
  internalDate: Date | string | undefined,
  now: () => Date = () => new Date(),
): MailAlert {
  const subject = envelope?.subject?.replace(/\s+/g, ' ').trim();
  const date = validDate(envelope?.date) ?? validDate(internalDate) ?? now();
  return {
    folder,
    from: formatSender(envelope?.from),
    subject: subject || NO_SUBJECT,
    date: date.toISOString(),
    uid,
  };
}

const toAddress = (a: EnvelopeAddress): MailAddress => ({ name: a.name?.replace(/\s+/g, ' ').trim() ?? '', address: a.address?.trim() ?? '' });

/** The alert plus what rules match on. `headers`: the fetched priority header fields (raw bytes), if any. */
export function newMailFromFetch(
  folder: string,
  uid: number,
  envelope: EnvelopeLike | undefined,
  internalDate: Date | string | undefined,
  headers: Buffer | undefined,
  now: () => Date = () => new Date(),
): NewMail {
  const alert = alertFromEnvelope(folder, uid, envelope, internalDate, now);
  const received = validDate(internalDate) ?? now();
  return {
    ...alert,
    sender: envelope?.from?.[0] ? toAddress(envelope.from[0]) : { name: '', address: '' },
    to: (envelope?.to ?? []).map(toAddress),
    cc: (envelope?.cc ?? []).map(toAddress),
    priority: priorityOfFields(readHeaderFields(headers ?? Buffer.alloc(0)).fields),
    received: received.toISOString(),
  };
}
