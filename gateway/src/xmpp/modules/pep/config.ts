// XEP-0060 §7.1.5 publish-options and §8.2 node configuration, as data forms (XEP-0004): which
// options a PEP node here has (access model, persist_items, max_items) and how a form is read.
import { Element } from 'ltx';
import type { PepAccessModel, PepNodeConfig } from '../../../store/index.ts';

export const NS_DATA = 'jabber:x:data';
export const FORM_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
export const FORM_NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';

const ACCESS_MODELS: readonly PepAccessModel[] = ['presence', 'open', 'whitelist'];
/** Accepted with any of these values and not stored: this service sends the last item on presence (+notify) only. */
const SEND_LAST = new Set(['never', 'on_sub', 'on_sub_and_presence']);

/** XEP-0163 §4.1 defaults: presence access; one item, as Prosody's PEP. */
export const defaultConfig = (): PepNodeConfig => ({ accessModel: 'presence', persistItems: true, maxItems: 1 });

export type FormProblem = { problem: string };

/** The fields of a submitted form: var → values. */
export function formFields(x: Element): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of x.getChildren('field')) if (f.attrs.var) out.set(f.attrs.var, f.getChildren('value').map((v) => v.getText()));
  return out;
}

const bool = (v: string | undefined): boolean | undefined => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : undefined);

/**
 * The options a form asks for, checked: a partial configuration, or what is wrong. `maxLimit` is
 * the most items a node may keep (`max` means it).
 */
export function readOptions(x: Element, formType: string, maxLimit: number): Partial<PepNodeConfig> | FormProblem {
  const fields = formFields(x);
  const type = fields.get('FORM_TYPE')?.[0];
  if (type !== undefined && type !== formType) return { problem: `the form must be ${formType}` };
  const out: Partial<PepNodeConfig> = {};
  for (const [name, values] of fields) {
    const v = values[0];
    switch (name) {
      case 'FORM_TYPE':
        break;
      case 'pubsub#access_model':
        if (!ACCESS_MODELS.includes(v as PepAccessModel)) return { problem: `access model ${v ?? '(none)'} is not offered here (presence, open, whitelist)` };
        out.accessModel = v as PepAccessModel;
        break;
      case 'pubsub#persist_items': {
        const b = bool(v);
        if (b === undefined) return { problem: `pubsub#persist_items must be true or false` };
        out.persistItems = b;
        break;
      }
      case 'pubsub#max_items': {
        const n = v === 'max' ? maxLimit : Number(v);
        if (!Number.isInteger(n) || n < 1) return { problem: `pubsub#max_items must be a positive number or "max"` };
        if (n > maxLimit) return { problem: `a node keeps at most ${maxLimit} items here` };
        out.maxItems = n;
        break;
      }
      case 'pubsub#send_last_published_item':
        if (!v || !SEND_LAST.has(v)) return { problem: `pubsub#send_last_published_item ${v ?? '(none)'} is not offered here` };
        break;
      default:
        return { problem: `option ${name} is not supported here` };
    }
  }
  return out;
}

/** Whether an existing node's configuration meets publish-options (XEP-0060 §7.1.5: else precondition-not-met). */
export function meets(config: PepNodeConfig, wanted: Partial<PepNodeConfig>): boolean {
  return (Object.keys(wanted) as (keyof PepNodeConfig)[]).every((k) => wanted[k] === config[k]);
}

/** The node configuration form (XEP-0060 §8.2.1), with the current values. */
export function configForm(c: PepNodeConfig): Element {
  const x = new Element('x', { xmlns: NS_DATA, type: 'form' });
  x.c('field', { var: 'FORM_TYPE', type: 'hidden' }).c('value').t(FORM_NODE_CONFIG);
  const access = x.c('field', { var: 'pubsub#access_model', type: 'list-single', label: 'Who may see the items' });
  access.c('value').t(c.accessModel);
  for (const m of ACCESS_MODELS) access.c('option').c('value').t(m);
  x.c('field', { var: 'pubsub#persist_items', type: 'boolean', label: 'Keep items' }).c('value').t(c.persistItems ? 'true' : 'false');
  x.c('field', { var: 'pubsub#max_items', type: 'text-single', label: 'Items kept' }).c('value').t(String(c.maxItems));
  return x;
}
