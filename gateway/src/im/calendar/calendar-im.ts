// How the calendar side sends an IM: main.ts hands in the XMPP server's system-message entry
// point (xmpp/modules/system-message.ts: central IM log, live or offline, archive) as this
// function, so im/ never imports xmpp/.

export interface CalendarIm {
  /** The service address (im.serviceAddress). */
  from: string;
  to: string;
  body: string;
  /** Stable stanza id (the same on a retry). */
  id: string;
}

export interface CalendarSendOptions {
  /** Runs inside the transaction that stores the delivery (offline row, archive row); throwing rolls it back. */
  commit?: () => void;
  /** Its central IM log line is written already (an earlier attempt got that far): do not log it again. */
  logged?: boolean;
}

/**
 * Sends `m`; throws CalendarSendError when the message was not sent. xmpp.mode=external sends through
 * ejabberd and returns a promise (rejected with CalendarSendError; `commit` runs once ejabberd took it).
 */
export type SendCalendarIm = (m: CalendarIm, o?: CalendarSendOptions) => void | Promise<void>;

export class CalendarSendError extends Error {
  override name = 'CalendarSendError';
  constructor(
    message: string,
    /** Trying again later may work (the IM log or the database was busy). */
    readonly transient: boolean,
    /** The log line was written before it failed (a retry passes `logged`). */
    readonly logged = false,
  ) {
    super(message);
  }
}

/** im.serviceAddress for a recipient: %d is their domain. */
export const serviceAddressFor = (template: string, recipient: string) => template.replace(/%d/g, recipient.split('@')[1] ?? '');
