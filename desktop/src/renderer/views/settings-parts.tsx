// Pieces of the settings window: tabs with arrow keys, a labelled checkbox row, a locked note.
import type { ComponentChildren, JSX } from 'preact';
import { Icon } from '../components/icons.tsx';

export function Tabs<T extends string>({ tabs, current, onChange, label }: { tabs: { id: T; label: string }[]; current: T; onChange: (t: T) => void; label: string }): JSX.Element {
  return (
    <div
      class="tabs"
      role="tablist"
      aria-label={label}
      aria-orientation="vertical"
      onKeyDown={(e) => {
        const i = tabs.findIndex((x) => x.id === current);
        const d = e.key === 'ArrowDown' || e.key === 'ArrowRight' ? 1 : e.key === 'ArrowUp' || e.key === 'ArrowLeft' ? -1 : 0;
        if (!d) return;
        e.preventDefault();
        const next = tabs[(i + d + tabs.length) % tabs.length]!;
        onChange(next.id);
        requestAnimationFrame(() => document.getElementById(`tab-${next.id}`)?.focus());
      }}
    >
      {tabs.map((x) => (
        <button key={x.id} id={`tab-${x.id}`} type="button" role="tab" aria-selected={x.id === current} aria-controls={`panel-${x.id}`} tabIndex={x.id === current ? 0 : -1} class={x.id === current ? 'tab selected' : 'tab'} onClick={() => onChange(x.id)}>
          {x.label}
        </button>
      ))}
    </div>
  );
}

export function Check({ label, checked, disabled, onChange, hint }: { label: string; checked: boolean; disabled?: boolean; onChange: (v: boolean) => void; hint?: ComponentChildren }): JSX.Element {
  return (
    <label class={`check${disabled ? ' disabled' : ''}`}>
      <input type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.currentTarget.checked)} />
      <span>
        {label}
        {hint && <span class="hint">{hint}</span>}
      </span>
    </label>
  );
}

export function Locked({ children }: { children: ComponentChildren }): JSX.Element {
  return (
    <p class="locked">
      <Icon name="lock" size={14} />
      <span>{children}</span>
    </p>
  );
}
