// The history viewer: pick a conversation (a contact or a group), read it, search it. The chat
// part answers from the server's archive and the local history folder.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { serverSenderName, type ChatMessage } from '../../shared/chat.ts';
import { api, errorMessage } from '../api.ts';
import { Icon } from '../components/icons.tsx';
import { listKeys } from '../components/list-keys.ts';
import { PresenceDot } from '../components/presence.tsx';
import { TitleBar } from '../components/title-bar.tsx';
import { t } from '../i18n/i18n.ts';
import { chat, useCell } from '../store.ts';
import { MessageList } from './message-list.tsx';

export function HistoryView({ initial }: { initial?: string }): JSX.Element {
  const c = useCell(chat);
  const [selected, setSelected] = useState(initial);
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState('');
  const [messages, setMessages] = useState<ChatMessage[]>();
  const [error, setError] = useState<string>();
  const conversations = [
    ...c.contacts.map((x) => ({ jid: x.jid, name: x.name, room: false, server: false, show: x.show })),
    ...c.rooms.map((r) => ({ jid: r.jid, name: r.name || r.jid.split('@')[0]!, room: true, server: false, show: 'online' as const })),
    // What the server sent (scripts, alerts, reminders): reachable after the pop-up is gone.
    ...c.servers.filter((j) => !c.contacts.some((x) => x.jid === j)).map((j) => ({ jid: j, name: serverSenderName(j), room: false, server: true, show: 'online' as const })),
  ].sort((a, b) => a.name.localeCompare(b.name));
  if (selected && !conversations.some((x) => x.jid === selected)) conversations.unshift({ jid: selected, name: selected, room: false, server: false, show: 'offline' as const });
  const current = conversations.find((x) => x.jid === selected);

  useEffect(() => {
    if (!selected) return;
    let live = true;
    setError(undefined);
    setMessages(undefined);
    api()
      .chat.history({ with: selected, max: 200, ...(applied ? { text: applied } : {}) })
      .then((m) => live && setMessages(m))
      .catch((e) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [selected, applied]);

  return (
    <div class="window history-window">
      <TitleBar title={t('historyTitle')} icon={<Icon name="history" size={20} />} />
      <div class="split grow">
        <nav class="side" aria-label={t('conversations')}>
          <h2 class="side-title">{t('conversations')}</h2>
          <ul class="side-list" role="listbox" aria-label={t('conversations')} onKeyDown={(e) => listKeys(e as unknown as KeyboardEvent)}>
            {conversations.map((x, i) => (
              <li
                key={x.jid}
                role="option"
                data-item
                aria-selected={x.jid === selected}
                tabIndex={x.jid === selected || (!selected && i === 0) ? 0 : -1}
                class={x.jid === selected ? 'selected' : ''}
                onClick={() => setSelected(x.jid)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    setSelected(x.jid);
                  }
                }}
              >
                {x.room ? <Icon name="users" size={14} /> : x.server ? <Icon name="bell" size={14} /> : <PresenceDot show={x.show} />}
                <span>{x.name}</span>
              </li>
            ))}
          </ul>
        </nav>
        <section class="main" aria-label={current?.name ?? t('historyTitle')}>
          <form
            class="search"
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              setApplied(query.trim());
            }}
          >
            <Icon name="search" size={15} />
            <input type="search" aria-label={t('searchHistory')} placeholder={t('searchHistory')} value={query} disabled={!selected} onInput={(e) => setQuery(e.currentTarget.value)} onKeyDown={(e) => e.key === 'Escape' && (setQuery(''), setApplied(''))} />
            <button type="submit" class="small" disabled={!selected}>
              {t('search')}
            </button>
          </form>
          {error && (
            <p class="error pad" role="alert">
              {error}
            </p>
          )}
          {!selected ? (
            <p class="empty grow">{t('pickConversation')}</p>
          ) : !messages ? (
            <p class="empty grow" aria-busy="true">
              {t('loading')}
            </p>
          ) : messages.length === 0 ? (
            <p class="empty grow">{t('noHistory')}</p>
          ) : (
            <>
              <p class="result-count muted" role="status">
                {t('resultCount', { count: messages.length })}
              </p>
              <MessageList messages={messages} label={current?.name ?? ''} highlight={applied || undefined} nameOf={(m) => (m.direction === 'out' ? t('you') : current?.room ? m.from.split('/')[1] ?? m.from : m.server ? serverSenderName(m.from) : current?.name ?? m.from)} />
            </>
          )}
        </section>
      </div>
    </div>
  );
}
