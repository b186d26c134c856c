// Text colour for what the user sends (an XHTML-IM span on the wire): a palette as a radio group
// (arrow keys move, Enter/Space choose), "default" first.
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { t } from '../i18n/i18n.ts';
import { Icon } from './icons.tsx';
import { Popover, gridKeys } from './popover.tsx';

export const PALETTE = ['#000000', '#7f7f7f', '#c0392b', '#e67e22', '#b7950b', '#27ae60', '#16a085', '#2980b9', '#1f3a93', '#8e44ad', '#c2185b', '#6d4c41'];
const COLUMNS = 7;

export function ColorPicker({ value, onChange }: { value: string | undefined; onChange: (c: string | undefined) => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const choose = (c: string | undefined) => {
    onChange(c);
    setOpen(false);
    button.current?.focus();
  };
  const options: (string | undefined)[] = [undefined, ...PALETTE];
  return (
    <div class="tool">
      <button type="button" class="icon-button" ref={button} aria-label={t('textColour')} title={t('textColour')} aria-expanded={open} aria-haspopup="dialog" onClick={() => setOpen(!open)}>
        <Icon name="palette" size={18} />
        <span class="colour-chip" style={{ background: value ?? 'currentColor' }} aria-hidden="true" />
      </button>
      <Popover open={open} onClose={() => setOpen(false)} label={t('textColour')} anchor={button}>
        <div class="colour-grid" role="radiogroup" aria-label={t('textColour')} onKeyDown={(e) => gridKeys(e as unknown as KeyboardEvent, COLUMNS)}>
          {options.map((c) => (
            <button
              key={c ?? 'default'}
              type="button"
              role="radio"
              aria-checked={c === value}
              aria-label={c ?? t('defaultColour')}
              title={c ?? t('defaultColour')}
              data-cell
              tabIndex={c === value ? 0 : -1}
              class={`swatch${c ? '' : ' swatch-default'}`}
              style={c ? { background: c } : undefined}
              onClick={() => choose(c)}
            />
          ))}
        </div>
      </Popover>
    </div>
  );
}
