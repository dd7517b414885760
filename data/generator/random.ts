/**
 * Seeded randomness. Every draw in the generator comes from here, never from Math.random, so the
 * same seed gives byte-identical files on every machine.
 */
import { seededRandom } from '../../lambdas/local/seeded-random';

/** A seeded pseudo-random source. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A whole number from min to max, both included. */
  int(min: number, max: number): number;
  /** True with the given probability. */
  chance(probability: number): boolean;
  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One element, with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T;
  /** A standard normal draw (mean 0, deviation 1). */
  normal(): number;
  /** A Poisson draw with the given mean (exact below 30, normal approximation above). */
  poisson(mean: number): number;
}

/** A Random over the project's one seeded source (mulberry32, `lambdas/local/seeded-random.ts`). */
export function createRandom(seed: number): Random {
  const next = seededRandom(seed);
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted: (items, weights) => {
      const total = weights.reduce((sum, weight) => sum + weight, 0);
      let remaining = next() * total;
      for (let i = 0; i < items.length; i++) {
        remaining -= weights[i]!;
        if (remaining < 0) return items[i]!;
      }
      return items[items.length - 1]!;
    },
    normal: () => {
      // Box-Muller; 1 - next() keeps the logarithm away from 0.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      return radius * Math.cos(2 * Math.PI * next());
    },
    poisson: (mean) => {
      if (mean <= 0) return 0;
      if (mean >= 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.normal()));
      const limit = Math.exp(-mean);
      let count = 0;
      let product = next();
      while (product > limit) {
        count++;
        product *= next();
      }
      return count;
    },
  };
  return random;
}

/**
 * A seed for one purpose and one entity (e.g. `'interactions', 1234`), derived from the world
 * seed. Each customer and each file draws from its own stream, so changing `--interactions`
 * never changes who the customers are.
 */
export function deriveSeed(seed: number, ...path: readonly (string | number)[]): number {
  // FNV-1a over the parts, then murmur3's finaliser to spread nearby inputs apart.
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (const part of path) {
    const text = `${part}\u0000`;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** A Random for one purpose and one entity. */
export function randomFor(seed: number, ...path: readonly (string | number)[]): Random {
  return createRandom(deriveSeed(seed, ...path));
}
