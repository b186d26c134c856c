// A conversation window, 1:1 or a group (MUC): the messages, who is typing, what was delivered,
// files with a progress bar, the composer with emoticons and text colour; for a group its
// subject, members, invite and leave. Enter sends, Shift+Enter makes a new line.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { serverSenderName, type ChatMessage, type Contact, type Room } from '../../shared/chat.ts';
import { api, errorMessage } from '../api.ts';
import { ColorPicker } from '../components/color-picker.tsx';
import { EmoticonPicker } from '../components/emoticon-picker.tsx';
import { Icon } from '../components/icons.tsx';
import { PresenceDot, showLabel } from '../components/presence.tsx';
import { UploadProgress } from '../components/progress.tsx';
import { TitleBar } from '../components/title-bar.tsx';
import { t } from '../i18n/i18n.ts';
import { openView } from '../router.ts';
import { chat, coreState, useCell, useChatEvents } from '../store.ts';
import { MessageList } from './message-list.tsx';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const PAUSE_MS = 5000;

function merge(list: ChatMessage[], m: ChatMessage): ChatMessage[] {
  const i = list.findIndex((x) => x.id === m.id);
  if (i >= 0) return list.map((x, j) => (j === i ? { ...x, ...m } : x));
  const next = [...list, m];
  return next[next.length - 2] && next[next.length - 2]!.at > m.at ? next.sort((a, b) => a.at.localeCompare(b.at)) : next;
}

/** A member as people know them: the contact's (or the user's own) name; the nickname when it says more. */
function memberName(m: Room['members'][number], contacts: Contact[], own: { address: string; displayName: string } | null | undefined): string {
  const bare = m.jid?.split('/')[0];
  if (bare && own && same(bare, own.address)) return own.displayName;
  return contacts.find((x) => bare && same(x.jid, bare))?.name ?? m.nick;
}

function Members({ room, contacts }: { room: Room; contacts: Contact[] }): JSX.Element {
  const own = useCell(coreState)?.user;
  return (
    <aside class="members" aria-labelledby="members-title">
      <h2 id="members-title">
        {t('members')} <span class="muted">({room.members.length})</span>
      </h2>
      <ul>
        {[...room.members]
          .map((m) => ({ m, name: memberName(m, contacts, own) }))
          .sort((a, b) => a.name.localeCompare(b.name))
          .map(({ m, name }) => {
            const c = contacts.find((x) => m.jid && same(x.jid, m.jid.split('/')[0]!));
            return (
              <li key={m.nick} title={m.jid ? `${m.jid.split('/')[0]} (${m.nick})` : m.nick}>
                <PresenceDot show={c?.show ?? 'online'} />
                <span class="member-name">{name}</span>
                {name.toLowerCase() !== m.nick.toLowerCase() && <span class="member-nick muted small">{m.nick}</span>}
                {(m.affiliation === 'owner' || m.affiliation === 'admin') && <span class="role">{m.affiliation}</span>}
              </li>
            );
          })}
      </ul>
    </aside>
  );
}

function InviteDialog({ room, contacts, onClose }: { room: Room; contacts: Contact[]; onClose: () => void }): JSX.Element {
  const [jid, setJid] = useState('');
  const [error, setError] = useState<string>();
  const ref = useRef<HTMLDialogElement | null>(null);
  const setRef = (el: HTMLDialogElement | null) => {
    ref.current = el;
    if (el && !el.open) el.showModal();
  };
  const candidates = contacts.filter((c) => !room.members.some((m) => m.jid && same(m.jid.split('/')[0]!, c.jid)));
  return (
    <dialog ref={setRef} class="dialog" aria-labelledby="invite-title" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          api()
            .chat.invite({ room: room.jid, jid })
            .then(() => ref.current?.close())
            .catch((err) => setError(errorMessage(err)));
        }}
      >
        <h2 id="invite-title">{t('inviteTitle', { room: room.name || room.jid })}</h2>
        <label class="field">
          <span>{t('inviteWho')}</span>
          <select required value={jid} onChange={(e) => setJid(e.currentTarget.value)}>
            <option value="" disabled>
              …
            </option>
            {candidates.map((c) => (
              <option key={c.jid} value={c.jid}>
                {c.name} ({showLabel(c.show)})
              </option>
            ))}
          </select>
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-buttons">
          <button type="button" onClick={() => ref.current?.close()}>
            {t('cancel')}
          </button>
          <button type="submit" class="primary" disabled={!jid}>
            {t('invite')}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function ChatView({ jid, room: isRoom }: { jid: string; room: boolean }): JSX.Element {
  const state = useCell(coreState)!;
  const c = useCell(chat);
  const contact = c.contacts.find((x) => same(x.jid, jid));
  const [room, setRoom] = useState<Room | undefined>(() => c.rooms.find((r) => same(r.jid, jid)));
  const [left, setLeft] = useState(false);
  const [rejoining, setRejoining] = useState(false);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [typing, setTyping] = useState<'composing' | 'paused' | undefined>();
  const [upload, setUpload] = useState<{ name: string; sent: number; total: number }>();
  const [text, setText] = useState('');
  const [color, setColor] = useState<string>();
  const [error, setError] = useState<string>();
  const [inviting, setInviting] = useState(false);
  const composing = useRef<{ on: boolean; timer?: ReturnType<typeof setTimeout> }>({ on: false });
  const input = useRef<HTMLTextAreaElement>(null);
  const kind = isRoom ? 'groupchat' : 'chat';
  // A conversation with the server itself (scripts, alerts, reminders): "Herald", its own look.
  const server = !isRoom && !contact && (c.servers.some((s) => same(s, jid)) || messages.some((m) => m.server));
  const title = isRoom ? room?.name || jid.split('@')[0]! : contact?.name ?? (server ? serverSenderName(jid) : jid);

  useEffect(() => {
    document.title = `${title} — Herald`;
  }, [title]);

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        if (isRoom) {
          const r = await api().chat.joinRoom({ room: jid });
          if (live) setRoom(r);
        }
        const past = await api().chat.history({ with: jid, max: 100 });
        if (live) setMessages((now) => past.reduce(merge, now));
      } catch (e) {
        if (live) setError(errorMessage(e));
      }
    })();
    input.current?.focus();
    return () => {
      live = false;
    };
  }, [jid, isRoom]);

  useChatEvents(
    (e) => {
      if (e.type === 'message' && same(e.message.with, jid)) {
        setMessages((list) => merge(list, e.message));
        if (e.message.direction === 'in') setTyping(undefined);
      } else if (e.type === 'delivery') setMessages((list) => list.map((m) => (m.id === e.id ? { ...m, delivery: e.delivery } : m)));
      else if (e.type === 'chat-state' && !isRoom && same(e.jid.split('/')[0]!, jid)) setTyping(e.state === 'composing' ? 'composing' : e.state === 'paused' ? 'paused' : undefined);
      else if (e.type === 'room' && same(e.room.jid, jid)) setRoom(e.room);
      else if (e.type === 'room-left' && same(e.room, jid)) setLeft(true);
      else if (e.type === 'upload-progress') setUpload((u) => (u ? { ...u, sent: e.sent, total: e.total } : u));
    },
    [jid, isRoom],
  );

  function chatState(s: 'active' | 'composing' | 'paused') {
    if (isRoom) return;
    void api().chat.setChatState({ to: jid, state: s }).catch(() => {});
  }
  function onType(value: string) {
    setText(value);
    const cs = composing.current;
    clearTimeout(cs.timer);
    if (!value) {
      if (cs.on) chatState('active');
      cs.on = false;
      return;
    }
    if (!cs.on) chatState('composing');
    cs.on = true;
    cs.timer = setTimeout(() => {
      cs.on = false;
      chatState('paused');
    }, PAUSE_MS);
  }

  /** "Rejoin" on a left room: the same join as opening it; the note stays (with the reason) if it fails. */
  async function rejoin() {
    setRejoining(true);
    setError(undefined);
    try {
      const r = await api().chat.joinRoom({ room: jid });
      setRoom(r);
      setLeft(false);
    } catch (e) {
      setError(t('joinFailed', { reason: errorMessage(e) }));
    } finally {
      setRejoining(false);
    }
  }

  async function send() {
    const body = text.trim();
    if (!body) return;
    setError(undefined);
    clearTimeout(composing.current.timer);
    composing.current.on = false;
    setText('');
    try {
      const m = await api().chat.send({ to: jid, kind, body, ...(color ? { color } : {}) });
      setMessages((list) => merge(list, m));
    } catch (e) {
      setText(body);
      setError(t('sendFailed', { reason: errorMessage(e) }));
    }
  }

  async function sendFile() {
    setError(undefined);
    try {
      const picked = await api().chat.pickFile();
      if (!picked) return;
      setUpload({ name: picked.name, sent: 0, total: picked.bytes });
      const m = await api().chat.sendFile({ to: jid, kind, file: picked.file });
      setMessages((list) => merge(list, m));
    } catch (e) {
      setError(t('uploadFailed', { reason: errorMessage(e) }));
    } finally {
      setUpload(undefined);
    }
  }

  const nameOf = (m: ChatMessage) => {
    if (m.direction === 'out') return t('you');
    if (isRoom) return m.from.split('/')[1] ?? m.from;
    return contact?.name ?? (m.server ? serverSenderName(m.from) : m.from.split('@')[0]!);
  };
  const offline = c.connection !== 'online';
  const sub = server ? (
    <span>{t('serverConversation')}</span>
  ) : isRoom ? (
    <span>{room?.subject || (left ? '' : t('memberCount', { count: room?.members.length ?? 0 }))}</span>
  ) : (
    <span class="presence-line">
      <PresenceDot show={contact?.show ?? 'offline'} />
      {contact?.status ? `${showLabel(contact.show)} — ${contact.status}` : showLabel(contact?.show ?? 'offline')}
    </span>
  );

  return (
    <div class={`window chat-window${isRoom ? ' is-room' : ''}${server ? ' is-server' : ''}`}>
      <TitleBar title={title} sub={sub} icon={<Icon name={isRoom ? 'users' : server ? 'bell' : 'person'} size={20} />}>
        {isRoom && room && !left && (
          <button type="button" class="title-button" aria-label={t('invite')} title={t('invite')} onClick={() => setInviting(true)}>
            <Icon name="plus" />
          </button>
        )}
        <button type="button" class="title-button" aria-label={t('history')} title={t('history')} onClick={() => openView({ view: 'history', jid })}>
          <Icon name="history" />
        </button>
        {isRoom && !left && (
          <button
            type="button"
            class="title-button"
            aria-label={t('leave')}
            title={t('leave')}
            onClick={() =>
              void api()
                .chat.leaveRoom({ room: jid })
                .then(() => setLeft(true))
                .catch((e) => setError(errorMessage(e)))
            }
          >
            <Icon name="leave" />
          </button>
        )}
      </TitleBar>
      <div class="chat-body">
        <div class="conversation">
          {messages.length === 0 ? <p class="empty grow">{t('noMessages')}</p> : <MessageList messages={messages} nameOf={nameOf} label={title} />}
          <div class="typing" aria-live="polite">
            {typing === 'composing' ? t('typing', { name: contact?.name ?? jid }) : ''}
          </div>
          {left && (
            <p class="note pad room-left">
              <span>{t('roomLeft')}</span>{' '}
              <button type="button" class="small" disabled={rejoining} onClick={() => void rejoin()}>
                {t('rejoin')}
              </button>
            </p>
          )}
          {upload && <UploadProgress {...upload} />}
          {error && (
            <p class="error pad" role="alert">
              {error}
            </p>
          )}
          <div class="composer">
            <div class="composer-tools" role="toolbar" aria-label={t('message')}>
              <EmoticonPicker
                onPick={(emoji) => {
                  const el = input.current;
                  const at = el?.selectionStart ?? text.length;
                  onType(text.slice(0, at) + emoji + text.slice(el?.selectionEnd ?? at));
                  requestAnimationFrame(() => {
                    el?.focus();
                    el?.setSelectionRange(at + emoji.length, at + emoji.length);
                  });
                }}
              />
              <ColorPicker value={color} onChange={setColor} />
              <button type="button" class="icon-button" aria-label={t('sendFile')} title={t('sendFile')} disabled={offline || !!upload || left} onClick={() => void sendFile()}>
                <Icon name="clip" size={18} />
              </button>
            </div>
            <div class="composer-row">
              <textarea
                ref={input}
                rows={3}
                aria-label={t('messageTo', { name: title })}
                placeholder={t('messageTo', { name: title })}
                value={text}
                style={color ? { color } : undefined}
                disabled={left}
                onInput={(e) => onType(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                    e.preventDefault();
                    void send();
                  }
                }}
              />
              <button type="button" class="primary send" disabled={!text.trim() || offline || left} onClick={() => void send()}>
                <Icon name="send" />
                <span>{t('send')}</span>
              </button>
            </div>
          </div>
        </div>
        {/* Once left, who is in the room is no longer known here (the list would still show the user). */}
        {isRoom && room && !left && <Members room={room} contacts={c.contacts} />}
      </div>
      {inviting && room && <InviteDialog room={room} contacts={c.contacts} onClose={() => setInviting(false)} />}
      {state.doNotDisturb && <div class="sr-only">{t('dndOn')}</div>}
    </div>
  );
}
