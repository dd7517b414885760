import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createRandom, type Random } from '../../data/generator/random';

/**
 * The benchmark's world: users with tastes over genres that drift over the year, items with
 * several genres and power-law popularity, and interactions drawn from a Poisson process per user
 * whose rate also changes over time. Everything the oracle needs (each user's true rate and taste
 * at any time) is kept, so the true probability of a future interaction is known exactly.
 *
 * Time runs over one year; interactions before the cutoff are the training data (written as
 * Personalize CSVs), those after it are the hold-out.
 */

export interface WorldOptions {
  readonly seed: number;
  readonly users: number;
  /** Expected number of interactions over the whole year (training and hold-out). */
  readonly interactions: number;
  readonly items: number;
  /** Share of the year after the cutoff. */
  readonly holdoutShare: number;
}

export const GENRES = [
  'Drama',
  'Comedy',
  'Action',
  'Thriller',
  'Romance',
  'Crime',
  'Adventure',
  'Sci-Fi',
  'Horror',
  'Fantasy',
  'Animation',
  'Family',
  'Mystery',
  'Documentary',
  'Music',
  'Western',
] as const;
export const CATEGORIES = ['Movies', 'Series', 'Books', 'Games'] as const;

export const YEAR_START = 1_735_689_600; // 2025-01-01T00:00:00Z
export const YEAR_SECONDS = 365 * 86_400;

export interface World {
  readonly options: WorldOptions;
  /** Genre bit sets per item (bit g = GENRES[g]). */
  readonly itemGenres: Uint32Array;
  readonly itemCategory: Uint8Array;
  /** Sampling weight of each item (power law over a random order). */
  readonly itemPopularity: Float64Array;
  /** Taste at the start and at the end of the year, users × genres. */
  readonly tasteStart: Float64Array;
  readonly tasteEnd: Float64Array;
  /** Rate (interactions per year) at the start and at the end of the year. */
  readonly rateStart: Float64Array;
  readonly rateEnd: Float64Array;
  /** The cutoff as a fraction of the year. */
  readonly cutoff: number;
  /** Every interaction, in time order per user. */
  readonly user: Int32Array;
  readonly item: Int32Array;
  /** Fraction of the year. */
  readonly time: Float64Array;
  readonly count: number;
  /** P(item | genre) per genre, as CSR over items (for sampling and for the oracle). */
  readonly genreItems: readonly Int32Array[];
  readonly genreItemWeights: readonly Float64Array[];
}

const G = GENRES.length;

function dirichletLike(random: Random, size: number, concentration: number): Float64Array {
  // Gamma(concentration) draws by Marsaglia–Tsang (boosted below 1), normalised.
  const draw = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    draw[i] = gamma(random, concentration);
    sum += draw[i]!;
  }
  for (let i = 0; i < size; i++) draw[i]! /= sum;
  return draw;
}

function gamma(random: Random, shape: number): number {
  if (shape < 1) return gamma(random, shape + 1) * Math.pow(random.next() || 1e-12, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = random.normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = random.next();
    if (Math.log(u || 1e-12) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function generateWorld(options: WorldOptions): World {
  const random = createRandom(options.seed);
  const { users, items } = options;

  // Genres differ in size: a few big ones, a long tail.
  const genreIndices = GENRES.map((_, g) => g);
  const genreWeight = GENRES.map((_, g) => 1 / (g + 1) ** 0.8);
  const itemGenres = new Uint32Array(items);
  const itemCategory = new Uint8Array(items);
  const itemPopularity = new Float64Array(items);
  const order = Array.from({ length: items }, (_, i) => i);
  for (let i = items - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let i = 0; i < items; i++) {
    const primary = random.weighted(genreIndices, genreWeight);
    let genres = 1 << primary;
    // Multi-genre items: one or two more genres, often a neighbour of the primary.
    const extra = random.chance(0.15) ? 2 : random.chance(0.45) ? 1 : 0;
    for (let e = 0; e < extra; e++)
      genres |= 1 << (random.chance(0.6) ? (primary + random.int(1, 2)) % G : random.int(0, G - 1));
    itemGenres[i] = genres;
    itemCategory[i] = random.weighted([0, 1, 2, 3], [0.4, 0.3, 0.2, 0.1]);
    itemPopularity[order[i]!] = 1 / (i + 1) ** 0.9;
  }
  const genreItems: Int32Array[] = [];
  const genreItemWeights: Float64Array[] = [];
  for (let g = 0; g < G; g++) {
    const members: number[] = [];
    for (let i = 0; i < items; i++) if (itemGenres[i]! & (1 << g)) members.push(i);
    const weights = new Float64Array(members.length);
    let total = 0;
    members.forEach((i, k) => (total += weights[k] = itemPopularity[i]!));
    for (let k = 0; k < weights.length; k++) weights[k]! /= total;
    genreItems.push(Int32Array.from(members));
    genreItemWeights.push(weights);
  }

  // Personas: tastes concentrated on a few genres; users mix their persona with their own taste.
  const personas = Array.from({ length: 12 }, () => dirichletLike(random, G, 0.25));
  const tasteStart = new Float64Array(users * G);
  const tasteEnd = new Float64Array(users * G);
  const rateStart = new Float64Array(users);
  const rateEnd = new Float64Array(users);
  let expected = 0;
  for (let u = 0; u < users; u++) {
    const persona = personas[random.int(0, personas.length - 1)]!;
    const own = dirichletLike(random, G, 0.3);
    const mix = 0.5 + 0.4 * random.next();
    // Taste drift: by the end of the year, part of the taste has moved to another persona.
    const next = personas[random.int(0, personas.length - 1)]!;
    const drift = 0.6 * random.next();
    for (let g = 0; g < G; g++) {
      const start = mix * persona[g]! + (1 - mix) * own[g]!;
      tasteStart[u * G + g] = start;
      tasteEnd[u * G + g] = (1 - drift) * start + drift * next[g]!;
    }
    // Activity: log-normal, rising or fading over the year.
    rateStart[u] = Math.exp(1.1 * random.normal());
    rateEnd[u] = rateStart[u]! * Math.exp(0.6 * random.normal());
    expected += (rateStart[u]! + rateEnd[u]!) / 2;
  }
  const scale = options.interactions / expected;
  for (let u = 0; u < users; u++) {
    rateStart[u]! *= scale;
    rateEnd[u]! *= scale;
  }

  let capacity = Math.ceil(options.interactions * 1.05) + 1024;
  let user = new Int32Array(capacity);
  let item = new Int32Array(capacity);
  let time = new Float64Array(capacity);
  let count = 0;
  const taste = new Float64Array(G);
  for (let u = 0; u < users; u++) {
    const a = rateStart[u]!;
    const b = rateEnd[u]!;
    const n = random.poisson((a + b) / 2);
    const times = new Float64Array(n);
    for (let e = 0; e < n; e++) times[e] = linearDensityDraw(random.next(), a, b);
    times.sort();
    for (let e = 0; e < n; e++) {
      const x = times[e]!;
      for (let g = 0; g < G; g++) taste[g] = (1 - x) * tasteStart[u * G + g]! + x * tasteEnd[u * G + g]!;
      const g = pick(taste, random.next());
      const members = genreItems[g]!;
      const i = members[pick(genreItemWeights[g]!, random.next())]!;
      if (count === capacity) {
        capacity *= 2;
        user = grow(user, new Int32Array(capacity));
        item = grow(item, new Int32Array(capacity));
        time = grow(time, new Float64Array(capacity));
      }
      user[count] = u;
      item[count] = i;
      time[count++] = x;
    }
  }
  return {
    options,
    itemGenres,
    itemCategory,
    itemPopularity,
    tasteStart,
    tasteEnd,
    rateStart,
    rateEnd,
    cutoff: 1 - options.holdoutShare,
    user: user.subarray(0, count),
    item: item.subarray(0, count),
    time: time.subarray(0, count),
    count,
    genreItems,
    genreItemWeights,
  };
}

function grow<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Inverse CDF of the density ∝ a + (b − a)·x on [0, 1]. */
function linearDensityDraw(u: number, a: number, b: number): number {
  if (Math.abs(b - a) < 1e-9 * a) return u;
  // Solve a·x + (b − a)·x²/2 = u·(a + b)/2 for x in [0, 1].
  const k = (b - a) / 2;
  const target = (u * (a + b)) / 2;
  return (-a + Math.sqrt(a * a + 4 * k * target)) / (2 * k);
}

/** The index whose cumulative weight first passes u (weights sum to 1). */
function pick(weights: Float64Array, u: number): number {
  let remaining = u;
  for (let i = 0; i < weights.length; i++) {
    remaining -= weights[i]!;
    if (remaining < 0) return i;
  }
  return weights.length - 1;
}

export const userIdOf = (u: number): string => `U${String(u).padStart(6, '0')}`;
export const itemIdOf = (i: number): string => `I${String(i).padStart(6, '0')}`;

/** Writes the training interactions (before the cutoff) and the catalogue as Personalize CSVs. */
export async function writeTrainingCsv(world: World, folder: string): Promise<number> {
  let rows = 0;
  const interactions = createWriteStream(path.join(folder, 'interactions.csv'));
  let chunk = 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n';
  for (let e = 0; e < world.count; e++) {
    if (world.time[e]! >= world.cutoff) continue;
    const timestamp = YEAR_START + Math.floor(world.time[e]! * YEAR_SECONDS);
    chunk += `${userIdOf(world.user[e]!)},${itemIdOf(world.item[e]!)},${timestamp},watch\n`;
    rows++;
    if (chunk.length > 1 << 20) {
      if (!interactions.write(chunk)) await once(interactions, 'drain');
      chunk = '';
    }
  }
  interactions.end(chunk);
  await once(interactions, 'finish');
  const catalog = createWriteStream(path.join(folder, 'items.csv'));
  chunk = 'ITEM_ID,GENRES,CATEGORY\n';
  for (let i = 0; i < world.itemGenres.length; i++) {
    const genres = GENRES.filter((_, g) => world.itemGenres[i]! & (1 << g)).join('|');
    chunk += `${itemIdOf(i)},${genres},${CATEGORIES[world.itemCategory[i]!]}\n`;
  }
  catalog.end(chunk);
  await once(catalog, 'finish');
  return rows;
}
