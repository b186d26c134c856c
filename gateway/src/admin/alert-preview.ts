// An alert template tried on a sample message, with the alert engine's own expansion
// (im/alerts/template.ts: the same macros, cleaning and length limits as a real alert).
import { DEFAULT_TEMPLATE, expandTemplate, macroValues } from '../im/alerts/template.ts';
import type { IncomingMail } from '../im/alerts/types.ts';

export { DEFAULT_TEMPLATE };

const SAMPLE: IncomingMail = {
  folder: 'INBOX',
  from: 'Jane Roe <jane@example.net>',
  subject: 'Quarterly report',
  date: '2026-11-27T09:00:00Z',
  uid: 1,
  sender: { name: 'Jane Roe', address: 'jane@example.net' },
  to: [{ name: 'Alice', address: 'alice@example.com' }],
  cc: [{ name: '', address: 'team@example.com' }],
  priority: 'high',
  received: '2026-11-27T09:00:05Z',
};

/** The macros a template may use and what each stands for on the sample message. */
export function sampleMacros(style: { timeZone: string; locale: string }): Record<string, string> {
  return macroValues(SAMPLE, { id: 0, address: 'alice@example.com', domain: 'example.com' }, style);
}

export function previewAlert(template: string, style: { timeZone: string; locale: string }): string {
  return expandTemplate(template, sampleMacros(style));
}
