// The user's own mail-to-IM alert rules, as the "My alert rules" page uses them: list (with the
// admin's read-only rules, the limit and the macros), save the whole list, and preview what a rule
// would send — all answered by the gateway (GET/PUT /api/v1/alert-rules, POST …/preview), which
// owns the matching and the macro expansion. Failures become one AlertRulesError with a kind the
// page words and, for a refusal naming a rule ("rules.2.action.to"), which rule it was.
import type { AlertPreviewRequest, AlertPreviewResponse, AlertRule, AlertRulesResponse } from '../../../../gateway/src/protocol/api.ts';
import type { ApiClient } from './api-client.ts';
import { AuthRevokedError, GatewayApiError, GatewayUnreachableError } from './gateway-errors.ts';

export type AlertRulesFailure = 'not_signed_in' | 'refused' | 'unreachable' | 'failed';

export class AlertRulesError extends Error {
  override name = 'AlertRulesError';
  constructor(
    readonly kind: AlertRulesFailure,
    message: string,
    /** For a refusal naming one rule: its index in the list that was sent. */
    readonly ruleIndex?: number,
  ) {
    super(message);
  }
}

export interface AlertRulesService {
  list(): Promise<AlertRulesResponse>;
  save(rules: AlertRule[]): Promise<AlertRulesResponse>;
  preview(req: AlertPreviewRequest): Promise<AlertPreviewResponse>;
}

/** `field "rules.2.action.to": …` → 2 (the gateway's HeraldError messages name the field so). */
export function ruleIndexOf(message: string): number | undefined {
  const m = /field "(?:rules|rule)\.(\d+)[."]/.exec(message);
  return m ? Number(m[1]) : undefined;
}

export function createAlertRulesService(d: {
  /** The signed-in session, if any (read at each call: a sign-out in between is noticed). */
  session: () => { api: ApiClient; token: string } | undefined;
  /** A 401: the device token is gone — the core signs out. */
  onRevoked: (message: string) => Promise<void>;
}): AlertRulesService {
  async function run<T>(fn: (api: ApiClient, token: string) => Promise<T>): Promise<T> {
    const s = d.session();
    if (!s) throw new AlertRulesError('not_signed_in', 'not signed in');
    try {
      return await fn(s.api, s.token);
    } catch (e) {
      if (e instanceof AuthRevokedError) {
        await d.onRevoked(e.message);
        throw new AlertRulesError('not_signed_in', e.message);
      }
      if (e instanceof GatewayApiError) {
        // 4xx: the gateway refused this request (and said why); 5xx / 429: it may work later.
        const kind = e.status >= 400 && e.status < 500 && e.status !== 429 ? 'refused' : 'failed';
        throw new AlertRulesError(kind, e.message, kind === 'refused' ? ruleIndexOf(e.message) : undefined);
      }
      if (e instanceof GatewayUnreachableError) throw new AlertRulesError('unreachable', e.message);
      throw new AlertRulesError('failed', e instanceof Error ? e.message : String(e));
    }
  }
  return {
    list: () => run((api, token) => api.alertRules(token)),
    save: (rules) => run((api, token) => api.putAlertRules(token, rules)),
    preview: (req) => run((api, token) => api.previewAlertRule(token, req)),
  };
}
