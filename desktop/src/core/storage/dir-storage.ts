// The Storage port on a folder (the app's user data folder): one file per name, written to a
// temporary file, flushed and renamed over the old one, so a crash or power cut leaves either
// version whole. Names are plain file names: nothing can be read or written outside the folder.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Storage } from '../ports/storage.ts';

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/i;

function fileOf(dir: string, name: string): string {
  if (!NAME.test(name) || name.includes('..')) throw new Error(`invalid storage name ${JSON.stringify(name)}`);
  return path.join(dir, name);
}

export function createDirStorage(dir: string): Storage {
  let made: Promise<unknown> | undefined;
  // A failed mkdir is not remembered: once the folder can be made (a missing drive is back), writes work again.
  const ensureDir = () =>
    (made ??= mkdir(dir, { recursive: true, mode: 0o700 }).catch((e: unknown) => {
      made = undefined;
      throw e;
    }));
  // One write at a time per name, in call order: a slow older write can never land last.
  const queues = new Map<string, Promise<void>>();
  const serial = (name: string, job: () => Promise<void>): Promise<void> => {
    const next = (queues.get(name) ?? Promise.resolve()).then(job, job);
    queues.set(name, next.catch(() => {}));
    return next;
  };

  return {
    async read(name) {
      try {
        return await readFile(fileOf(dir, name), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    write(name, text) {
      const file = fileOf(dir, name);
      return serial(name, async () => {
        await ensureDir();
        const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
        const fh = await open(tmp, 'w', 0o600);
        try {
          await fh.writeFile(text, 'utf8');
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, file);
      });
    },
    remove(name) {
      const file = fileOf(dir, name);
      return serial(name, () => rm(file, { force: true }));
    },
  };
}
