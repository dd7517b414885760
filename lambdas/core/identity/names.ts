import damerauLevenshtein from 'talisman/metrics/damerau-levenshtein.js';
import jaroWinkler from 'talisman/metrics/jaro-winkler.js';

/** A person's name, normalised for comparison: lower case, no accents, no punctuation. */
export interface PersonName {
  readonly first: string;
  readonly last: string;
}

/** `Zoë O'Brien-Smith` -> `zoe obriensmith`: what is left is letters and single spaces. */
export function normaliseNameText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’.-]/g, (mark) => (mark === '.' ? ' ' : ''))
    .replace(/[^\p{L} ]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A name from separate first and last name fields (CRM). */
export function nameOf(first: string | null, last: string | null): PersonName | undefined {
  const name = { first: normaliseNameText(first ?? ''), last: normaliseNameText(last ?? '') };
  return name.first || name.last ? name : undefined;
}

/** A name from one field as a till captures it: the last word is the last name (`M. Kelley`). */
export function nameFromFull(full: string | null): PersonName | undefined {
  const words = normaliseNameText(full ?? '')
    .split(' ')
    .filter(Boolean);
  if (words.length === 0) return undefined;
  if (words.length === 1) return { first: '', last: words[0]! };
  return { first: words.slice(0, -1).join(' '), last: words.at(-1)! };
}

/** One keystroke apart (a typo), or close by Jaro-Winkler; short names need the keystroke test. */
function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.min(a.length, b.length) >= 3 && damerauLevenshtein(a, b) <= 1) return true;
  return jaroWinkler(a, b) >= 0.94;
}

/**
 * How two names relate:
 * - `same`: both parts agree, allowing one typo per part;
 * - `compatible`: the last names agree and one first name is the other's initial (`M.` / `Masha`);
 * - `unknown`: one side has no name;
 * - `different`: two people (`Masha Kelley` / `John Kelley` share a household, not an identity).
 */
export type NameMatch = 'same' | 'compatible' | 'unknown' | 'different';

export function compareNames(a: PersonName | undefined, b: PersonName | undefined): NameMatch {
  if (!a || !b) return 'unknown';
  if (!a.last || !b.last || !sameWord(a.last, b.last)) return 'different';
  if (!a.first || !b.first) return 'compatible';
  if (sameWord(a.first, b.first)) return 'same';
  const [short, long] = a.first.length <= b.first.length ? [a.first, b.first] : [b.first, a.first];
  return short.length === 1 && long.startsWith(short) ? 'compatible' : 'different';
}

/** Similarity of two whole names, 0–1, for probabilistic matching and for choosing between candidates. */
export function nameSimilarity(a: PersonName | undefined, b: PersonName | undefined): number {
  if (!a || !b) return 0;
  const last = sameWord(a.last, b.last) ? 1 : jaroWinkler(a.last, b.last);
  const initials = a.first.length === 1 || b.first.length === 1;
  const first =
    !a.first || !b.first
      ? 0.5
      : sameWord(a.first, b.first)
        ? 1
        : initials && a.first[0] === b.first[0]
          ? 0.85
          : jaroWinkler(a.first, b.first);
  return 0.5 * last + 0.5 * first;
}
