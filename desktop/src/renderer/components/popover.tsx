// A small pop-up panel anchored to a toolbar button (emoticons, colours): opens and closes with the
// button, closes on Escape or a click outside, and gives the focus back to the button.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function Popover({ open, onClose, label, children, anchor }: { open: boolean; onClose: () => void; label: string; children: ComponentChildren; anchor: { current: HTMLElement | null } }): JSX.Element | null {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const focusable = ref.current?.querySelector<HTMLElement>('[tabindex="0"], button, input');
    focusable?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onClose();
        anchor.current?.focus();
      }
    };
    const onDown = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node) && !anchor.current?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
    };
  }, [open]);
  if (!open) return null;
  return (
    <div class="popover" role="dialog" aria-label={label} ref={ref}>
      {children}
    </div>
  );
}

/** Arrow-key movement in a grid of buttons (roving focus). */
export function gridKeys(e: KeyboardEvent, columns: number): void {
  const items = [...((e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('[data-cell]'))];
  const i = items.indexOf(document.activeElement as HTMLElement);
  if (i < 0) return;
  const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns, Home: -i, End: items.length - 1 - i };
  const d = moves[e.key];
  if (d === undefined) return;
  e.preventDefault();
  const next = items[Math.max(0, Math.min(items.length - 1, i + d))];
  if (next) {
    for (const it of items) it.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  }
}
