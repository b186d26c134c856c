// The band at the top of every window, in the skin's caption colours: what this window is, and
// its main actions on the right.
import type { ComponentChildren, JSX } from 'preact';

export function TitleBar({ title, sub, children, icon }: { title: string; sub?: ComponentChildren; children?: ComponentChildren; icon?: ComponentChildren }): JSX.Element {
  return (
    <header class="titlebar">
      {icon && <span class="titlebar-icon">{icon}</span>}
      <div class="titlebar-text">
        <h1>{title}</h1>
        {sub && <div class="titlebar-sub">{sub}</div>}
      </div>
      {children && <div class="titlebar-actions">{children}</div>}
    </header>
  );
}
