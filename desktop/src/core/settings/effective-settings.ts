// The user's settings under the gateway's admin policy (GET /api/v1/config). Admin-locked values
// win: a locked skin, sounds switched off, alerts limited to INBOX, the poll interval and the
// webmail template (the organisation's webmail; the user's own choice only applies when the
// gateway names none). Without a config yet (first start, gateway unreachable), the user's
// settings apply with safe defaults.
import type { ClientConfig } from '../../../../gateway/src/protocol/api.ts';
import type { EffectiveSettings, UserSettings } from '../../shared/settings.ts';
import { resolveTemplate } from '../webmail/webmail-url.ts';

const FALLBACK = { digestThreshold: 5, pollIntervalSeconds: 60, skin: 'Default' } as const;

export function effectiveSettings(user: UserSettings, config: ClientConfig | undefined): EffectiveSettings {
  const locked: EffectiveSettings['locked'] = [];
  const skinLocked = config?.skin.locked ?? false;
  if (skinLocked) locked.push('skin');
  const newMailAllowed = config?.sounds.newMail ?? true;
  const messageInAllowed = config?.sounds.messageIn ?? true;
  if (!newMailAllowed && !messageInAllowed) locked.push('sounds');
  const scope = config?.alerts.folders ?? 'all';
  if (scope === 'inbox') locked.push('alerts.scope');
  if (config) locked.push('pollInterval');
  const gatewayWebmail = config?.webmail.urlTemplate.trim() ? resolveTemplate(config.webmail.urlTemplate.trim()) : undefined;
  if (gatewayWebmail) locked.push('webmail');
  const userWebmail = user.webmail && resolveTemplate(user.webmail.preset === 'custom' ? user.webmail.template : `${user.webmail.preset}:${user.webmail.baseUrl}`);
  return {
    alerts: {
      enabled: user.alerts.enabled,
      doNotDisturb: user.alerts.doNotDisturb,
      quietHours: user.alerts.quietHours,
      digestThreshold: user.alerts.digestThreshold ?? config?.alerts.digestThreshold ?? FALLBACK.digestThreshold,
      scope,
      folders: user.alerts.folders,
    },
    sounds: { enabled: user.sounds.enabled, newMailAllowed, messageInAllowed, events: user.sounds.events },
    skin: { name: skinLocked ? config!.skin.default : (user.skin ?? config?.skin.default ?? FALLBACK.skin), locked: skinLocked },
    webmail: gatewayWebmail ? { template: gatewayWebmail, source: 'gateway' } : userWebmail ? { template: userWebmail, source: 'user' } : { template: '', source: 'none' },
    pollIntervalSeconds: config?.pollIntervalSeconds ?? FALLBACK.pollIntervalSeconds,
    locked,
  };
}
