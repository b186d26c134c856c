// Settings › History (issue 14): where the history is kept (the per-day text files of
// desktop/src/core/chat/history-store.ts), "Open folder" (the main process opens it in the file
// manager) and "Export conversation…" as plain text or HTML (main asks where to save). Each button
// shows that it is working and says in words what went wrong; nothing fails silently.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { HistoryInfo } from '../../shared/ipc.ts';
import { api, errorMessage } from '../api.ts';
import { Icon } from '../components/icons.tsx';
import { t } from '../i18n/i18n.ts';
import { chat, useCell } from '../store.ts';

export function HistoryFolder(): JSX.Element {
  const c = useCell(chat);
  const [info, setInfo] = useState<HistoryInfo>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<'open' | 'text' | 'html'>();
  const [result, setResult] = useState<string>();
  const [which, setWhich] = useState('');
  const available = c.connection !== 'unavailable';
  useEffect(() => {
    if (!available) return;
    api()
      .history.info()
      .then((i) => {
        setInfo(i);
        setWhich((w) => w || i.conversations[0] || '');
      }, (e) => setError(errorMessage(e)));
  }, [available]);
  const nameOf = (jid: string) => c.contacts.find((x) => x.jid === jid)?.name ?? c.rooms.find((r) => r.jid === jid)?.name;
  if (!available) return <p class="empty">{t('historyNeedsChat')}</p>;

  const run = async (kind: 'open' | 'text' | 'html') => {
    setBusy(kind);
    setError(undefined);
    setResult(undefined);
    try {
      if (kind === 'open') await api().history.openFolder();
      else {
        const r = await api().history.export({ with: which, format: kind });
        setResult(r ? t('exported', { file: r.file }) : t('exportCancelled'));
      }
    } catch (e) {
      setError(t(kind === 'open' ? 'openFolderFailed' : 'exportFailed', { reason: errorMessage(e) }));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <>
      <fieldset class="history-folder">
        <legend>{t('historyFolder')}</legend>
        <p>{t('historyFolderText')}</p>
        <p>
          <code class="folder-path">{info?.folder ?? t('loading')}</code>
        </p>
        <button type="button" disabled={!info || !!busy} onClick={() => void run('open')}>
          <Icon name="folder" size={15} />
          <span>{busy === 'open' ? t('openingFolder') : t('openHistoryFolder')}</span>
        </button>
      </fieldset>
      <fieldset class="history-export">
        <legend>{t('exportConversation')}</legend>
        {info && !info.conversations.length ? (
          <p class="muted">{t('noHistoryYet')}</p>
        ) : (
          <>
            <label class="field">
              <span>{t('exportWhich')}</span>
              <select value={which} disabled={!info} onChange={(e) => setWhich(e.currentTarget.value)}>
                {(info?.conversations ?? []).map((jid) => (
                  <option key={jid} value={jid}>
                    {nameOf(jid) ? `${nameOf(jid)} <${jid}>` : jid}
                  </option>
                ))}
              </select>
            </label>
            <div class="row">
              <button type="button" disabled={!which || !!busy} onClick={() => void run('text')}>
                {busy === 'text' ? t('exporting') : t('exportText')}
              </button>
              <button type="button" disabled={!which || !!busy} onClick={() => void run('html')}>
                {busy === 'html' ? t('exporting') : t('exportHtml')}
              </button>
            </div>
          </>
        )}
        {result && (
          <p class="note" role="status">
            {result}
          </p>
        )}
      </fieldset>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
