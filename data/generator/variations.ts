/** The ways one person's details drift between systems: typos, case, initials. */
import type { Random } from './random';

const KEYBOARD_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

/** A key next to the given letter on a QWERTY keyboard (the usual source of a typo). */
function neighbourKey(random: Random, letter: string): string {
  const lower = letter.toLowerCase();
  for (const row of KEYBOARD_ROWS) {
    const at = row.indexOf(lower);
    if (at < 0) continue;
    const neighbours = [row[at - 1], row[at + 1]].filter((key): key is string => key !== undefined);
    const key = random.pick(neighbours);
    return letter === lower ? key : key.toUpperCase();
  }
  return letter;
}

/**
 * One keystroke error, never at the first letter (people rarely get that wrong): a swap of two
 * neighbours, a dropped or doubled letter, or a neighbouring key. The result always differs from
 * the input and is exactly one edit away from it.
 */
export function typo(random: Random, word: string): string {
  if (word.length < 2) return `${word}${word}`;
  for (let attempt = 0; attempt < 8; attempt++) {
    const at = random.int(1, word.length - 1);
    const [before, letter, after] = [word.slice(0, at), word[at]!, word.slice(at + 1)];
    const kind = random.pick(['swap', 'drop', 'double', 'neighbour'] as const);
    let result: string;
    if (kind === 'swap') result = `${word.slice(0, at - 1)}${letter}${word[at - 1]}${after}`;
    else if (kind === 'drop') result = `${before}${after}`;
    else if (kind === 'double') result = `${before}${letter}${letter}${after}`;
    else result = `${before}${neighbourKey(random, letter)}${after}`;
    // Swapping a capital into the middle reads as two errors; doubled or dropped letters do not.
    if (result !== word && !(kind === 'swap' && at === 1)) return result;
  }
  return `${word}${word[word.length - 1]}`;
}

/** `Masha` -> `M.` */
export function initialOf(firstName: string): string {
  return `${firstName[0]}.`;
}

/** The same text in a case it was not written in: all capitals, all lower case, or mixed. */
export function recase(random: Random, text: string): string {
  const upper = text.toUpperCase();
  const lower = text.toLowerCase();
  const options = [upper, lower].filter((variant) => variant !== text);
  return options.length > 0 ? random.pick(options) : text;
}

/** An email as typed with a capitalised local part or domain: `Masha.Kelley12@Example.com`. */
export function recaseEmail(random: Random, email: string): string {
  const [local, domain] = email.split('@') as [string, string];
  const capitalise = (text: string) =>
    text.replace(/(^|[.])([a-z])/g, (_match, dot: string, letter: string) => dot + letter.toUpperCase());
  return random.pick([
    `${capitalise(local)}@${domain}`,
    `${local}@${capitalise(domain)}`,
    email.toUpperCase(),
  ]);
}
