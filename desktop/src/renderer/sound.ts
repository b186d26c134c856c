// Sounds are played here (the main process has no audio): for pushes from main (new mail, chat)
// and for previews in the settings. One sound at a time per window; a new one stops the last.
let current: HTMLAudioElement | undefined;

export function playSound(url: string): Promise<void> {
  current?.pause();
  const a = new Audio(url);
  current = a;
  return a.play().catch(() => {
    // Autoplay refused or the file is gone: a missing sound must never break the app.
  });
}
