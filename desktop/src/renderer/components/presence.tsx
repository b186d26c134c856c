// A presence as a coloured dot plus words (colour is never the only signal).
import type { JSX } from 'preact';
import type { PresenceShow } from '../../shared/chat.ts';
import { t } from '../i18n/i18n.ts';

export function PresenceDot({ show }: { show: PresenceShow | 'invisible' }): JSX.Element {
  return <span class={`presence presence-${show}`} aria-hidden="true" />;
}

export const showLabel = (show: PresenceShow | 'invisible') => t(`show.${show}`);
