// The SEM spool end to end, in the running gateway: mutated SEM files dropped the way scripts drop
// them (with the LCK protocol, or without it) must each end delivered — one scripted line in the
// central IM log — or in bad/ with a `.reason`; never lost, never stuck in the spool or work/.
// A file the parser refuses must be in bad/ with the parser's own reason.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseSemFile, SemFormatError } from '../../gateway/src/im/spool/sem-file.ts';
import { badReason, drop, scriptedLines, waitFor } from '../integration/sem-spool-helpers.ts';
import { semCase, SEM_MAX_BYTES } from './desktop-fuzz.ts';
import type { Rng } from './prng.ts';
import { count, newTally, type FuzzTarget, type Tally } from './target.ts';

export async function fuzzSpool(t: FuzzTarget, o: { rng: Rng; cases: number; first?: number }): Promise<{ tally: Tally; failures: string[] }> {
  const tally = newTally('SEM spool');
  const failures: string[] = [];
  const spool = path.join(t.dataDir, 'spool', 'im');
  const before = scriptedLines(t.dataDir).length;
  const expected: { name: string; locked: boolean; parsed?: { to: string; from: string; text: string }; refusal?: string }[] = [];
  for (let i = 0; i < o.cases; i++) {
    const name = `IM-${(o.first ?? 1000) + i}`;
    const bytes = semCase(o.rng, t.users[1].address, t.users[0].address);
    // Most scripts follow the LCK protocol; some just write the file (taken once it settles).
    const locked = o.rng.chance(0.7);
    try {
      expected.push({ name, locked, parsed: parseSemFile(bytes, { maxBytes: SEM_MAX_BYTES }) });
    } catch (e) {
      if (!(e instanceof SemFormatError)) throw e;
      expected.push({ name, locked, refusal: e.message });
    }
    if (locked) drop(spool, name, bytes);
    else writeFileSync(path.join(spool, `${name}.SEM`), bytes);
    tally.cases++;
  }
  const pending = () => [...readdirSync(spool), ...readdirSync(path.join(spool, 'work'))].filter((n) => n.endsWith('.SEM') || n.endsWith('.LCK'));
  await waitFor(() => pending().length === 0, 30_000, `the spool to empty (left: ${pending().join(' ')})`).catch((e: Error) => failures.push(e.message));
  const logged = scriptedLines(t.dataDir).slice(before);
  for (const x of expected) {
    const reason = badReason(spool, `${x.name}.SEM`);
    // Without an LCK, a writer stalled for SETTLE_MS between creating and writing the file has it
    // taken early (spool.ts): it lands in bad/ with the bytes it then wrote — kept, not lost.
    if (!x.locked && reason !== undefined && !reason.includes((x.refusal ?? '').slice(0, 60))) {
      count(tally, 'bad/ (taken mid-write, no LCK)');
      continue;
    }
    if (x.refusal !== undefined) {
      count(tally, reason !== undefined ? 'bad/ (refused)' : 'LOST');
      if (reason === undefined) failures.push(`${x.name}: refused by the parser (${x.refusal}) but not in bad/`);
      else if (!reason.includes(x.refusal.slice(0, 60))) failures.push(`${x.name}: bad/ says "${reason.trim()}", the parser "${x.refusal}"`);
      continue;
    }
    const line = logged.find((l) => l.to === x.parsed!.to && l.from === x.parsed!.from && l.body === x.parsed!.text);
    if (line) count(tally, 'delivered');
    else if (reason !== undefined && reason.trim()) count(tally, 'bad/ (undeliverable)');
    else {
      count(tally, 'LOST');
      failures.push(`${x.name}: neither delivered nor in bad/ (${existsSync(path.join(spool, `${x.name}.SEM`)) ? 'still in the spool' : 'gone'})`);
    }
  }
  try {
    await t.alive('the SEM spool batch');
  } catch (e) {
    tally.crashes++;
    failures.push((e as Error).message);
  }
  return { tally, failures };
}
