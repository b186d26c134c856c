// SoundPlayer port: plays one sound file (an absolute path the core has checked: a skin's asset
// inside its folder, or a file the user chose) for an event. The renderer plays it in the
// Electron app (the main adapter turns the path into a URL it serves).
import type { SoundEvent } from '../../shared/settings.ts';

export interface SoundPlayer {
  play(sound: { event: SoundEvent; file: string }): void;
}
