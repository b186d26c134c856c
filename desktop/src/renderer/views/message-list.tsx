// A conversation's messages: grouped by day, the sender named when it changes, our own on the
// right with their delivery state (in words for screen readers), shared files as links, text
// colour and emphasis from XHTML-IM. New messages scroll into view unless the user scrolled up.
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { ChatMessage } from '../../shared/chat.ts';
import { Icon } from '../components/icons.tsx';
import { RichText } from '../components/rich-text.tsx';
import { formatDay, formatTime, t } from '../i18n/i18n.ts';

const DELIVERY_ICON = { pending: 'clock', sent: 'check', received: 'checks', failed: 'alert' } as const;

export function MessageList({ messages, nameOf, label, highlight }: { messages: ChatMessage[]; nameOf: (m: ChatMessage) => string; label: string; highlight?: string }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages]);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const on = () => (stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40);
    el.addEventListener('scroll', on);
    return () => el.removeEventListener('scroll', on);
  }, []);

  const items: JSX.Element[] = [];
  let day = '';
  let lastFrom = '';
  for (const m of messages) {
    const d = formatDay(m.at);
    if (d !== day) {
      day = d;
      lastFrom = '';
      items.push(
        <div key={`day-${m.at}`} class="day" role="separator">
          <span>{d}</span>
        </div>,
      );
    }
    const from = m.direction === 'out' ? '\u0000me' : m.from;
    const showName = from !== lastFrom;
    lastFrom = from;
    items.push(<Message key={m.id} m={m} name={nameOf(m)} showName={showName} highlight={highlight} />);
  }
  return (
    <div class="messages" ref={ref} role="log" aria-live="polite" aria-label={label} tabIndex={0}>
      {items}
    </div>
  );
}

function Highlighted({ text, q }: { text: string; q: string }): JSX.Element {
  const parts: (string | JSX.Element)[] = [];
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  let i = 0;
  for (;;) {
    const j = lower.indexOf(needle, i);
    if (j < 0 || !needle) break;
    parts.push(text.slice(i, j), <mark key={j}>{text.slice(j, j + needle.length)}</mark>);
    i = j + needle.length;
  }
  parts.push(text.slice(i));
  return <>{parts}</>;
}

function Message({ m, name, showName, highlight }: { m: ChatMessage; name: string; showName: boolean; highlight?: string }): JSX.Element {
  const out = m.direction === 'out';
  // A shared file's message body is usually just its URL (XEP-0066): the attachment says it better.
  const bodyIsLink = !!m.attachments?.some((a) => a.url === m.body.trim());
  return (
    <div class={`msg ${out ? 'out' : 'in'}${m.server ? ' server' : ''}${m.delivery === 'failed' ? ' failed' : ''}`} data-id={m.id}>
      {showName && <div class="msg-from">{name}</div>}
      <div class="bubble">
        {!bodyIsLink && <div class="msg-body">{highlight ? <Highlighted text={m.body} q={highlight} /> : <RichText html={m.html} body={m.body} />}</div>}
        {m.attachments?.map((a) => (
          <a key={a.url} class="attachment" href={a.url} target="_blank" rel="noopener noreferrer">
            <Icon name="clip" size={14} />
            <span>{a.name ?? a.url.split('/').pop()}</span>
          </a>
        ))}
        <div class="msg-meta">
          <time dateTime={m.at}>{formatTime(m.at)}</time>
          {out && m.delivery && (
            <span class={`delivery delivery-${m.delivery}`} title={t(`delivery.${m.delivery}`)}>
              <Icon name={DELIVERY_ICON[m.delivery]} size={13} label={t(`delivery.${m.delivery}`)} />
            </span>
          )}
        </div>
      </div>
    </div>
  );
}
