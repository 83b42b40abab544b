import { distance } from 'fastest-levenshtein';

/**
 * The candidate a mistyped `word` most likely meant, or undefined when none is close: the same
 * word in another case (`minBTC` → `minBtc`), a candidate it begins (`threshold` →
 * `thresholdBtc`), or one within a few edits (`webhok` → `webhook`; at most a third of the
 * word's length, at least 1). Ties go to the first candidate.
 */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const list = [...candidates].filter((c) => c !== word);
  const sameCase = list.find((c) => c.toLowerCase() === w);
  if (sameCase) return sameCase;
  if (w.length >= 4) {
    const extended = list.find((c) => c.toLowerCase().startsWith(w));
    if (extended) return extended;
  }
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    const d = distance(w, c.toLowerCase());
    if (d <= limit && d < bestDistance) ((best = c), (bestDistance = d));
  }
  return best;
}

/** ` (did you mean "X"?)` for {@link closestName}, or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const name = closestName(word, candidates);
  return name === undefined ? '' : ` (did you mean "${name}"?)`;
}
