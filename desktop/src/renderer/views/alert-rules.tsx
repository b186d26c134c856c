// Settings › My alert rules (issue 14, gap 5): the user's own mail-to-IM rules on the gateway —
// list, add, edit, delete — with the macros the gateway offers (click to insert) and a live
// preview of the IM for a sample mail, expanded by the gateway itself (POST …/alert-rules/preview),
// so what the page shows is what arrives. The admin's rules show read-only with a lock. Every
// call shows that it is working; a failure (a refusal such as "at most 5 rules per user", an
// unreachable gateway) is said in words, with "Try again".
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AlertConditionField, AlertPreview, AlertRule, AlertRulesView, AlertTextMatch } from '../../shared/alert-rules.ts';
import { api, errorCode, errorMessage } from '../api.ts';
import { Icon } from '../components/icons.tsx';
import type { StringKey } from '../i18n/en.ts';
import { t } from '../i18n/i18n.ts';
import { Locked } from './settings-parts.tsx';

const FIELDS: AlertConditionField[] = ['sender', 'subject', 'folder', 'recipient'];
type Match = AlertTextMatch['match'];
type Priority = 'high' | 'normal' | 'low';

interface Draft {
  name: string;
  enabled: boolean;
  cond: Record<AlertConditionField, { match: Match | ''; value: string }>;
  priority: Priority | '';
  to: string;
  template: string;
}

const toDraft = (r?: AlertRule): Draft => ({
  name: r?.name ?? '',
  enabled: r?.enabled ?? true,
  cond: Object.fromEntries(FIELDS.map((f) => [f, { match: r?.conditions[f]?.match ?? '', value: r?.conditions[f]?.value ?? '' }])) as Draft['cond'],
  priority: (Array.isArray(r?.conditions.priority) ? r.conditions.priority[0] : r?.conditions.priority) ?? '',
  to: r?.action.to ?? '',
  template: r?.action.template ?? '',
});

function fromDraft(d: Draft): AlertRule {
  const conditions: AlertRule['conditions'] = {};
  for (const f of FIELDS) {
    const c = d.cond[f];
    if (c.match && c.value.trim()) conditions[f] = { match: c.match, value: c.value.trim() };
  }
  if (d.priority) conditions.priority = d.priority;
  return {
    name: d.name.trim(),
    enabled: d.enabled,
    conditions,
    action: { ...(d.to.trim() ? { to: d.to.trim() } : {}), ...(d.template.trim() ? { template: d.template } : {}) },
  };
}

/** "Sender contains boss@ · Subject matches invoice *": the rule in a line. */
function summary(r: AlertRule): string {
  const parts: string[] = FIELDS.flatMap((f) => {
    const c = r.conditions[f];
    return c ? [`${t(`alertField.${f}` as StringKey)} ${t(`alertMatch.${c.match}` as StringKey)} “${c.value}”`] : [];
  });
  const p = r.conditions.priority;
  if (p) parts.push(`${t('alertPriority')}: ${(Array.isArray(p) ? p : [p]).map((x) => t(`priority.${x}` as StringKey)).join(', ')}`);
  const what = parts.length ? parts.join(' · ') : t('alertEveryMail');
  return r.action.to ? `${what} → ${r.action.to}` : what;
}

/** The gateway's words, with what kind of failure it was in ours. */
function failure(key: StringKey, e: unknown): string {
  const code = errorCode(e);
  const why = code === 'gateway_refused' ? t('alertRefused', { reason: errorMessage(e) }) : code === 'gateway_unreachable' ? t('alertUnreachable', { reason: errorMessage(e) }) : errorMessage(e);
  return t(key, { reason: why });
}

/** What a macro stands for; a macro this page does not know yet (a newer gateway) is offered without. */
const MACRO_KEYS = new Set(['macro.SENDER', 'macro.SUBJECT', 'macro.FOLDER', 'macro.DATE', 'macro.RECIPIENT', 'macro.TO', 'macro.PRIORITY']);
function macroHelp(m: string): string | undefined {
  const key = `macro.${m.replaceAll('$', '')}`;
  return MACRO_KEYS.has(key) ? t(key as StringKey) : undefined;
}

export function AlertRules(): JSX.Element {
  const [view, setView] = useState<AlertRulesView>();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<{ text: string; retry: () => void }>();
  const [editing, setEditing] = useState<{ index: number; draft: Draft }>();
  const [done, setDone] = useState<string>();

  const run = async (label: string, fn: () => Promise<void>, failKey: StringKey) => {
    setBusy(label);
    setError(undefined);
    setDone(undefined);
    try {
      await fn();
    } catch (e) {
      setError({ text: failure(failKey, e), retry: () => void run(label, fn, failKey) });
    } finally {
      setBusy(undefined);
    }
  };
  const load = () => run(t('alertLoading'), async () => setView(await api().alertRules.list()), 'alertLoadFailed');
  useEffect(() => void load(), []);

  const save = (rules: AlertRule[], then: () => void, label: string) =>
    run(
      label,
      async () => {
        setView(await api().alertRules.save({ rules }));
        then();
      },
      'alertSaveFailed',
    );

  const rules = view?.rules ?? [];
  const full = !!view && rules.length >= view.maxRules;

  return (
    <div class="alert-rules">
      <fieldset>
        <legend>{t('tab.alertRules')}</legend>
        <p>{t('alertRulesText')}</p>
        {view && <p class="muted">{view.maxRules === 0 ? t('alertRulesOff') : t('alertRulesCount', { n: String(rules.length), max: String(view.maxRules) })}</p>}
        {busy && (
          <p class="note" role="status" aria-busy="true">
            {busy}
          </p>
        )}
        {error && (
          <div class="error page-error" role="alert">
            <span>{error.text}</span>{' '}
            <button type="button" onClick={error.retry} disabled={!!busy}>
              {t('retry')}
            </button>
          </div>
        )}
        {done && (
          <p class="note" role="status">
            {done}
          </p>
        )}
        {view && !rules.length && <p class="empty">{t('alertNoRules')}</p>}
        <ul class="rule-list" aria-label={t('tab.alertRules')}>
          {rules.map((r, i) => (
            <li key={r.name} class={editing?.index === i ? 'rule editing' : 'rule'} data-rule={r.name}>
              <div class="rule-text">
                <strong>{r.name}</strong>
                {!r.enabled && <span class="muted"> ({t('alertDisabled')})</span>}
                <div class="muted">{summary(r)}</div>
              </div>
              <button type="button" disabled={!!busy || !!editing} onClick={() => setEditing({ index: i, draft: toDraft(r) })} aria-label={t('alertEdit', { name: r.name })}>
                <Icon name="pencil" size={14} />
                <span>{t('alertEditBtn')}</span>
              </button>
              <button
                type="button"
                disabled={!!busy || !!editing}
                aria-label={t('alertDelete', { name: r.name })}
                onClick={() => void save(rules.filter((_, j) => j !== i), () => setDone(t('alertDeleted', { name: r.name })), t('alertDeleting', { name: r.name }))}
              >
                <Icon name="trash" size={14} />
                <span>{t('alertDeleteBtn')}</span>
              </button>
            </li>
          ))}
        </ul>
        {view && !editing && (
          <button type="button" disabled={!!busy || full} onClick={() => setEditing({ index: -1, draft: toDraft() })} title={full ? t('alertRulesFull') : undefined}>
            <Icon name="plus" size={14} />
            <span>{t('alertAdd')}</span>
          </button>
        )}
        {full && view.maxRules > 0 && !editing && <p class="muted">{t('alertRulesFull')}</p>}
      </fieldset>
      {editing && view && (
        <RuleEditor
          key={editing.index}
          initial={editing.draft}
          macros={view.macros}
          busy={!!busy}
          onCancel={() => {
            setEditing(undefined);
            setError(undefined);
          }}
          onSave={(rule) => {
            const next = editing.index < 0 ? [...rules, rule] : rules.map((r, j) => (j === editing.index ? rule : r));
            void save(next, () => {
              setEditing(undefined);
              setDone(t('alertSaved', { name: rule.name }));
            }, t('alertSaving'));
          }}
        />
      )}
      {view && view.adminRules.length > 0 && (
        <fieldset class="admin-rules">
          <legend>{t('alertAdminRules')}</legend>
          <Locked>{t('alertAdminRulesText')}</Locked>
          <ul class="rule-list" aria-label={t('alertAdminRules')}>
            {view.adminRules.map((r) => (
              <li key={r.name} class="rule admin" data-admin-rule={r.name}>
                <Icon name="lock" size={14} label={t('alertReadOnly')} />
                <div class="rule-text">
                  <strong>{r.name}</strong>
                  {!r.enabled && <span class="muted"> ({t('alertDisabled')})</span>}
                  <div class="muted">{summary(r)}</div>
                  {r.action.template && <div class="muted template">{r.action.template}</div>}
                </div>
              </li>
            ))}
          </ul>
        </fieldset>
      )}
    </div>
  );
}

function RuleEditor(p: { initial: Draft; macros: string[]; busy: boolean; onSave: (r: AlertRule) => void; onCancel: () => void }): JSX.Element {
  const [d, setD] = useState(p.initial);
  const [sample, setSample] = useState({ fromName: 'Jane Sample', fromAddress: 'jane.sample@example.net', subject: 'Quarterly report' });
  const [preview, setPreview] = useState<AlertPreview>();
  const [previewError, setPreviewError] = useState<string>();
  const [previewing, setPreviewing] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const templateRef = useRef<HTMLTextAreaElement>(null);
  const rule = fromDraft(d);
  const ruleKey = JSON.stringify([rule, sample]);

  // The preview follows the form (a short pause after typing, so not every key is a request); a
  // stale answer is dropped.
  useEffect(() => {
    let stale = false;
    // Half-typed input is not sent (it would only come back as a schema error): say what is missing.
    const missing = !rule.name ? t('alertNeedsName') : rule.action.to && !/^[^\s@]+@[^\s@]+$/.test(rule.action.to) ? t('alertNeedsAddress') : undefined;
    if (missing) {
      setPreview(undefined);
      setPreviewError(missing);
      setPreviewing(false);
      return;
    }
    setPreviewing(true);
    const timer = setTimeout(() => {
      api()
        .alertRules.preview({ rule, mail: sample })
        .then(
          (r) => {
            if (stale) return;
            setPreview(r);
            setPreviewError(undefined);
          },
          (e) => {
            if (stale) return;
            setPreview(undefined);
            setPreviewError(failure('alertPreviewFailed', e));
          },
        )
        .finally(() => !stale && setPreviewing(false));
    }, 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [ruleKey, attempt]);

  const set = (patch: Partial<Draft>) => setD((x) => ({ ...x, ...patch }));
  const setCond = (f: AlertConditionField, patch: Partial<Draft['cond'][AlertConditionField]>) => setD((x) => ({ ...x, cond: { ...x.cond, [f]: { ...x.cond[f], ...patch } } }));
  const insert = (macro: string) => {
    const el = templateRef.current;
    const at = el ? el.selectionStart : d.template.length;
    const end = el ? el.selectionEnd : at;
    const next = d.template.slice(0, at) + macro + d.template.slice(end);
    set({ template: next });
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + macro.length, at + macro.length);
    });
  };

  return (
    <fieldset class="rule-editor">
      <legend>{p.initial.name ? t('alertEditing', { name: p.initial.name }) : t('alertNew')}</legend>
      <label class="field">
        <span>{t('alertName')}</span>
        <input value={d.name} maxLength={100} onInput={(e) => set({ name: e.currentTarget.value })} />
      </label>
      <label class="check">
        <input type="checkbox" checked={d.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
        <span>{t('alertEnabled')}</span>
      </label>
      <p class="muted">{t('alertConditionsText')}</p>
      <div class="conditions">
        {FIELDS.map((f) => (
          <div class="condition" key={f}>
            <span>{t(`alertField.${f}` as StringKey)}</span>
            <select aria-label={t('alertHow', { field: t(`alertField.${f}` as StringKey) })} value={d.cond[f].match} onChange={(e) => setCond(f, { match: e.currentTarget.value as Match | '' })}>
              <option value="">{t('alertAny')}</option>
              <option value="contains">{t('alertMatch.contains')}</option>
              <option value="equals">{t('alertMatch.equals')}</option>
              <option value="glob">{t('alertMatch.glob')}</option>
            </select>
            <input aria-label={t('alertValue', { field: t(`alertField.${f}` as StringKey) })} value={d.cond[f].value} maxLength={256} disabled={!d.cond[f].match} onInput={(e) => setCond(f, { value: e.currentTarget.value })} />
          </div>
        ))}
        <div class="condition">
          <span>{t('alertPriority')}</span>
          <select aria-label={t('alertPriority')} value={d.priority} onChange={(e) => set({ priority: e.currentTarget.value as Priority | '' })}>
            <option value="">{t('alertAny')}</option>
            <option value="high">{t('priority.high')}</option>
            <option value="normal">{t('priority.normal')}</option>
            <option value="low">{t('priority.low')}</option>
          </select>
        </div>
      </div>
      <p class="muted">{t('alertGlobHelp')}</p>
      <label class="field">
        <span>{t('alertTo')}</span>
        <input value={d.to} placeholder={t('alertToMe')} maxLength={320} onInput={(e) => set({ to: e.currentTarget.value })} />
      </label>
      <label class="field">
        <span>{t('alertTemplate')}</span>
        <textarea ref={templateRef} rows={3} maxLength={1000} value={d.template} placeholder={t('alertTemplateDefault')} onInput={(e) => set({ template: e.currentTarget.value })} />
      </label>
      <div class="macros" role="group" aria-label={t('alertMacros')}>
        <span class="muted">{t('alertMacros')}:</span>
        {p.macros.map((m) => (
          <button type="button" class="macro" key={m} title={macroHelp(m)} onClick={() => insert(m)}>
            {m}
          </button>
        ))}
      </div>
      <div class="rule-preview" aria-live="polite">
        <strong>{t('alertPreview')}</strong>
        <div class="sample">
          <label>
            <span>{t('alertSampleFrom')}</span>
            <input value={sample.fromAddress} onInput={(e) => setSample({ ...sample, fromAddress: e.currentTarget.value })} />
          </label>
          <label>
            <span>{t('alertSampleSubject')}</span>
            <input value={sample.subject} onInput={(e) => setSample({ ...sample, subject: e.currentTarget.value })} />
          </label>
        </div>
        {previewing && !preview && <p class="muted">{t('alertPreviewing')}</p>}
        {preview && (
          <div class={previewing ? 'preview-im stale' : 'preview-im'} data-preview>
            <div class="muted">{preview.matches ? t('alertWouldSend', { to: preview.to }) : t('alertWouldNotFire')}</div>
            <div class="im-bubble">{preview.body}</div>
          </div>
        )}
        {previewError && (
          <div class="error" role="alert">
            <span>{previewError}</span>{' '}
            {previewError !== t('alertNeedsName') && previewError !== t('alertNeedsAddress') && (
              <button type="button" onClick={() => setAttempt((n) => n + 1)}>
                {t('retry')}
              </button>
            )}
          </div>
        )}
      </div>
      <div class="row">
        <button type="button" class="primary" disabled={p.busy || !rule.name} onClick={() => p.onSave(rule)}>
          {t('alertSave')}
        </button>
        <button type="button" disabled={p.busy} onClick={p.onCancel}>
          {t('cancel')}
        </button>
      </div>
    </fieldset>
  );
}
