// The user's own status (online, away, ..., invisible, offline) and status message, as the chat
// part keeps them: chosen here, in another window or in the tray, every window shows the same
// (store.ts follows the overview and the own-presence events), and a line says when auto-away is
// in effect. "Do not disturb" also quiets mail pop-ups (main keeps the two in step). Without chat,
// only online and do-not-disturb make sense.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { statusShown, type OwnPresence } from '../../shared/chat.ts';
import { api, errorMessage } from '../api.ts';
import { PresenceDot } from '../components/presence.tsx';
import { t } from '../i18n/i18n.ts';
import { chat, coreState, ownPresence, useCell } from '../store.ts';

/** The select's value while the chat is not connected: not a status anyone can choose. */
const NOT_CONNECTED = 'not-connected';
const SHOWS: OwnPresence['show'][] = ['online', 'away', 'xa', 'dnd', 'invisible', 'offline'];

export function OwnStatus(): JSX.Element {
  const state = useCell(coreState)!;
  const c = useCell(chat);
  const own = useCell(ownPresence);
  const unavailable = c.connection === 'unavailable';
  const status = statusShown(unavailable ? undefined : own, state.doNotDisturb);
  const show = status.chosen;
  const saved = own?.chosen.status ?? '';
  // What is being typed and not set yet; otherwise the field shows the status text the chat has.
  const [draft, setDraft] = useState<string>();
  const text = draft ?? saved;
  const [error, setError] = useState<string>();
  const shows = unavailable ? (['online', 'dnd'] as const) : SHOWS;
  // The status in effect: while the chat is not connected nobody sees the chosen one.
  const notInEffect = !unavailable && c.connection !== 'online' && show !== 'offline';

  async function set(p: OwnPresence) {
    setError(undefined);
    try {
      await api().chat.setPresence(p);
      setDraft(undefined);
    } catch (e) {
      setError(errorMessage(e));
    }
  }
  const typed = () => (text.trim() ? { status: text.trim() } : {});

  return (
    <div class="own-status">
      <div class="own-status-row">
        <PresenceDot show={notInEffect ? 'offline' : status.shown} />
        {/* The box shows the status in effect: never "Online" while nobody can see it. The chosen
            one is named in the line below and can still be changed. */}
        <select aria-label={t('myStatus')} value={notInEffect ? NOT_CONNECTED : show} onChange={(e) => void set({ show: e.currentTarget.value as OwnPresence['show'], ...typed() })}>
          {notInEffect && (
            <option value={NOT_CONNECTED} disabled>
              {t('show.notConnected')}
            </option>
          )}
          {shows.map((s) => (
            <option key={s} value={s}>
              {t(`show.${s}`)}
            </option>
          ))}
        </select>
      </div>
      {notInEffect && <div class="own-status-idle muted small">{t('statusNotInEffect', { show: t(`show.${show}`) })}</div>}
      {!notInEffect && status.idle && <div class="own-status-idle muted small">{t('idleShown', { show: t(`show.${status.shown}`) })}</div>}
      {!unavailable && (
        <input
          class="status-text"
          type="text"
          maxLength={500}
          aria-label={t('statusText')}
          placeholder={t('statusTextPlaceholder')}
          value={text}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') void set({ show, ...typed() });
          }}
          onBlur={() => {
            if (draft === undefined) return;
            if (draft.trim() !== saved) void set({ show, ...typed() });
            else setDraft(undefined);
          }}
        />
      )}
      {error && (
        <p class="error small" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
