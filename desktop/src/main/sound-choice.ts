// Which file plays for a chat event: nothing when sounds are off (the user's switch or the admin's
// policy), else the user's choice for the event, else the active skin's. The core decides the same
// way for new mail (core/mail/alert-policy.ts).
import type { EffectiveSettings, SoundEvent } from '../shared/settings.ts';
import type { Skin } from '../shared/skins.ts';

export function soundFile(event: SoundEvent, s: EffectiveSettings['sounds'], skin: Skin | undefined): string | undefined {
  if (!s.enabled) return undefined;
  if (event === 'NewMail' && !s.newMailAllowed) return undefined;
  if (event !== 'NewMail' && !s.messageInAllowed) return undefined;
  const choice = s.events[event] ?? 'skin';
  if (choice === 'none') return undefined;
  return choice === 'skin' ? skinSound(event, skin)?.file : choice.file;
}

/** The skin's sound for an event; a skin made before ServerMessage existed (MDIM's) plays its MessageIn for it. */
export function skinSound<T>(event: SoundEvent, skin: { sounds: Partial<Record<SoundEvent, T>> } | undefined): T | undefined {
  return skin?.sounds[event] ?? (event === 'ServerMessage' ? skin?.sounds.MessageIn : undefined);
}
