// The preview bridge's messages (JSON over one WebSocket per browser page): the page invokes the
// same contract channels the preload would, and the server pushes the same events main would,
// plus what a browser page must do itself in place of Electron (show a notification, open a
// window or a link, choose a file).
import type { EventChannel, IpcReply } from '../src/shared/ipc.ts';

export type ClientMessage =
  | { t: 'invoke'; id: number; channel: string; payload: unknown }
  /** The page's route and whether it has the focus (chat pop-ups skip a focused conversation). */
  | { t: 'focus'; hash: string; focused: boolean }
  | { t: 'note-click'; id: string };

export type ServerMessage =
  | { t: 'hello'; conn: number }
  | { t: 'reply'; id: number; reply: IpcReply }
  | { t: 'event'; channel: EventChannel; payload: unknown }
  | { t: 'note'; id: string; title: string; body: string }
  | { t: 'open-window'; hash: string }
  | { t: 'open-url'; url: string }
  | { t: 'tray'; icon: string; tooltip: string; badge: number; menu: unknown };

export const BRIDGE_PATH = '/bridge';
export const PICK_PATH = '/pick';
