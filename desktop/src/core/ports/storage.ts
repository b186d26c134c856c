// Storage port: small named text files in the user's data folder (settings, session, mail
// watermarks). Writes are atomic: a crash leaves the old file or the new one, never half of it.

export interface Storage {
  /** The file's text, or undefined when it does not exist. */
  read(name: string): Promise<string | undefined>;
  write(name: string, text: string): Promise<void>;
  remove(name: string): Promise<void>;
}
