// What a rule would send for a sample mail (POST /api/v1/alert-rules/preview): the same matching
// (match.ts) and template expansion (template.ts) the engine uses for real mail, so the desktop's
// live preview never drifts from what arrives. Pure: nothing is stored, nothing is sent.
import type { AlertPreviewRequest, AlertPreviewResponse, AlertRule, MailPriorityValue } from '../../protocol/api.ts';
import { conditionsMatch } from './match.ts';
import { DEFAULT_TEMPLATE, DEFAULT_TEMPLATE_OTHER, expandTemplate, macroValues, type DateStyle } from './template.ts';
import type { AlertOwner, IncomingMail } from './types.ts';

type Sample = NonNullable<AlertPreviewRequest['mail']>;

/** The made-up mail a preview uses where the client gave no value. */
export const SAMPLE_MAIL = {
  fromName: 'Jane Sample',
  fromAddress: 'jane.sample@example.net',
  subject: 'Quarterly report',
  folder: 'INBOX',
  priority: 'normal' as MailPriorityValue,
};

export function previewRule(rule: AlertRule, sample: Sample, owner: AlertOwner, dates: DateStyle, now = new Date()): AlertPreviewResponse {
  const s = { ...SAMPLE_MAIL, ...Object.fromEntries(Object.entries(sample).filter(([, v]) => v !== undefined)) };
  const from = s.fromName && s.fromAddress ? `${s.fromName} <${s.fromAddress}>` : s.fromAddress || s.fromName;
  const iso = now.toISOString();
  const mail: IncomingMail = {
    folder: s.folder,
    from,
    subject: s.subject,
    date: iso,
    uid: 0,
    sender: { name: s.fromName, address: s.fromAddress },
    to: [{ name: '', address: owner.address }],
    cc: [],
    priority: s.priority,
    received: iso,
  };
  const to = (rule.action.to ?? owner.address).toLowerCase();
  // As the engine (alert-engine.ts): without a template, the default that fits the recipient.
  const template = rule.action.template ?? (to === owner.address.toLowerCase() ? DEFAULT_TEMPLATE : DEFAULT_TEMPLATE_OTHER);
  return {
    matches: conditionsMatch(rule.conditions, mail),
    to,
    body: expandTemplate(template, macroValues(mail, owner, dates)),
    mail: { from, subject: s.subject, folder: s.folder, priority: s.priority, date: iso },
  };
}
