// The "My alert rules" page's side of the IPC contract: the shape of a mail-to-IM rule as the
// renderer sends it (validated by main before anything goes to the gateway) and what comes back.
// It mirrors gateway/src/protocol/api.ts (AlertRuleSchema …) — shared may not import the gateway —
// with the same limits; the gateway checks again and is the authority (its refusals are shown).
import { z } from 'zod';

const TextMatchSchema = z.strictObject({ match: z.enum(['contains', 'equals', 'glob']), value: z.string().min(1).max(256) });
const PrioritySchema = z.enum(['high', 'normal', 'low']);

export const AlertRuleSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  enabled: z.boolean(),
  conditions: z.strictObject({
    folder: TextMatchSchema.optional(),
    sender: TextMatchSchema.optional(),
    subject: TextMatchSchema.optional(),
    recipient: TextMatchSchema.optional(),
    priority: z.union([PrioritySchema, z.array(PrioritySchema).min(1).max(3)]).optional(),
  }),
  action: z.strictObject({ to: z.string().min(3).max(320).optional(), template: z.string().max(1000).optional() }),
});
export type AlertRule = z.infer<typeof AlertRuleSchema>;
export type AlertTextMatch = z.infer<typeof TextMatchSchema>;
export type AlertConditionField = 'folder' | 'sender' | 'subject' | 'recipient';

export const AlertRulesSaveSchema = z.strictObject({ rules: z.array(AlertRuleSchema).max(1000) });

export const AlertPreviewSchema = z.strictObject({
  rule: AlertRuleSchema,
  mail: z
    .strictObject({
      fromName: z.string().max(200).optional(),
      fromAddress: z.string().max(320).optional(),
      subject: z.string().max(1000).optional(),
      folder: z.string().max(1000).optional(),
      priority: PrioritySchema.optional(),
    })
    .optional(),
});
export type AlertPreviewRequest = z.infer<typeof AlertPreviewSchema>;

export interface AlertRulesView {
  rules: AlertRule[];
  /** The admin's rules that apply to this user: shown with a lock, not editable. */
  adminRules: AlertRule[];
  /** How many rules of their own the user may have (0: switched off by the admin). */
  maxRules: number;
  /** The macros a template may use, as the gateway offers them ("$SENDER$" …). */
  macros: string[];
}

export interface AlertPreview {
  matches: boolean;
  to: string;
  body: string;
  mail: { from: string; subject: string; folder: string; priority: 'high' | 'normal' | 'low'; date: string };
}
