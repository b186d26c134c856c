// Small line icons (inline SVG, currentColor), so they follow the skin's text colours.
import type { JSX } from 'preact';

const paths: Record<string, string> = {
  mail: 'M3 6h18v12H3z M3 6l9 7 9-7',
  chat: 'M4 5h16v11H9l-5 4z',
  history: 'M12 7v5l3 2 M4 12a8 8 0 1 0 2.3-5.7 M4 4v4h4',
  settings: 'M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6z M12 2v3 M12 19v3 M4.9 4.9l2.1 2.1 M17 17l2.1 2.1 M2 12h3 M19 12h3 M4.9 19.1L7 17 M17 7l2.1-2.1',
  info: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z M12 11v6 M12 7.5v.5',
  send: 'M3 20l18-8L3 4l3 8z M6 12h7',
  smile: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z M8.5 14.5c1.8 2 5.2 2 7 0 M9 9.5v.5 M15 9.5v.5',
  palette: 'M12 3a9 9 0 0 0 0 18c1.1 0 1.5-.8 1.2-1.6-.5-1.2.3-2.4 1.6-2.4H17a4 4 0 0 0 4-4c0-5-4-10-9-10z M7.5 11v.5 M10 7v.5 M15 7v.5',
  clip: 'M20 11l-8 8a5 5 0 0 1-7-7l8-8a3.5 3.5 0 0 1 5 5l-8 8a2 2 0 0 1-3-3l7-7',
  search: 'M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13z M15.5 15.5L21 21',
  users: 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z M2.5 20c.5-3.5 3.2-5.5 6.5-5.5s6 2 6.5 5.5 M16 4.5a3.5 3.5 0 0 1 0 6.5 M18 14.8c2 .7 3.3 2.5 3.5 5.2',
  plus: 'M12 5v14 M5 12h14',
  leave: 'M10 4H5v16h5 M14 8l4 4-4 4 M18 12H9',
  folder: 'M3 6h6l2 2h10v11H3z',
  inbox: 'M3 13l3-8h12l3 8v6H3z M3 13h5l1 2h6l1-2h5',
  refresh: 'M20 11a8 8 0 0 0-14.9-3.5 M4 4v4h4 M4 13a8 8 0 0 0 14.9 3.5 M20 20v-4h-4',
  external: 'M14 4h6v6 M20 4l-9 9 M18 14v6H4V6h6',
  lock: 'M6 11h12v9H6z M8.5 11V8a3.5 3.5 0 0 1 7 0v3',
  play: 'M7 5l12 7-12 7z',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  checks: 'M2.5 12.5l4.5 4.5 9-9.5 M11 16l1 1 9.5-9.5',
  clock: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z M12 7v5l3 2',
  alert: 'M12 3l10 18H2z M12 10v5 M12 18v.5',
  person: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M4 21c.8-4 4-6 8-6s7.2 2 8 6',
  bell: 'M6 17V11a6 6 0 0 1 12 0v6l2 2H4z M10 21h4',
  bellOff: 'M6 17V11a6 6 0 0 1 9.5-4.9 M18 11v6l2 2H4 M10 21h4 M3 3l18 18',
  close: 'M6 6l12 12 M18 6L6 18',
  more: 'M5 12h.5 M11.75 12h.5 M18.5 12h.5',
  pencil: 'M4 20h4L19 9l-4-4L4 16z M13.5 6.5l4 4',
  trash: 'M4 7h16 M10 11v6 M14 11v6 M6 7l1 13h10l1-13 M9 7V4h6v3',
};

export type IconName = keyof typeof paths;

export function Icon({ name, size = 16, label }: { name: IconName; size?: number; label?: string }): JSX.Element {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" role={label ? 'img' : undefined} aria-label={label} aria-hidden={label ? undefined : 'true'} focusable="false">
      <path d={paths[name]} />
    </svg>
  );
}
