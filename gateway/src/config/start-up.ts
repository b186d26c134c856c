// How V8 runs while `serve` starts, and after (issue 12: RSS at rest <= 70 MiB).
// Starting runs a lot of code once (module bodies, schemas built, the store opened, the demo seeded)
// and allocates ~15 MiB that lives on. Left to its defaults V8
//   - doubles the young generation at each scavenge that finds most of it alive, up to 2 x 8 MiB of
//     semi-spaces that stay resident until its memory reducer shrinks them, tens of seconds later at
//     best (serve --demo at 10 s: 16 MiB of new space; 1-2 MiB when held);
//   - optimizes with TurboFan what ran hot while starting and never runs again: its code, the
//     compiler's zones in the background threads' malloc arenas and the compiler's own pages of the
//     node binary stay resident (serve --demo at 10 s: 68.3-72.0 MiB with TurboFan off while
//     starting, 75.0-78.0 MiB with it on, same build and machine).
// So while `serve` starts the young generation keeps its first size and TurboFan waits (Sparkplug
// still compiles); once it listens both are back as V8 ships them (--semi-space-growth-factor=2,
// --turbofan), so a busy gateway's hot paths are optimized and its young generation grows as before.
// V8 reads both flags each time it decides (a scavenge's growth, a function's tier-up); an admin's
// own choice of either flag (node options, NODE_OPTIONS) is left as it is.
import { setFlagsFromString } from 'node:v8';

const FLAGS = [
  { names: ['semi-space-growth-factor'], starting: '--semi-space-growth-factor=1', started: '--semi-space-growth-factor=2' },
  { names: ['turbofan', 'opt'], starting: '--no-turbofan', started: '--turbofan' },
];

/** Whether node was started with the flag (command line or NODE_OPTIONS), in either spelling (_ or -). */
function chosen(names: string[]): boolean {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((a) => a.replace(/_/g, '-'));
  return given.some((a) => names.some((n) => new RegExp(`^--(no-)?${n}(=|$)`).test(a)));
}

/** Before `serve` loads and starts anything. */
export function startingUp(): void {
  for (const f of FLAGS) if (!chosen(f.names)) setFlagsFromString(f.starting);
}

/** Once `serve` listens (harmless when startingUp() was not called: V8's defaults). */
export function startedUp(): void {
  for (const f of FLAGS) if (!chosen(f.names)) setFlagsFromString(f.started);
}
