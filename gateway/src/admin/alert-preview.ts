// The macros an alert template may use and what each stands for on the sample message the
// console's preview uses (im/alerts/preview.ts SAMPLE_MAIL), with the alert engine's own
// expansion (im/alerts/template.ts: the same cleaning and length limits as a real alert).
import { SAMPLE_MAIL } from '../im/alerts/preview.ts';
import { macroValues } from '../im/alerts/template.ts';
import type { IncomingMail } from '../im/alerts/types.ts';

const SAMPLE: IncomingMail = {
  folder: SAMPLE_MAIL.folder,
  from: `${SAMPLE_MAIL.fromName} <${SAMPLE_MAIL.fromAddress}>`,
  subject: SAMPLE_MAIL.subject,
  date: '2026-11-27T09:00:00Z',
  uid: 1,
  sender: { name: SAMPLE_MAIL.fromName, address: SAMPLE_MAIL.fromAddress },
  to: [{ name: 'Alice', address: 'alice@example.com' }],
  cc: [],
  priority: SAMPLE_MAIL.priority,
  received: '2026-11-27T09:00:05Z',
};

/** The macros a template may use and what each stands for on the sample message. */
export function sampleMacros(style: { timeZone: string; locale: string }): Record<string, string> {
  return macroValues(SAMPLE, { id: 0, address: 'alice@example.com', domain: 'example.com' }, style);
}
