/**
 * mulberry32: a tiny seeded PRNG with 32 bits of state, numbers in [0, 1). Good enough for
 * synthetic data, fault injection and initial model factors; never for secrets. Every seeded
 * draw in the project comes from here, so the same seed gives the same run everywhere.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
