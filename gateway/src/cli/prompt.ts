// Reads a password: hidden prompt on a terminal, else the first line of standard input
// (so scripts can pipe it and it never shows up in `ps`).
import { createInterface } from 'node:readline';

export async function readPassword(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    throw new Error('no password given: use --password-file FILE, or pipe it on standard input');
  }
  const ask = (q: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        // Echo the prompt, hide what is typed.
        if (s.startsWith(q)) write.call(rl, q);
      };
      rl.question(q, (answer) => {
        rl.close();
        process.stdout.write('\n');
        resolve(answer);
      });
    });
  const first = await ask(question);
  const again = await ask('Repeat password: ');
  if (first !== again) throw new Error('the passwords do not match');
  return first;
}
