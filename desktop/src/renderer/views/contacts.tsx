// The contacts window, the app's home: who is there (grouped, searchable, presence in colour and
// words), group conversations, invitations, the user's own status, a line about new mail, and the
// way to every other window. Arrow keys move through the list; Enter opens a conversation.
import type { JSX } from 'preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import type { Contact } from '../../shared/chat.ts';
import { api, errorMessage } from '../api.ts';
import { AskBar } from '../components/ask-bar.tsx';
import { ConnectionBanner } from '../components/banner.tsx';
import { Icon } from '../components/icons.tsx';
import { listKeys } from '../components/list-keys.ts';
import { PresenceDot, showLabel } from '../components/presence.tsx';
import { TitleBar } from '../components/title-bar.tsx';
import { t } from '../i18n/i18n.ts';
import { openView } from '../router.ts';
import { chat, coreState, dismissInvite, dismissRequest, useCell } from '../store.ts';
import { OwnStatus } from './own-status.tsx';

const RANK: Record<Contact['show'], number> = { online: 0, away: 1, xa: 2, dnd: 1, offline: 3 };
const byPresenceThenName = (a: Contact, b: Contact) => RANK[a.show] - RANK[b.show] || a.name.localeCompare(b.name);

function matches(c: Contact, q: string): boolean {
  if (!q) return true;
  const s = q.toLowerCase();
  return c.name.toLowerCase().includes(s) || c.jid.toLowerCase().includes(s) || (c.status ?? '').toLowerCase().includes(s);
}

function ContactRow({ c, first }: { c: Contact; first: boolean }): JSX.Element {
  const open = () => openView({ view: 'chat', jid: c.jid });
  return (
    <li
      role="option"
      aria-selected="false"
      data-item
      tabIndex={first ? 0 : -1}
      class={`contact contact-${c.show}`}
      aria-label={`${c.name}, ${showLabel(c.show)}${c.status ? `, ${c.status}` : ''}`}
      title={`${c.jid}${c.status ? ` — ${c.status}` : ''}`}
      onDblClick={open}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          open();
        }
      }}
    >
      <PresenceDot show={c.show} />
      <span class="contact-text">
        <span class="contact-name">{c.name}</span>
        <span class="contact-status">{c.status || showLabel(c.show)}</span>
      </span>
      <button type="button" class="icon-button ghost contact-open" tabIndex={-1} aria-label={t('openChat', { name: c.name })} title={t('openChat', { name: c.name })} onClick={open}>
        <Icon name="chat" size={15} />
      </button>
    </li>
  );
}

function Groups({ contacts, query }: { contacts: Contact[]; query: string }): JSX.Element {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const groups = useMemo(() => {
    const m = new Map<string, Contact[]>();
    for (const c of contacts) {
      const g = c.groups[0] ?? t('otherContacts');
      if (!m.has(g)) m.set(g, []);
      m.get(g)!.push(c);
    }
    return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, list]) => ({ name, all: list, shown: list.filter((c) => matches(c, query)).sort(byPresenceThenName) }));
  }, [contacts, query]);
  const visible = groups.filter((g) => g.shown.length > 0);
  if (!contacts.length) return <p class="empty">{t('noContacts')}</p>;
  if (!visible.length) return <p class="empty">{t('noMatches', { query })}</p>;
  let first = true;
  return (
    <div class="contact-groups" role="listbox" aria-label={t('contactsTitle')} onKeyDown={(e) => listKeys(e as unknown as KeyboardEvent)}>
      {visible.map((g) => {
        const isCollapsed = collapsed.has(g.name) && !query;
        const online = g.all.filter((c) => c.show !== 'offline').length;
        return (
          <div key={g.name} role="group" aria-label={g.name} class="contact-group">
            <button
              type="button"
              class="group-head"
              aria-expanded={!isCollapsed}
              onClick={() => {
                const next = new Set(collapsed);
                if (isCollapsed) next.delete(g.name);
                else next.add(g.name);
                setCollapsed(next);
              }}
            >
              <span class="chevron" aria-hidden="true">
                {isCollapsed ? '▸' : '▾'}
              </span>
              <span class="group-name">{g.name}</span>
              <span class="group-count">{t('groupCount', { online, total: g.all.length })}</span>
            </button>
            {!isCollapsed && (
              <ul class="contacts" role="presentation">
                {g.shown.map((c) => {
                  const row = <ContactRow key={c.jid} c={c} first={first} />;
                  first = false;
                  return row;
                })}
              </ul>
            )}
          </div>
        );
      })}
    </div>
  );
}

function NewRoomDialog({ contacts, onClose }: { contacts: Contact[]; onClose: () => void }): JSX.Element {
  const [name, setName] = useState('');
  const [invite, setInvite] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  const setRef = (el: HTMLDialogElement | null) => {
    ref.current = el;
    if (el && !el.open) el.showModal();
  };
  async function create(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const room = await api().chat.createRoom({ name: name.trim(), invite: [...invite] });
      onClose();
      openView({ view: 'room', jid: room.jid });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <dialog ref={setRef} class="dialog" aria-labelledby="new-room-title" onClose={onClose}>
      <form onSubmit={create}>
        <h2 id="new-room-title">{t('newRoomTitle')}</h2>
        <label class="field">
          <span>{t('roomName')}</span>
          <input type="text" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <fieldset class="invite-list">
          <legend>{t('inviteWho')}</legend>
          {[...contacts].sort(byPresenceThenName).map((c) => (
            <label key={c.jid} class="check">
              <input
                type="checkbox"
                checked={invite.has(c.jid)}
                onChange={(e) => {
                  const next = new Set(invite);
                  if (e.currentTarget.checked) next.add(c.jid);
                  else next.delete(c.jid);
                  setInvite(next);
                }}
              />
              <PresenceDot show={c.show} />
              <span>{c.name}</span>
            </label>
          ))}
        </fieldset>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-buttons">
          <button type="button" onClick={() => ref.current?.close()}>
            {t('cancel')}
          </button>
          <button type="submit" class="primary" disabled={busy || !name.trim()}>
            {t('create')}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function ContactsView(): JSX.Element {
  const state = useCell(coreState)!;
  const c = useCell(chat);
  const [query, setQuery] = useState('');
  const [newRoom, setNewRoom] = useState(false);
  const newMail = state.folders.reduce((n, f) => n + f.new, 0);
  const online = c.connection === 'online';
  /** The bar goes once the answer is sent; a failure is the AskBar's to show. */
  const answer = async (jid: string, approve: boolean) => {
    await api().chat.answerSubscription({ jid, approve });
    dismissRequest(jid);
  };

  return (
    <div class="window contacts-window">
      <TitleBar title={state.user?.displayName ?? t('appName')} sub={state.user?.address} icon={<Icon name="person" size={20} />} />
      <section class="me" aria-label={t('myStatus')}>
        <OwnStatus />
      </section>
      <button type="button" class={`mail-line${newMail ? ' has-new' : ''}`} onClick={() => openView({ view: 'folders' })}>
        <Icon name="mail" size={16} />
        <span>{newMail ? t('mailSummary', { count: newMail }) : t('mailSummaryNone')}</span>
      </button>
      <ConnectionBanner state={state} />
      {c.storageProblem && (
        <div class="banners" role="status" aria-live="polite">
          <div class="banner banner-warn storage-problem">
            <Icon name="alert" size={14} />
            <span>{c.storageProblem}</span>
          </div>
        </div>
      )}
      {c.requests.map((jid) => (
        <AskBar
          key={jid}
          text={t('subscriptionRequest', { jid })}
          actions={[
            { label: t('allow'), primary: true, run: () => answer(jid, true), failed: (reason) => t('allowFailed', { reason }) },
            { label: t('deny'), run: () => answer(jid, false), failed: (reason) => t('denyFailed', { reason }) },
          ]}
        />
      ))}
      {c.invites.map((i) => (
        <AskBar
          key={i.room}
          text={t('invitation', { from: i.from.split('/')[0]!, room: i.room.split('@')[0]! })}
          actions={[
            {
              label: t('join'),
              primary: true,
              async run() {
                await api().chat.joinRoom({ room: i.room });
                dismissInvite(i.room);
                openView({ view: 'room', jid: i.room });
              },
              failed: (reason) => t('joinFailed', { reason }),
            },
            // Only forgets the invitation here: nothing to call, nothing that can fail.
            { label: t('dismiss'), run: async () => dismissInvite(i.room), failed: (reason) => reason },
          ]}
        />
      ))}
      {c.connection === 'unavailable' ? (
        <p class="empty grow">{t('chatUnavailable')}</p>
      ) : (
        <>
          <div class="search">
            <Icon name="search" size={15} />
            <input type="search" aria-label={t('searchContacts')} placeholder={t('searchContacts')} value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
          </div>
          {!online && <p class="chat-state muted">{c.connection === 'connecting' ? c.detail ? `${t('chatNotConnected')}: ${c.detail}` : t('chatConnecting') : `${t('chatOffline')}${c.detail ? `: ${c.detail}` : ''}`}</p>}
          <div class="scroll grow">
            <Groups contacts={c.contacts} query={query} />
            <section class="rooms" aria-labelledby="rooms-title">
              <div class="section-head">
                <h2 id="rooms-title">{t('rooms')}</h2>
                <button type="button" class="icon-button ghost" aria-label={t('newRoom')} title={t('newRoom')} disabled={!online} onClick={() => setNewRoom(true)}>
                  <Icon name="plus" size={16} />
                </button>
              </div>
              <ul class="room-list">
                {c.rooms.map((r) => (
                  <li key={r.jid}>
                    <button type="button" class="room-item" onClick={() => openView({ view: 'room', jid: r.jid })}>
                      <Icon name="users" size={15} />
                      <span class="contact-name">{r.name || r.jid.split('@')[0]}</span>
                      <span class="muted">{t('memberCount', { count: r.members.length })}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          </div>
        </>
      )}
      <nav class="toolbar bottom" aria-label={t('appName')}>
        <button type="button" onClick={() => openView({ view: 'folders' })}>
          <Icon name="folder" />
          <span>{t('folders')}</span>
        </button>
        <button type="button" onClick={() => openView({ view: 'history' })}>
          <Icon name="history" />
          <span>{t('history')}</span>
        </button>
        <button type="button" onClick={() => openView({ view: 'settings' })}>
          <Icon name="settings" />
          <span>{t('settings')}</span>
        </button>
        <button type="button" class="icon-only" aria-label={t('about')} title={t('about')} onClick={() => openView({ view: 'about' })}>
          <Icon name="info" />
        </button>
      </nav>
      {newRoom && <NewRoomDialog contacts={c.contacts} onClose={() => setNewRoom(false)} />}
    </div>
  );
}
