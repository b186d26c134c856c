// The connection, said honestly: nothing while connected by push; otherwise one line naming what
// is wrong (and when the next try is), plus do-not-disturb and quiet hours.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { CoreState } from '../../shared/state.ts';
import { t } from '../i18n/i18n.ts';
import { Icon } from './icons.tsx';

export function ConnectionBanner({ state }: { state: CoreState }): JSX.Element | null {
  const [now, setNow] = useState(Date.now());
  const c = state.connection;
  useEffect(() => {
    if (!c.nextRetryAt) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [c.nextRetryAt]);
  const lines: { kind: 'warn' | 'info'; text: string }[] = [];
  if (c.state === 'gateway-unreachable' || c.state === 'mail-unavailable') {
    const retry = c.nextRetryAt && c.nextRetryAt > now ? ` — ${t('retryIn', { seconds: Math.ceil((c.nextRetryAt - now) / 1000) })}` : '';
    lines.push({ kind: 'warn', text: `${t(`conn.${c.state}`)}${c.detail ? `: ${c.detail}` : ''}${retry}` });
  } else if (c.state === 'connecting') lines.push({ kind: 'info', text: t('conn.connecting') });
  if (state.doNotDisturb) lines.push({ kind: 'info', text: t('dndOn') });
  else if (state.quiet) lines.push({ kind: 'info', text: t('quietNow') });
  if (!lines.length) return null;
  return (
    <div class="banners" role="status" aria-live="polite">
      {lines.map((l, i) => (
        <div key={i} class={`banner banner-${l.kind}`}>
          <Icon name={l.kind === 'warn' ? 'alert' : 'bell'} size={14} />
          <span>{l.text}</span>
        </div>
      ))}
    </div>
  );
}
