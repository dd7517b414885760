/** The item catalogue: titles to watch, read or play, each with genres, a category and a price. */
import { randomFor, type Random } from './random';
import { WINDOW_END, SIGNUPS_START, itemIdOf } from './world';

export const GENRES = [
  'Action',
  'Adventure',
  'Animation',
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Horror',
  'Romance',
  'Sci-Fi',
  'Thriller',
] as const;
export type Genre = (typeof GENRES)[number];

/** How common each genre is, as a catalogue genre and as a favourite (same order as GENRES). */
export const GENRE_WEIGHTS: readonly number[] = [16, 7, 6, 14, 8, 4, 15, 7, 8, 8, 7];

export const CATEGORIES = ['Movies', 'Series', 'Books', 'Games'] as const;
export type Category = (typeof CATEGORIES)[number];
export const CATEGORY_WEIGHTS: readonly number[] = [45, 30, 15, 10];

/** Price range per category, in dollars. */
const PRICE_RANGE: Record<Category, readonly [number, number]> = {
  Movies: [3.99, 19.99],
  Series: [9.99, 39.99],
  Books: [4.99, 24.99],
  Games: [9.99, 69.99],
};

export interface Item {
  readonly id: string;
  /** One to three genres, the primary one first. */
  readonly genres: readonly Genre[];
  readonly category: Category;
  /** Dollars, two decimals. */
  readonly price: string;
  /** Epoch seconds. */
  readonly createdAt: number;
  /** Relative popularity: a few hits, a long tail. */
  readonly popularity: number;
}

/** Item `index` of the catalogue: a pure function of the seed, so items can be made on demand. */
export function itemAt(seed: number, index: number): Item {
  const random = randomFor(seed, 'item', index);
  // The first items cover every genre once, so even a tiny catalogue has each genre.
  const primary = index < GENRES.length ? GENRES[index]! : random.weighted(GENRES, GENRE_WEIGHTS);
  const genres: Genre[] = [primary];
  const extra = random.weighted([0, 1, 2], [50, 35, 15]);
  while (genres.length < 1 + extra) {
    const genre = random.pick(GENRES);
    if (!genres.includes(genre)) genres.push(genre);
  }
  const category = random.weighted(CATEGORIES, CATEGORY_WEIGHTS);
  const [low, high] = PRICE_RANGE[category];
  // Prices end in .99, like a real store.
  const price = (Math.floor(low + random.next() * (high - low)) + 0.99).toFixed(2);
  return {
    id: itemIdOf(index),
    genres,
    category,
    price,
    createdAt: random.int(SIGNUPS_START, WINDOW_END - 1),
    popularity: 1 / (1 + random.next() * 30) ** 1.5,
  };
}

export function generateCatalogue(seed: number, count: number): Item[] {
  return Array.from({ length: count }, (_, index) => itemAt(seed, index));
}

/** Items to draw from, weighted by popularity. */
interface Pool {
  readonly items: readonly Item[];
  /** Running totals of popularity, for a binary search. */
  readonly cumulative: readonly number[];
}

function poolOf(items: readonly Item[]): Pool {
  let total = 0;
  return { items, cumulative: items.map((item) => (total += item.popularity)) };
}

function drawFrom(random: Random, pool: Pool): Item {
  const target = random.next() * pool.cumulative[pool.cumulative.length - 1]!;
  let low = 0;
  let high = pool.cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (pool.cumulative[middle]! > target) high = middle;
    else low = middle + 1;
  }
  return pool.items[low]!;
}

/** Draws items the way a customer with a taste would: mostly their genre, sometimes anything. */
export interface ItemPicker {
  /** An item of the given taste with probability `loyalty`, otherwise any popular item. */
  pick(random: Random, taste: { genre: Genre; category: Category; loyalty: number }): Item;
}

export function createItemPicker(items: readonly Item[]): ItemPicker {
  const everything = poolOf(items);
  const byGenre = new Map<Genre, Pool>();
  const byGenreAndCategory = new Map<string, Pool>();
  for (const genre of GENRES) {
    const ofGenre = items.filter((item) => item.genres[0] === genre);
    byGenre.set(genre, poolOf(ofGenre));
    for (const category of CATEGORIES) {
      const ofBoth = ofGenre.filter((item) => item.category === category);
      if (ofBoth.length > 0) byGenreAndCategory.set(`${genre}/${category}`, poolOf(ofBoth));
    }
  }
  return {
    pick(random, taste) {
      if (!random.chance(taste.loyalty)) return drawFrom(random, everything);
      const ofBoth = byGenreAndCategory.get(`${taste.genre}/${taste.category}`);
      // Within their genre, customers lean to their favourite category too.
      if (ofBoth && random.chance(0.6)) return drawFrom(random, ofBoth);
      return drawFrom(random, byGenre.get(taste.genre)!);
    },
  };
}
