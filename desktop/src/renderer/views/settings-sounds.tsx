// Settings › Sounds: per event the skin's sound, none, or a file of the user's (WAV, Ogg or MP3,
// at most 512 KB), with a ▶ preview per event. A picked file is first decoded here with Web Audio
// (decodeAudioData: what Chromium can really play), then its bytes go to the core, which checks
// its headers again and keeps a copy in the app's data folder — so the choice survives the
// original being moved. Refusals say why, next to the event.
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import type { SoundChoice, SoundEvent, UserSettingsPatch } from '../../shared/settings.ts';
import { api, errorMessage } from '../api.ts';
import { Icon } from '../components/icons.tsx';
import { formatBytes, t } from '../i18n/i18n.ts';
import { skinAssetUrl } from '../skin.ts';
import { playSound } from '../sound.ts';
import { settings as settingsCell, skin as skinCell, useCell } from '../store.ts';
import { Check, Locked } from './settings-parts.tsx';

const EVENTS: SoundEvent[] = ['NewMail', 'MessageIn', 'MessageOut', 'ContactOnline', 'ContactOffline', 'FileReceived', 'ServerMessage'];
/** The core's limit (core/sounds/user-sounds.ts USER_SOUND_MAX_BYTES); checked here first to say it sooner. */
export const SOUND_MAX_BYTES = 512 * 1024;
const ACCEPT = '.wav,.ogg,.oga,.opus,.mp3,audio/wav,audio/x-wav,audio/ogg,audio/mpeg';

/** Where our origin serves a kept sound file (<userData>/Sounds/<sha256>.<format> → /user-sounds/…). */
const keptUrl = (file: string) => `./user-sounds/${encodeURIComponent(file.split(/[\\/]/).pop() ?? '')}`;
const fileName = (c: Exclude<SoundChoice, string>) => c.name ?? c.file.split(/[\\/]/).pop() ?? c.file;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Decodes the file as Chromium would play it; the reason in words when it cannot. */
async function decodable(bytes: ArrayBuffer): Promise<string | undefined> {
  const ctx = new AudioContext();
  try {
    const audio = await ctx.decodeAudioData(bytes.slice(0));
    return audio.duration > 0 ? undefined : 'empty';
  } catch (e) {
    return e instanceof Error && e.message ? e.message : String(e);
  } finally {
    void ctx.close();
  }
}

function SoundRow({ ev, update }: { ev: SoundEvent; update: (p: UserSettingsPatch) => void }): JSX.Element {
  const view = useCell(settingsCell)!;
  const active = useCell(skinCell);
  const input = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const s = view.user.sounds;
  const e = view.effective.sounds;
  const allowed = ev === 'NewMail' ? e.newMailAllowed : e.messageInAllowed;
  const choice = s.events[ev] ?? 'skin';
  // A skin without a ServerMessage sound plays its MessageIn (main/sound-choice.ts).
  const asset = active?.sounds[ev] ?? (ev === 'ServerMessage' ? active?.sounds.MessageIn : undefined);
  const disabled = !s.enabled || !allowed;
  const value = typeof choice === 'string' ? choice : 'file';
  const url = choice === 'skin' ? (active && asset ? skinAssetUrl(active, asset.relative) : undefined) : choice === 'none' ? undefined : keptUrl(choice.file);
  const label = t(`sound.${ev}`);

  async function picked(file: File | undefined): Promise<void> {
    if (!file) return;
    setProblem(undefined);
    if (file.size > SOUND_MAX_BYTES) return setProblem(t('soundTooBig', { name: file.name, size: formatBytes(file.size), max: formatBytes(SOUND_MAX_BYTES) }));
    setBusy(true);
    try {
      const bytes = await file.arrayBuffer();
      const why = await decodable(bytes);
      if (why) return setProblem(t('soundUndecodable', { name: file.name }));
      settingsCell.set(await api().importSound({ event: ev, name: file.name, data: toBase64(new Uint8Array(bytes)) }));
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr class={disabled ? 'disabled' : ''}>
      <th scope="row">
        <label for={`sound-${ev}`}>{label}</label>
        {!allowed && <Locked>{t('soundsLocked')}</Locked>}
        {problem && (
          <p class="error" role="alert">
            {problem}
          </p>
        )}
      </th>
      <td>
        <select
          id={`sound-${ev}`}
          value={value}
          disabled={disabled}
          onChange={(x) => {
            const v = x.currentTarget.value;
            setProblem(undefined);
            if (v === 'skin' || v === 'none') update({ sounds: { events: { ...s.events, [ev]: v } } });
          }}
        >
          <option value="skin">{asset ? t('soundSkin') : `${t('soundSkin')} — ${t('noSkinSound')}`}</option>
          <option value="none">{t('soundNone')}</option>
          {typeof choice === 'object' && <option value="file">{t('soundFile', { name: fileName(choice) })}</option>}
        </select>
      </td>
      <td>
        <input ref={input} type="file" accept={ACCEPT} hidden aria-label={t('soundPickFor', { event: label })} data-event={ev} onChange={(x) => void picked(x.currentTarget.files?.[0]).finally(() => input.current && (input.current.value = ''))} />
        <button type="button" class="small" disabled={disabled || busy} aria-label={t('soundPickFor', { event: label })} onClick={() => input.current?.click()}>
          {t('soundPick')}
        </button>
      </td>
      <td>
        <button type="button" class="icon-button" aria-label={t('previewOf', { event: label })} title={t('preview')} disabled={!url} onClick={() => url && void playSound(url)}>
          <Icon name="play" size={14} />
        </button>
      </td>
    </tr>
  );
}

export function Sounds({ update }: { update: (p: UserSettingsPatch) => void }): JSX.Element {
  const view = useCell(settingsCell)!;
  const s = view.user.sounds;
  return (
    <fieldset>
      <legend>{t('tab.sounds')}</legend>
      <Check label={t('soundsEnabled')} checked={s.enabled} onChange={(v) => update({ sounds: { enabled: v } })} />
      <table class="sound-table">
        <tbody>
          {EVENTS.map((ev) => (
            <SoundRow key={ev} ev={ev} update={update} />
          ))}
        </tbody>
      </table>
      <p class="muted small">{t('soundFileHint', { max: formatBytes(SOUND_MAX_BYTES) })}</p>
    </fieldset>
  );
}
