// The admin's mail-to-IM alert rules (gateway/src/im/alerts/): one schema for the configuration
// file (`im.alerts.rules`) and for the console's editor (/api/v1/admin/alert-rules), so that a
// rule the console saves is exactly a rule the file could hold. Pure zod (protocol layer).
import { z } from 'zod';
import { AddressSchema, AlertActionSchema, AlertConditionsSchema, AlertPreviewMailSchema, AlertRuleSchema } from './api.ts';

const domainList = z.array(z.string().trim().min(1).max(253).transform((d) => d.toLowerCase())).max(1000);

/** A mail-to-IM rule of the admin: a user rule plus whom it applies to. */
export const AdminAlertRuleSchema = AlertRuleSchema.extend({
  /** Every user of these mail domains… */
  domains: domainList.default([]),
  /** …and these users. */
  users: z.array(AddressSchema).max(10_000).default([]),
}).refine((r) => r.domains.length > 0 || r.users.length > 0, { message: 'an admin rule needs "domains" or "users" (whom it applies to)', path: ['domains'] });
export type AdminAlertRule = z.infer<typeof AdminAlertRuleSchema>;

/** POST /alert-rules (add) and PUT /alert-rules/:name (replace; the name may change). */
export const AdminAlertRuleBodySchema = z.strictObject({ rule: AdminAlertRuleSchema });
/** POST /alert-rules/:name/enabled (the console's hidden field sends "true"/"false"). */
export const AdminAlertEnableSchema = z.strictObject({ enabled: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]) });

/**
 * POST /alert-rules/preview: the IM a rule (as typed so far: no name needed) would send for a sample
 * mail, expanded by the engine's own code. Nothing is stored.
 */
export const AdminAlertPreviewSchema = z.strictObject({
  rule: z.strictObject({
    conditions: AlertConditionsSchema.prefault({}),
    action: AlertActionSchema.prefault({}),
    domains: domainList.default([]),
    users: z.array(AddressSchema).max(10_000).default([]),
  }),
  mail: AlertPreviewMailSchema,
});
export type AdminAlertPreview = z.infer<typeof AdminAlertPreviewSchema>;

/** Where the admin rules in effect come from: the configuration file, or the console (stored, overriding the file). */
export type AdminAlertSource = 'file' | 'console';

export interface AdminAlertRulesView {
  source: AdminAlertSource;
  rules: AdminAlertRule[];
  /** The file's rules (what a reset to the file brings back). */
  fileRules: number;
  macros: string[];
  updatedAt: string | null;
}
