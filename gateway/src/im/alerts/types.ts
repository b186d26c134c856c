// What the mail-to-IM rules engine takes and gives: plain data, so that im/ needs neither mail/
// nor xmpp/ (main.ts hands it the mail service's new-mail reports and the XMPP server's
// system-message sender; both fit these shapes).
import type { AccountRow } from '../../store/index.ts';

export interface MailParty {
  name: string;
  address: string;
}

/** A new message as a mail source reports it (mail/source.ts NewMail has this shape). */
export interface IncomingMail {
  folder: string;
  /** The sender's display form, "Name <address>". */
  from: string;
  subject: string;
  /** ISO 8601, the Date header (or the arrival time when it has none). */
  date: string;
  uid: number;
  sender: MailParty;
  to: MailParty[];
  cc: MailParty[];
  priority: 'high' | 'normal' | 'low';
  /** ISO 8601: when the message reached the mailbox. */
  received: string;
}

/** The mailbox owner the mail arrived for. */
export type AlertOwner = Pick<AccountRow, 'id' | 'address' | 'domain'>;

export interface OutgoingAlert {
  from: string;
  to: string;
  body: string;
}

/** Sends one IM; throws when it was refused (the error's message says why; `transient` when a retry may work). */
export type SendAlert = (m: OutgoingAlert) => void;
