// "did you mean …?" for a mistyped name (a CLI option or command, a domain): the candidate with the
// smallest Damerau–Levenshtein (optimal string alignment) distance, when it is close enough to be
// a typo rather than a different word.

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The closest candidate, or undefined when none is within a typo's reach: at most a third of the
 * word's length (at least one edit), or the word is a prefix of exactly one candidate (`--pass`).
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  const prefixed: string[] = [];
  for (const c of candidates) {
    const distance = editDistance(w, c.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [c, distance];
    if (w.length >= 2 && c.toLowerCase().startsWith(w)) prefixed.push(c);
  }
  if (bestDistance === 0) return undefined;
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(w.length / 3))) return best;
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
