// Mail folders with their counts (new / unread / total); choosing one opens webmail at that folder
// (and the gateway then counts it as seen). The connection line says when counts may be stale.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { FolderView } from '../../shared/state.ts';
import { api, errorMessage } from '../api.ts';
import { ConnectionBanner } from '../components/banner.tsx';
import { Icon, type IconName } from '../components/icons.tsx';
import { TitleBar } from '../components/title-bar.tsx';
import { t } from '../i18n/i18n.ts';
import { coreState, useCell } from '../store.ts';

const SPECIAL: Record<string, IconName> = { '\\Inbox': 'inbox', '\\Sent': 'send', '\\Drafts': 'pencil', '\\Trash': 'trash', '\\Junk': 'alert' };
const parentOf = (p: string) => p.replace(/[/.][^/.]*$/, '');
/** Indented under its parent when the parent is listed; otherwise shown with its whole path. */
const depth = (f: FolderView, all: FolderView[]): number => {
  const parent = parentOf(f.path);
  const p = parent !== f.path ? all.find((x) => x.path === parent) : undefined;
  return p ? depth(p, all) + 1 : 0;
};
export const folderLabel = (f: FolderView, all: FolderView[] = []) => {
  if (f.path.toUpperCase() === 'INBOX') return t('inbox');
  const parent = parentOf(f.path);
  return parent !== f.path && !all.some((x) => x.path === parent) ? f.path : f.name;
};

export function FoldersView(): JSX.Element {
  const state = useCell(coreState)!;
  const [error, setError] = useState<string>();
  const run = (p: Promise<unknown>) => {
    setError(undefined);
    p.catch((e) => setError(errorMessage(e)));
  };
  const total = state.folders.reduce((n, f) => n + f.new, 0);
  return (
    <div class="window folders-window">
      <TitleBar title={t('foldersTitle')} sub={state.user?.address} icon={<Icon name="mail" size={20} />}>
        <button type="button" class="title-button" onClick={() => run(api().checkNow())} title={t('checkNow')} aria-label={t('checkNow')}>
          <Icon name="refresh" />
        </button>
        <button type="button" class="title-button" onClick={() => run(api().openWebmail())} title={t('openWebmail')} aria-label={t('openWebmail')}>
          <Icon name="external" />
        </button>
      </TitleBar>
      <ConnectionBanner state={state} />
      {error && (
        <p class="error pad" role="alert">
          {error}
        </p>
      )}
      <div class="scroll grow">
        {state.folders.length === 0 ? (
          <p class="empty">{t('noFolders')}</p>
        ) : (
          <table class="folders" aria-describedby="folders-summary">
            <thead>
              <tr>
                <th scope="col">{t('col.folder')}</th>
                <th scope="col" class="num">{t('col.new')}</th>
                <th scope="col" class="num">{t('col.unread')}</th>
                <th scope="col" class="num">{t('col.total')}</th>
              </tr>
            </thead>
            <tbody>
              {state.folders.map((f) => (
                <tr key={f.path} class={f.new > 0 ? 'has-new' : f.unread > 0 ? 'has-unread' : ''}>
                  <th scope="row">
                    <button type="button" class="folder-link" style={{ paddingInlineStart: `${10 + depth(f, state.folders) * 16}px` }} aria-label={t('openFolder', { name: folderLabel(f, state.folders) })} title={t('openFolder', { name: folderLabel(f, state.folders) })} onClick={() => run(api().openFolder(f.path))}>
                      <Icon name={SPECIAL[f.specialUse ?? ''] ?? 'folder'} size={15} />
                      <span>{folderLabel(f, state.folders)}</span>
                      {!f.alerts && (
                        <span class="muted alerts-off" title={t('alertsOff')}>
                          <Icon name="bellOff" size={13} label={t('alertsOff')} />
                        </span>
                      )}
                    </button>
                  </th>
                  <td class="num">{f.new > 0 ? <span class="count-new">{f.new}</span> : <span class="muted">0</span>}</td>
                  <td class="num">{f.unread}</td>
                  <td class="num">{f.total}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div class="statusbar" id="folders-summary" role="status">
        {state.connection.state === 'connected' ? (state.connection.transport === 'poll' ? t('conn.connected-poll') : t('conn.connected')) : t(`conn.${state.connection.state}`)}
        {' · '}
        {total ? t('mailSummary', { count: total }) : t('mailSummaryNone')}
      </div>
    </div>
  );
}
