// The contacts window, the app's home: who is there (grouped, searchable, presence in colour and
// words), group conversations, invitations, the user's own status, a line about new mail, and the
// way to every other window. Arrow keys move through the list; Enter opens a conversation.
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import type { ChatWait, Contact } from '../../shared/chat.ts';
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
import { byPresenceThenName } from './contact-order.ts';
import { ContactDialog, ContactMenu, type ContactAction } from './contact-editor.tsx';
import { NewRoomDialog } from './new-room-dialog.tsx';
import { OwnStatus } from './own-status.tsx';


function matches(c: Contact, q: string): boolean {
  if (!q) return true;
  const s = q.toLowerCase();
  return c.name.toLowerCase().includes(s) || c.jid.toLowerCase().includes(s) || (c.status ?? '').toLowerCase().includes(s);
}

type OpenMenu = (c: Contact, at: { x: number; y: number }) => void;
/** Moves a contact into a group (`undefined`: no group) — what a drop on a group does. */
type MoveTo = (c: Contact, group: string | undefined) => void;
const DRAG_TYPE = 'application/x-herald-contact';

/** The name people know someone by: their contact's name, else their address. */

/** What a retrying chat waits for, in the user's language (the core gives a code, never words). */
function waitText(w: ChatWait): string {
  const reason = t(`chatWait.${w.code}`, { condition: w.condition ?? '', text: w.text ?? '' });
  return w.retryInSeconds === undefined ? t('chatRetryNow', { reason }) : t('chatRetryIn', { reason, seconds: String(w.retryInSeconds) });
}
export function personName(contacts: Contact[], jid: string): string {
  const bare = jid.split('/')[0]!;
  return contacts.find((c) => c.jid === bare)?.name ?? bare;
}

/** What the row says under the name: a pending request we sent, no shared status, or the presence. */
function statusLine(c: Contact): string {
  if (c.subscription === 'pending') return t('subPending');
  if (c.show === 'offline' && (c.subscription === 'none' || c.subscription === 'from')) return t('subNotShared');
  return c.status || showLabel(c.show);
}

function ContactRow({ c, first, onMenu }: { c: Contact; first: boolean; onMenu: OpenMenu }): JSX.Element {
  const open = () => openView({ view: 'chat', jid: c.jid });
  const below = (el: Element) => {
    const r = el.getBoundingClientRect();
    return { x: r.left + 24, y: r.bottom };
  };
  return (
    <li
      role="option"
      aria-selected="false"
      data-item
      tabIndex={first ? 0 : -1}
      class={`contact contact-${c.show}${c.subscription === 'pending' ? ' contact-pending' : ''}`}
      data-jid={c.jid}
      draggable
      onDragStart={(e) => {
        e.dataTransfer?.setData(DRAG_TYPE, c.jid);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
      }}
      aria-label={`${c.name}, ${showLabel(c.show)}${c.status ? `, ${c.status}` : ''}`}
      title={`${c.jid}${c.status ? ` — ${c.status}` : ''}`}
      onDblClick={open}
      onContextMenu={(e) => {
        e.preventDefault();
        onMenu(c, { x: e.clientX, y: e.clientY });
      }}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          open();
        } else if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
          e.preventDefault();
          onMenu(c, below(e.currentTarget));
        }
      }}
    >
      <PresenceDot show={c.show} />
      <span class="contact-text">
        <span class="contact-name">{c.name}</span>
        <span class="contact-status">{statusLine(c)}</span>
      </span>
      <button
        type="button"
        class="icon-button ghost contact-open contact-more"
        tabIndex={-1}
        aria-label={t('contactActions', { name: c.name })}
        title={t('contactActions', { name: c.name })}
        onClick={(e) => {
          e.stopPropagation();
          onMenu(c, below(e.currentTarget));
        }}
      >
        <Icon name="more" size={15} />
      </button>
      <button type="button" class="icon-button ghost contact-open" tabIndex={-1} aria-label={t('openChat', { name: c.name })} title={t('openChat', { name: c.name })} onClick={open}>
        <Icon name="chat" size={15} />
      </button>
    </li>
  );
}

function Groups({ contacts, query, onMenu, onMove }: { contacts: Contact[]; query: string; onMenu: OpenMenu; onMove: MoveTo }): JSX.Element {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [dropOn, setDropOn] = useState<string>();
  const other = t('otherContacts');
  const groups = useMemo(() => {
    const m = new Map<string, Contact[]>();
    for (const c of contacts) {
      const g = c.groups[0] ?? other;
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
          <div
            key={g.name}
            role="group"
            aria-label={g.name}
            class={`contact-group${dropOn === g.name ? ' drop-target' : ''}`}
            // Drag and drop between groups (the keyboard way: the row's menu › Move to group…).
            onDragOver={(e) => {
              if (!e.dataTransfer?.types.includes(DRAG_TYPE)) return;
              e.preventDefault();
              e.dataTransfer.dropEffect = 'move';
              if (dropOn !== g.name) setDropOn(g.name);
            }}
            onDragLeave={(e) => {
              if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) setDropOn(undefined);
            }}
            onDrop={(e) => {
              e.preventDefault();
              setDropOn(undefined);
              const c = contacts.find((x) => x.jid === e.dataTransfer?.getData(DRAG_TYPE));
              const target = g.name === other && !contacts.some((x) => x.groups[0] === other) ? undefined : g.name;
              if (c && c.groups[0] !== target) onMove(c, target);
            }}
          >
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
                  const row = <ContactRow key={c.jid} c={c} first={first} onMenu={onMenu} />;
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

export function ContactsView(): JSX.Element {
  const state = useCell(coreState)!;
  const c = useCell(chat);
  const [query, setQuery] = useState('');
  const [newRoom, setNewRoom] = useState(false);
  const [menu, setMenu] = useState<{ contact: Contact; at: { x: number; y: number }; from: HTMLElement | null }>();
  const [editing, setEditing] = useState<ContactAction>();
  const openMenu: OpenMenu = (contact, at) => setMenu({ contact, at, from: document.activeElement as HTMLElement | null });
  /** A move by drag and drop: progress, then gone; a failure stays, in words, with Try again. */
  const [moving, setMoving] = useState<{ text: string; error?: string; retry: () => void }>();
  const moveTo = async (contact: Contact, group: string | undefined) => {
    const text = t('movingTo', { name: contact.name, group: group ?? t('otherContacts') });
    const retry = () => void moveTo(contact, group);
    setMoving({ text, retry });
    try {
      await api().chat.updateContact({ jid: contact.jid, groups: group ? [group] : [] });
      setMoving(undefined);
    } catch (e) {
      setMoving({ text, retry, error: t('moveFailed', { reason: errorMessage(e) }) });
    }
  };
  const closeMenu = () => {
    menu?.from?.focus();
    setMenu(undefined);
  };
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
      {moving && (
        <div class="banners" role={moving.error ? 'alert' : 'status'} aria-live="polite">
          <div class={`banner ${moving.error ? 'banner-warn' : 'banner-info'} move-status`}>
            <span>{moving.error ?? moving.text}</span>
            {moving.error && (
              <>
                <button type="button" class="small" onClick={moving.retry}>
                  {t('retry')}
                </button>
                <button type="button" class="small" onClick={() => setMoving(undefined)}>
                  {t('dismiss')}
                </button>
              </>
            )}
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
          text={t('invitation', { from: personName(c.contacts, i.from), room: i.roomName ?? i.room.split('@')[0]! })}
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
            <button type="button" class="icon-button ghost add-contact" aria-label={t('addContact')} title={t('addContact')} disabled={!online} onClick={() => setEditing({ kind: 'add' })}>
              <Icon name="plus" size={16} />
            </button>
          </div>
          {!online && <p class="chat-state muted">{c.connection === 'connecting' ? (c.wait ? `${t('chatNotConnected')}: ${waitText(c.wait)}` : c.detail ? `${t('chatNotConnected')}: ${c.detail}` : t('chatConnecting')) : `${t('chatOffline')}${c.detail ? `: ${c.detail}` : ''}`}</p>}
          <div class="scroll grow">
            <Groups contacts={c.contacts} query={query} onMenu={openMenu} onMove={(contact, group) => void moveTo(contact, group)} />
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
      {menu && (
        <ContactMenu
          contact={menu.contact}
          at={menu.at}
          onClose={closeMenu}
          onPick={(a) => {
            setMenu(undefined);
            setEditing(a);
          }}
        />
      )}
      {editing && <ContactDialog action={editing} contacts={c.contacts} onClose={() => setEditing(undefined)} />}
    </div>
  );
}
