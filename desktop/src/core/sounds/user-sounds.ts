// Sound files the user picked for an event, kept in the app's own data folder (<userData>/Sounds)
// so the choice survives the original being moved or deleted. A file is stored under the SHA-256
// of its bytes (`<hash>.<format>`): picking the same sound twice stores it once, and a name says
// nothing the user typed. Limits: at most USER_SOUND_MAX_BYTES, and a file the core reads as a
// real WAV/Ogg/MP3 (sound-format.ts); anything else is refused with a message in words.
import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SoundFormatError, readSoundInfo, type SoundInfo } from './sound-format.ts';

/** 512 KiB: a notification sound is a second or two; this leaves room for long ones (about 12 s of 22 kHz WAV, minutes of MP3). */
export const USER_SOUND_MAX_BYTES = 512 * 1024;
/** The folder under the user data folder. */
export const USER_SOUNDS_FOLDER = 'Sounds';
/** How a stored sound is named: its content's SHA-256 and the format read from its headers. */
export const USER_SOUND_NAME = /^[0-9a-f]{64}\.(wav|ogg|mp3)$/;

export class SoundFileError extends Error {
  override name = 'SoundFileError';
}

const kib = (n: number) => `${Math.ceil(n / 1024)} KB`;

export interface StoredSound {
  /** Absolute path inside the sounds folder. */
  file: string;
  /** The name the user's file had (shown in the settings). */
  name: string;
  info: SoundInfo;
}

export function createUserSounds(o: { userDataDir: string | undefined }) {
  const dir = o.userDataDir ? path.resolve(o.userDataDir, USER_SOUNDS_FOLDER) : undefined;
  return {
    dir,

    /** Whether `file` is one of ours (a stored sound in the folder), the only files a renderer may choose. */
    owns(file: string): boolean {
      return !!dir && path.dirname(path.resolve(file)) === dir && USER_SOUND_NAME.test(path.basename(file));
    },

    /** Checks and stores the bytes of the user's file `name`; throws SoundFileError with the reason. */
    async store(name: string, bytes: Uint8Array): Promise<StoredSound> {
      const shown = path.basename(name.replace(/\\/g, '/')).slice(0, 255) || 'sound';
      if (!dir) throw new SoundFileError('this app has no data folder to keep sound files in');
      if (bytes.length > USER_SOUND_MAX_BYTES) throw new SoundFileError(`“${shown}” is ${kib(bytes.length)}; a sound can be at most ${kib(USER_SOUND_MAX_BYTES)}`);
      let info: SoundInfo;
      try {
        info = readSoundInfo(bytes);
      } catch (e) {
        if (e instanceof SoundFormatError) throw new SoundFileError(`“${shown}” cannot be used as a sound: it is ${e.message}`);
        throw e;
      }
      const file = path.join(dir, `${createHash('sha256').update(bytes).digest('hex')}.${info.format}`);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const there = await stat(file).then(
        (s) => s.size === bytes.length,
        () => false,
      );
      if (!there) await writeFile(file, bytes, { mode: 0o600 });
      return { file, name: shown, info };
    },
  };
}
export type UserSounds = ReturnType<typeof createUserSounds>;
