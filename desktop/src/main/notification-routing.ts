// Where a click on a notification leads: a mail pop-up opens its folder in webmail (and
// acknowledges it); a digest over several folders opens INBOX; a chat pop-up opens (or focuses)
// that conversation's window. If webmail cannot be opened (none configured, signed out), the
// folders window opens instead, so a click is never lost.
import type { ChatMessage } from '../shared/chat.ts';
import type { NotificationView } from '../shared/state.ts';
import type { Route } from './window-routes.ts';

export type ClickTarget = { kind: 'folder'; path: string } | { kind: 'window'; route: Route };

export const mailClickTarget = (n: NotificationView): ClickTarget => ({ kind: 'folder', path: n.folder ?? 'INBOX' });

export const chatClickTarget = (m: Pick<ChatMessage, 'with' | 'kind'>): ClickTarget => ({
  kind: 'window',
  route: m.kind === 'groupchat' ? { view: 'room', jid: m.with } : { view: 'chat', jid: m.with },
});

export interface ClickDeps {
  openFolder(path: string): Promise<void>;
  openWindow(route: Route): void;
  log?: (message: string) => void;
}

export async function routeClick(t: ClickTarget, d: ClickDeps): Promise<void> {
  if (t.kind === 'window') return d.openWindow(t.route);
  try {
    await d.openFolder(t.path);
  } catch (e) {
    d.log?.(`opening ${t.path} in webmail failed: ${(e as Error).message}; showing the folders window`);
    d.openWindow({ view: 'folders' });
  }
}
