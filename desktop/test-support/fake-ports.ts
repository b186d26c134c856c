// In-memory and recording implementations of the core's ports, for tests only.
import type { NotificationView, TrayModel } from '../src/shared/state.ts';
import type { SoundEvent } from '../src/shared/settings.ts';
import type { Browser } from '../src/core/ports/browser.ts';
import type { Notifier } from '../src/core/ports/notifier.ts';
import type { SecretStore } from '../src/core/ports/secret-store.ts';
import type { SoundPlayer } from '../src/core/ports/sound-player.ts';
import type { TrayView } from '../src/core/ports/tray-view.ts';

export class MemorySecretStore implements SecretStore {
  readonly values = new Map<string, string>();
  async get(key: string) {
    return this.values.get(key);
  }
  async set(key: string, value: string) {
    this.values.set(key, value);
  }
  async delete(key: string) {
    this.values.delete(key);
  }
}

export class RecordingNotifier implements Notifier {
  readonly shown: NotificationView[] = [];
  private waiters: (() => void)[] = [];
  show(n: NotificationView): void {
    this.shown.push(n);
    for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves when at least `count` notifications were shown, or rejects after `ms`. */
  waitFor(count: number, ms = 5000): Promise<NotificationView[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.shown.length >= count) {
          clearTimeout(timer);
          resolve(this.shown);
        } else this.waiters.push(check);
      };
      const timer = setTimeout(() => reject(new Error(`expected ${count} notification(s) within ${ms} ms, got ${JSON.stringify(this.shown)}`)), ms);
      check();
    });
  }
}

export class RecordingSoundPlayer implements SoundPlayer {
  readonly played: { event: SoundEvent; file: string }[] = [];
  play(s: { event: SoundEvent; file: string }): void {
    this.played.push(s);
  }
}

export class RecordingTray implements TrayView {
  readonly models: TrayModel[] = [];
  render(model: TrayModel): void {
    this.models.push(model);
  }
  get last(): TrayModel | undefined {
    return this.models.at(-1);
  }
}

export class RecordingBrowser implements Browser {
  readonly opened: string[] = [];
  async open(url: string): Promise<void> {
    this.opened.push(url);
  }
}
