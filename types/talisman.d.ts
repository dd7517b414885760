// talisman ships no type declarations; these are the two metrics the identity core uses.
declare module 'talisman/metrics/jaro-winkler.js' {
  /** Jaro-Winkler similarity, 0 (nothing shared) to 1 (identical). */
  const similarity: (a: string, b: string) => number;
  export default similarity;
}
declare module 'talisman/metrics/damerau-levenshtein.js' {
  /** Edits (insert, delete, substitute, swap neighbours) from one string to the other. */
  const distance: (a: string, b: string) => number;
  export default distance;
}
