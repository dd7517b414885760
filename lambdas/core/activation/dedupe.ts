import { IdHashSet } from './id-hash-set';

/**
 * Exact de-duplication of the users of one audience by 64-bit ID hash, built for lists of millions.
 *
 * Measured on the 5M-user benchmark line (bench/activation.bench.ts; Node 24, a shared 2-core box):
 *  - a Set of the ID strings: ~310 MB of heap on its own, over the whole job's 300 MB goal;
 *  - a hash set of 64-bit hashes (64 MB table): +550–1,000 ms, every insert a cache miss;
 *  - a Bloom filter in front of it (8 MB): still +800 ms inside the pipeline, because the input and
 *    output streaming through the caches keep evicting the filter.
 * The whole job without de-duplication takes ~0.45 s and a plain copy of the file 0.13–0.31 s, so
 * checking each user of a large list as it arrives cannot meet the goal (≥ 0.5× the copy).
 *
 * So `RepeatFilter` checks at once only while the list is small (≤ 1,024 users, a 16 KB table in
 * cache; a 1 MB table already cost ~250 ms over 50 lists of 100K users), then defers the check:
 * each hash is appended to one of 256 partitions (by its top byte), sequential writes, nearly
 * free. When the line ends, each partition (~20K hashes for 5M users) is checked with a small
 * table that stays in cache: ~60 ms for 5M. Personalize returns distinct users, so this almost
 * always finds nothing and the files stand as written. When it finds repeats, the writer rewrites
 * the affected file once, keeping first occurrences (audience-writer.ts).
 *
 * Memory: 8 bytes per user (+ ≤ 16 MB of partially filled blocks), released with the audience.
 *
 * The trade-off of hashing: two different IDs with the same 64-bit hash would count as one, and the
 * second would be dropped as a duplicate. For n users the chance of any such pair is about n² / 2^65:
 * 7 × 10⁻⁷ for a full 5M-user audience (Personalize's `numResults` cap for one query).
 */

/** Users checked at once before the check is deferred (the set's table never grows past 16 KB). */
const CHECK_AT_ONCE = 1024;

const PARTITIONS = 256;
/** Blocks of a partition start small (1 KB) and double up to 64 KB, so small lists stay small. */
const FIRST_BLOCK_INTS = 256;
const MAX_BLOCK_INTS = 16384;

/** The hashes that occur more than once, and how many occurrences are repeats. */
export interface Repeats {
  readonly hashes: IdHashSet;
  readonly extra: number;
}

const NO_BLOCK = new Int32Array(0);

export class HashLog {
  private readonly blocks: Int32Array[][] = Array.from({ length: PARTITIONS }, () => []);
  /** The block being filled, per partition; packed with an empty block so the hot path never sees a hole. */
  private readonly current: Int32Array[] = Array.from({ length: PARTITIONS }, () => NO_BLOCK);
  private readonly fill = new Int32Array(PARTITIONS);

  /** Hashes recorded in partition `p`. */
  private countOf(p: number): number {
    const blocks = this.blocks[p]!;
    let ints = this.fill[p]!;
    for (let b = 0; b < blocks.length - 1; b++) ints += blocks[b]!.length;
    return ints / 2;
  }

  get size(): number {
    let total = 0;
    for (let p = 0; p < PARTITIONS; p++) total += this.countOf(p);
    return total;
  }

  /** Records one occurrence of the hash `(h1, h2)`. */
  append(h1: number, h2: number): void {
    const p = h2 >>> 24;
    let at = this.fill[p]!;
    let block = this.current[p]!;
    if (at === block.length) {
      block = new Int32Array(
        block === NO_BLOCK ? FIRST_BLOCK_INTS : Math.min(block.length * 2, MAX_BLOCK_INTS),
      );
      this.blocks[p]!.push(block);
      this.current[p] = block;
      at = 0;
    }
    block[at] = h1;
    block[at + 1] = h2;
    this.fill[p] = at + 2;
  }

  /** Finds the repeated hashes, one partition at a time. */
  findRepeats(): Repeats {
    const hashes = new IdHashSet(16);
    let extra = 0;
    const counts = Array.from({ length: PARTITIONS }, (_, p) => this.countOf(p));
    const largest = counts.reduce((max, n) => Math.max(max, n), 0);
    let capacity = 16;
    while (capacity < largest * 2) capacity <<= 1;
    const table = new Int32Array(capacity * 2);
    for (let p = 0; p < PARTITIONS; p++) {
      const count = counts[p]!;
      if (count < 2) continue;
      let size = 16;
      while (size < count * 2) size <<= 1;
      const mask = size - 1;
      table.fill(0, 0, size * 2);
      let remaining = count * 2;
      for (const block of this.blocks[p]!) {
        const end = Math.min(remaining, block.length);
        for (let i = 0; i < end; i += 2) {
          const a = block[i]!;
          const b = block[i + 1]!;
          let slot = b & mask;
          for (;;) {
            const x = table[slot * 2]!;
            const y = table[slot * 2 + 1]!;
            if (x === 0 && y === 0) {
              table[slot * 2] = a;
              table[slot * 2 + 1] = b;
              break;
            }
            if (x === a && y === b) {
              extra++;
              hashes.add(a, b);
              break;
            }
            slot = (slot + 1) & mask;
          }
        }
        remaining -= end;
      }
    }
    return { hashes, extra };
  }
}

/** Checks users at once while the list is small, then logs them for `findRepeats` (see above). */
export class RepeatFilter {
  private set: IdHashSet | undefined = new IdHashSet(2048);
  private log: HashLog | undefined;

  /** True when repeats can only be found by `findRepeats` (the list outgrew the at-once check). */
  get deferred(): boolean {
    return this.log !== undefined;
  }

  /** Offers a user's hash: false when it is known at once to be a repeat. */
  offer(h1: number, h2: number): boolean {
    const set = this.set;
    if (set === undefined) {
      this.log!.append(h1, h2);
      return true;
    }
    if (!set.add(h1, h2)) return false;
    if (set.size >= CHECK_AT_ONCE) {
      const log = new HashLog();
      set.forEach((a, b) => log.append(a, b));
      this.log = log;
      this.set = undefined;
    }
    return true;
  }

  /** The repeats among the users logged since the check was deferred (none while it was not). */
  findRepeats(): Repeats {
    return this.log ? this.log.findRepeats() : { hashes: new IdHashSet(16), extra: 0 };
  }
}
