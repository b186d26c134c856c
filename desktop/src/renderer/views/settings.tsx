// Settings: general (status, start at login), alerts (pop-ups, do-not-disturb, quiet hours,
// digest, per folder), sounds (per event, with a preview), skins (live previews, applied at once),
// the history folder and the account. What the administrator decided is shown greyed out with a lock, not hidden.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ChatPreferences, ChatPreferencesPatch } from '../../shared/chat.ts';
import type { StartupView } from '../../shared/ipc.ts';
import type { UserSettingsPatch } from '../../shared/settings.ts';
import type { Skin } from '../../shared/skins.ts';
import { api, errorMessage } from '../api.ts';
import { Icon } from '../components/icons.tsx';
import { TitleBar } from '../components/title-bar.tsx';
import { t } from '../i18n/i18n.ts';
import { skinAssetUrl } from '../skin.ts';
import { chat, coreState, settings as settingsCell, settingsWriter, skin as skinCell, skins as skinsCell, useCell } from '../store.ts';
import { folderLabel } from './folders.tsx';
import { AlertRules } from './alert-rules.tsx';
import { HistoryFolder } from './history-folder.tsx';
import { OwnStatus } from './own-status.tsx';
import { Check, Locked, Tabs } from './settings-parts.tsx';
import { Sounds } from './settings-sounds.tsx';
import { HelpLink } from './help.tsx';
import type { HelpSection } from '../../shared/routes.ts';

/** The Help section each Settings page links to (and F1 opens). */
const HELP_FOR: Record<string, HelpSection> = { general: 'general', alerts: 'alerts', alertRules: 'alerts', sounds: 'sounds', skins: 'skins', history: 'history', account: 'account' };

type Tab = 'general' | 'alerts' | 'alertRules' | 'sounds' | 'skins' | 'history' | 'account';

function useUpdate(): [(p: UserSettingsPatch) => void, string | undefined, boolean] {
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  const update = (patch: UserSettingsPatch) => {
    setError(undefined);
    settingsWriter
      .change(patch)
      .then(() => {
        setSaved(true);
        setTimeout(() => setSaved(false), 1500);
      })
      .catch((e) => setError(errorMessage(e)));
  };
  return [update, error, saved];
}

function General(): JSX.Element {
  const [startup, setStartup] = useState<StartupView>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api().getStartup().then(setStartup, (e) => setError(errorMessage(e)));
  }, []);
  return (
    <>
      <fieldset>
        <legend>{t('myStatus')}</legend>
        <OwnStatus />
      </fieldset>
      <fieldset>
        <legend>{t('tab.general')}</legend>
        {startup && !startup.supported ? (
          <p class="muted">{t('startupUnsupported')}</p>
        ) : (
          <Check label={t('startAtLogin')} checked={!!startup?.openAtLogin} disabled={!startup} onChange={(on) => api().setStartup({ openAtLogin: on }).then(setStartup, (e) => setError(errorMessage(e)))} />
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </fieldset>
      <ChatPrefs />
    </>
  );
}

function ChatPrefs(): JSX.Element | null {
  const c = useCell(chat);
  const [prefs, setPrefs] = useState<ChatPreferences>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (c.connection === 'unavailable') return;
    api().chat.preferences().then(setPrefs, (e) => setError(errorMessage(e)));
  }, [c.connection === 'unavailable']);
  if (c.connection === 'unavailable') return null;
  const set = (p: ChatPreferencesPatch) =>
    api()
      .chat.setPreferences(p)
      .then(setPrefs, (e) => setError(errorMessage(e)));
  const minutes = (label: string, value: number | undefined, key: 'awayMinutes' | 'xaMinutes') => (
    <label class="inline">
      <span>{label}</span>
      <input
        type="number"
        class="narrow"
        min={1}
        max={1440}
        value={value ?? ''}
        disabled={!prefs?.autoAway.enabled}
        onChange={(e) => {
          const n = Math.round(e.currentTarget.valueAsNumber);
          if (n >= 1 && n <= 1440) void set({ autoAway: { [key]: n } });
        }}
      />
      <span class="muted">{t('minutes')}</span>
    </label>
  );
  return (
    <fieldset>
      <legend>{t('chatPrefs')}</legend>
      <Check label={t('prefEmoticons')} checked={!!prefs?.emoticons} disabled={!prefs} onChange={(v) => void set({ emoticons: v })} />
      <Check label={t('autoAway')} checked={!!prefs?.autoAway.enabled} disabled={!prefs} onChange={(v) => void set({ autoAway: { enabled: v } })} />
      <div class="row indent">
        {minutes(t('awayAfter'), prefs?.autoAway.awayMinutes, 'awayMinutes')}
        {minutes(t('xaAfter'), prefs?.autoAway.xaMinutes, 'xaMinutes')}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

function Alerts({ update }: { update: (p: UserSettingsPatch) => void }): JSX.Element {
  const view = useCell(settingsCell)!;
  const state = useCell(coreState)!;
  const u = view.user.alerts;
  const e = view.effective.alerts;
  return (
    <>
      <fieldset>
        <legend>{t('tab.alerts')}</legend>
        <Check label={t('alertsEnabled')} checked={u.enabled} onChange={(v) => update({ alerts: { enabled: v } })} />
        <Check label={t('doNotDisturb')} checked={u.doNotDisturb} onChange={(v) => update({ alerts: { doNotDisturb: v } })} />
        <Check label={t('quietHours')} checked={u.quietHours.enabled} onChange={(v) => update({ alerts: { quietHours: { enabled: v } } })} />
        <div class="row indent">
          <label class="inline">
            <span>{t('quietFrom')}</span>
            <input type="time" value={u.quietHours.from} disabled={!u.quietHours.enabled} onChange={(ev) => ev.currentTarget.value && update({ alerts: { quietHours: { from: ev.currentTarget.value } } })} />
          </label>
          <label class="inline">
            <span>{t('quietTo')}</span>
            <input type="time" value={u.quietHours.to} disabled={!u.quietHours.enabled} onChange={(ev) => ev.currentTarget.value && update({ alerts: { quietHours: { to: ev.currentTarget.value } } })} />
          </label>
        </div>
        <label class="inline">
          <span>{t('digestThreshold')}</span>
          <input
            type="number"
            min={1}
            max={1000}
            class="narrow"
            value={u.digestThreshold ?? ''}
            placeholder={String(e.digestThreshold)}
            onChange={(ev) => {
              const n = ev.currentTarget.valueAsNumber;
              update({ alerts: { digestThreshold: Number.isFinite(n) && n >= 1 ? Math.min(1000, Math.round(n)) : null } });
            }}
          />
          <span class="muted">{u.digestThreshold === null ? t('digestDefault', { n: e.digestThreshold }) : t('messagesAtOnce')}</span>
        </label>
      </fieldset>
      <fieldset>
        <legend>{t('folderAlerts')}</legend>
        {e.scope === 'inbox' && <Locked>{t('inboxOnly')}</Locked>}
        <div class="folder-switches">
          {state.folders.map((f) => (
            <Check key={f.path} label={folderLabel(f, state.folders)} checked={u.folders[f.path] !== false} disabled={!u.enabled || (e.scope === 'inbox' && f.path.toUpperCase() !== 'INBOX')} onChange={(v) => update({ alerts: { folders: { ...u.folders, [f.path]: v } } })} />
          ))}
        </div>
      </fieldset>
    </>
  );
}

/** A skin's look in miniature: its own variables on the card, so it shows in its colours. */
function SkinPreview({ skin }: { skin: Skin }): JSX.Element {
  const bevel = '--herald-button-hilight' in skin.css && '--herald-button-dk-shadow' in skin.css;
  return (
    <div class="skin-preview" style={skin.css} data-bevel={bevel ? '' : undefined} aria-hidden="true">
      <div class="sp-title">{skin.name}</div>
      <div class="sp-body">
        <div class="sp-row">
          <span class="presence presence-online" /> <span>Alice</span>
        </div>
        <div class="sp-row sp-selected">
          <span class="presence presence-away" /> <span>Bob</span>
        </div>
        <div class="sp-row">
          <span class="presence presence-offline" /> <span class="sp-gray">Carol</span>
        </div>
        <div class="sp-buttons">
          <span class="sp-button">OK</span>
        </div>
      </div>
    </div>
  );
}

function Skins({ update }: { update: (p: UserSettingsPatch) => void }): JSX.Element {
  const view = useCell(settingsCell)!;
  const catalog = useCell(skinsCell);
  const active = useCell(skinCell);
  const locked = view.effective.skin.locked;
  return (
    <>
      {locked && <Locked>{t('skinLocked')}</Locked>}
      <div class="skin-grid" role="radiogroup" aria-label={t('tab.skins')}>
        {catalog.skins.map((s) => {
          const isActive = active?.id === s.id;
          return (
            <div key={s.id} class={`skin-card${isActive ? ' active' : ''}`}>
              <SkinPreview skin={s} />
              <div class="skin-info">
                <div class="skin-name">
                  <strong>{s.name}</strong>
                  <span class="tray-icons">
                    {(['TrayIdle', 'TrayNewMail', 'TrayChat', 'TrayOffline'] as const).map((r) => {
                      const img = s.images[r];
                      return img ? <img key={r} src={skinAssetUrl(s, img.relative)} width={16} height={16} alt="" /> : null;
                    })}
                  </span>
                </div>
                <div class="muted small">{t('skinBy', { author: s.author || '—', version: s.version || '—' })}</div>
                <button type="button" role="radio" aria-checked={isActive} class={isActive ? 'small selected' : 'small'} disabled={locked || isActive} aria-label={t('useSkin', { name: s.name })} onClick={() => update({ skin: s.id })}>
                  {isActive ? t('skinActive') : t('useSkin', { name: s.name })}
                </button>
              </div>
            </div>
          );
        })}
      </div>
      {catalog.rejected.length > 0 && (
        <fieldset>
          <legend>{t('skinProblems')}</legend>
          <ul class="problems">
            {catalog.rejected.map((r) => (
              <li key={`${r.dir}\n${r.id}`}>
                <strong>{r.id || r.dir}</strong>: {r.reason}
              </li>
            ))}
          </ul>
        </fieldset>
      )}
    </>
  );
}

function Account(): JSX.Element {
  const state = useCell(coreState)!;
  const c = useCell(chat);
  const [error, setError] = useState<string>();
  return (
    <fieldset>
      <legend>{t('account')}</legend>
      <dl class="facts">
        <dt>{t('user')}</dt>
        <dd>{state.user ? `${state.user.displayName} <${state.user.address}>` : t('conn.signed-out')}</dd>
        <dt>{t('gateway')}</dt>
        <dd>{state.gatewayUrl ?? '—'}</dd>
        <dt>{t('mailRow')}</dt>
        <dd>{t(`conn.${state.connection.state}`)}</dd>
        <dt>{t('chatRow')}</dt>
        <dd>{t(`chatConn.${c.connection}`)}{c.detail && c.connection !== 'online' ? ` (${c.detail})` : ''}</dd>
      </dl>
      {state.user && (
        <button type="button" onClick={() => api().signOut().catch((e) => setError(errorMessage(e)))}>
          {t('signOut')}
        </button>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}

export function SettingsView(): JSX.Element {
  const view = useCell(settingsCell);
  const state = useCell(coreState)!;
  const [tab, setTab] = useState<Tab>('general');
  const [update, error, saved] = useUpdate();
  const tabs: { id: Tab; label: string }[] = (['general', 'alerts', 'alertRules', 'sounds', 'skins', 'history', 'account'] as const).map((id) => ({ id, label: t(`tab.${id}`) }));
  return (
    <div class="window settings-window">
      <TitleBar title={t('settingsTitle')} sub={state.user?.address} icon={<Icon name="settings" size={20} />}>
        {saved && (
          <span class="saved" role="status">
            <Icon name="check" size={14} /> {t('saved')}
          </span>
        )}
      </TitleBar>
      <div class="split grow">
        <Tabs tabs={tabs} current={tab} onChange={setTab} label={t('settingsTitle')} />
        <div class="main scroll" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} tabIndex={0}>
          <p class="help-link-row" data-help-section={HELP_FOR[tab] ?? 'general'}>
            <HelpLink section={HELP_FOR[tab] ?? 'general'} />
          </p>
          {view?.problem && <p class="note">{t('settingsProblem', { problem: view.problem })}</p>}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          {!view ? (
            <p class="empty">{t('loading')}</p>
          ) : tab === 'general' ? (
            <General />
          ) : tab === 'alerts' ? (
            <Alerts update={update} />
          ) : tab === 'sounds' ? (
            <Sounds update={update} />
          ) : tab === 'skins' ? (
            <Skins update={update} />
          ) : tab === 'history' ? (
            <HistoryFolder />
          ) : tab === 'alertRules' ? (
            <AlertRules />
          ) : (
            <Account />
          )}
        </div>
      </div>
    </div>
  );
}
