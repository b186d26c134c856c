// Notifier port: a desktop notification (Electron's Notification later). Silent: sounds go
// through the SoundPlayer so the skin or the user chooses them. A click comes back to the core
// as `action` (the main process calls core.openFolder(path)).
import type { NotificationView } from '../../shared/state.ts';

export interface Notifier {
  show(notification: NotificationView): void;
}
