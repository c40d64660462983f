/** Edit distance (Levenshtein) between two strings. */
function distance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate within a typo of `input`: case-insensitive edit distance at
 * most a third of the longer word (minimum 2) and less than the input's
 * length, the closest first; `undefined` when none is that close.
 */
export function typoOf(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const lower = input.toLowerCase();
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    const allowed = Math.max(2, Math.floor(Math.max(input.length, c.length) / 3));
    if (d <= allowed && d < lower.length && d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/**
 * The candidate closest to `input` ({@link typoOf}; failing that, the
 * shortest candidate that `input` (4+ characters) is a prefix of, or that is
 * a prefix of it), or `undefined` when none is close.
 */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  const best = typoOf(input, candidates);
  const lower = input.toLowerCase();
  if (best !== undefined || lower.length < 4) return best;
  // A word the user shortened or lengthened (`timeout` for `timeout_seconds`).
  const related = [...candidates].filter((c) => {
    const lc = c.toLowerCase();
    return lc.startsWith(lower) || lower.startsWith(lc);
  });
  return related.sort((a, b) => a.length - b.length)[0];
}

/** A hint naming the closest candidate (`did you mean "retries"?`), or listing the valid ones. */
export function suggestionHint(input: string, candidates: readonly string[], quote: (s: string) => string = (s) => `"${s}"`): string {
  const best = closestMatch(input, candidates);
  if (best !== undefined) return `did you mean ${quote(best)}?`;
  if (candidates.length === 0) return 'nothing is accepted here';
  const shown = candidates.slice(0, 20).map(quote).join(', ');
  return `expected one of ${shown}${candidates.length > 20 ? `, ... (${candidates.length} in all)` : ''}`;
}
