// The emoticon picker: a grid of emoji (arrow keys move, Enter inserts, Escape closes), each
// with its classic text shortcut as a tooltip — typing the shortcut works too (the chat part turns
// it into the emoji when the user's setting says so).
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { t } from '../i18n/i18n.ts';
import { Icon } from './icons.tsx';
import { Popover, gridKeys } from './popover.tsx';

export const EMOTICONS: [emoji: string, shortcut: string][] = [
  ['🙂', ':-)'], ['😀', ':-D'], ['😂', ":'-D"], ['😉', ';-)'], ['😊', '^_^'], ['😍', '<3-)'], ['😎', '8-)'], ['🤔', ':-/'],
  ['😐', ':-|'], ['🙁', ':-('], ['😢', ":'-("], ['😮', ':-O'], ['😛', ':-P'], ['😡', '>:-('], ['😴', '|-)'], ['🙄', '8-|'],
  ['👍', '(y)'], ['👎', '(n)'], ['👏', '(clap)'], ['🙏', '(pray)'], ['💪', '(strong)'], ['👋', '(wave)'], ['🎉', '(party)'], ['❤️', '<3'],
  ['🔥', '(fire)'], ['✅', '(ok)'], ['❌', '(x)'], ['☕', '(coffee)'], ['🍕', '(pizza)'], ['🚀', '(rocket)'], ['📎', '(clip)'], ['💡', '(idea)'],
];
const COLUMNS = 8;

export function EmoticonPicker({ onPick }: { onPick: (emoji: string) => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  return (
    <div class="tool">
      <button type="button" class="icon-button" ref={button} aria-label={t('emoticons')} title={t('emoticons')} aria-expanded={open} aria-haspopup="dialog" onClick={() => setOpen(!open)}>
        <Icon name="smile" size={18} />
      </button>
      <Popover open={open} onClose={() => setOpen(false)} label={t('emoticons')} anchor={button}>
        <div class="emoji-grid" role="grid" aria-label={t('emoticons')} onKeyDown={(e) => gridKeys(e as unknown as KeyboardEvent, COLUMNS)}>
          {EMOTICONS.map(([emoji, shortcut], i) => (
            <button
              key={emoji}
              type="button"
              class="emoji"
              data-cell
              tabIndex={i === 0 ? 0 : -1}
              title={`${emoji}  ${shortcut}`}
              aria-label={`${emoji} ${shortcut}`}
              onClick={() => {
                onPick(emoji);
                setOpen(false);
                button.current?.focus();
              }}
            >
              {emoji}
            </button>
          ))}
        </div>
      </Popover>
    </div>
  );
}
