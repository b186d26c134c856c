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
  return choice === 'skin' ? skin?.sounds[event]?.file : choice.file;
}
