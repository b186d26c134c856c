// The user's own status (online, away, ..., invisible, offline) and status message. "Do not
// disturb" also quiets mail pop-ups (main keeps the two in step). Without chat, only online and
// do-not-disturb make sense.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { OwnPresence } from '../../shared/chat.ts';
import { api, errorMessage } from '../api.ts';
import { PresenceDot } from '../components/presence.tsx';
import { t } from '../i18n/i18n.ts';
import { chat, coreState, ownPresence, useCell } from '../store.ts';

const SHOWS: OwnPresence['show'][] = ['online', 'away', 'xa', 'dnd', 'invisible', 'offline'];

export function OwnStatus(): JSX.Element {
  const state = useCell(coreState)!;
  const c = useCell(chat);
  const own = useCell(ownPresence);
  const show = state.doNotDisturb ? 'dnd' : own.show === 'dnd' ? 'online' : own.show;
  const [text, setText] = useState(own.status ?? '');
  const [error, setError] = useState<string>();
  const shows = c.connection === 'unavailable' ? (['online', 'dnd'] as const) : SHOWS;

  async function set(p: OwnPresence) {
    setError(undefined);
    try {
      await api().chat.setPresence(p);
      ownPresence.set(p);
    } catch (e) {
      setError(errorMessage(e));
    }
  }
  const status = () => (text.trim() ? { status: text.trim() } : {});

  return (
    <div class="own-status">
      <div class="own-status-row">
        <PresenceDot show={show === 'invisible' ? 'invisible' : show} />
        <select aria-label={t('myStatus')} value={show} onChange={(e) => void set({ show: e.currentTarget.value as OwnPresence['show'], ...status() })}>
          {shows.map((s) => (
            <option key={s} value={s}>
              {t(`show.${s}`)}
            </option>
          ))}
        </select>
      </div>
      {c.connection !== 'unavailable' && (
        <input
          class="status-text"
          type="text"
          maxLength={500}
          aria-label={t('statusText')}
          placeholder={t('statusTextPlaceholder')}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') void set({ show, ...status() });
          }}
          onBlur={() => {
            if ((own.status ?? '') !== text.trim()) void set({ show, ...status() });
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
