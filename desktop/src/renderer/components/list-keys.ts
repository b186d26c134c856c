// Arrow-key movement through a list's options (roving tabindex): Up/Down/Home/End move the focus,
// so a long contact list is usable without a mouse; Tab leaves the list.
export function listKeys(e: KeyboardEvent): void {
  const root = e.currentTarget as HTMLElement;
  const items = [...root.querySelectorAll<HTMLElement>('[data-item]')].filter((x) => x.offsetParent !== null);
  const i = items.indexOf(document.activeElement as HTMLElement);
  let next: HTMLElement | undefined;
  if (e.key === 'ArrowDown') next = items[Math.min(items.length - 1, i + 1)];
  else if (e.key === 'ArrowUp') next = items[Math.max(0, i - 1)];
  else if (e.key === 'Home') next = items[0];
  else if (e.key === 'End') next = items.at(-1);
  if (!next) return;
  e.preventDefault();
  for (const it of items) it.tabIndex = -1;
  next.tabIndex = 0;
  next.focus();
}
