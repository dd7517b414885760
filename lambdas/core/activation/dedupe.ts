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
 * Memory: 8 bytes per user (+ ≤ 512 KB of partially filled blocks), released with the audience; up
 * to three logs of ≤ 4 MB each are kept for the next audiences, so a job of many 100K-user audiences
 * does not allocate (and zero, and collect) a new log for each (measured: append ~11 → ~5 ns a user).
 *
 * The trade-off of hashing: two different IDs with the same 64-bit hash would count as one, and the
 * second would be dropped as a duplicate. For n users the chance of any such pair is about n² / 2^65:
 * 7 × 10⁻⁷ for a full 5M-user audience (Personalize's `numResults` cap for one query).
 */

/** Users checked at once before the check is deferred (the set's table never grows past 16 KB). */
const CHECK_AT_ONCE = 1024;

const PARTITIONS = 256;
/**
 * The log is one Int32Array cut into fixed blocks of 256 hashes (2 KB); each partition fills its own
 * chain of blocks. One array, one cursor per partition: appending touches a cursor and the block being
 * filled, nothing else (no per-block object to load, nothing to allocate but the rare new block).
 */
const BLOCK_INTS = 512;
const FIRST_BLOCKS = PARTITIONS;
/** Arenas up to this size are kept for the next audience, so lists of 100K users allocate nothing. */
const KEEP_ARENA_INTS = (4 << 20) / 4;
const KEEP_ARENAS = 3;
const spareArenas: Int32Array[] = [];

/** The hashes that occur more than once, and how many occurrences are repeats. */
export interface Repeats {
  readonly hashes: IdHashSet;
  readonly extra: number;
}

/** The table findRepeats checks one partition with, kept between audiences (it stays small). */
let spareTable = new Int32Array(2048);

export class HashLog {
  private arena: Int32Array = spareArenas.pop() ?? new Int32Array(FIRST_BLOCKS * BLOCK_INTS);
  /** Blocks handed out so far. */
  private blocks = 0;
  /** Per partition: where its next hash goes in the arena, and its first and last block. */
  private readonly cursor = new Int32Array(PARTITIONS);
  private readonly first = new Int32Array(PARTITIONS).fill(-1);
  private readonly last = new Int32Array(PARTITIONS).fill(-1);
  /** Per block: the next block of the same partition, or -1. */
  private next = new Int32Array(FIRST_BLOCKS);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Records one occurrence of the hash `(h1, h2)`. */
  append(h1: number, h2: number): void {
    const p = h2 >>> 24;
    let at = this.cursor[p]!;
    // A cursor at a block boundary (0 included) has no room: the partition needs a new block.
    if ((at & (BLOCK_INTS - 1)) === 0) at = this.newBlock(p);
    const arena = this.arena;
    arena[at] = h1;
    arena[at + 1] = h2;
    this.cursor[p] = at + 2;
    this.count++;
  }

  /**
   * Finds the repeated hashes, one partition at a time. Call once: the log's memory is released
   * (kept for the next audience) and it must not be used afterwards.
   */
  findRepeats(): Repeats {
    const hashes = new IdHashSet(16);
    let extra = 0;
    const arena = this.arena;
    const next = this.next;
    let table = spareTable;
    for (let p = 0; p < PARTITIONS; p++) {
      const head = this.first[p]!;
      if (head < 0) continue;
      const lastBlock = this.last[p]!;
      const count = (this.cursor[p]! - lastBlock * BLOCK_INTS) / 2 + this.blocksBefore(p) * (BLOCK_INTS / 2);
      if (count < 2) continue;
      let size = 16;
      while (size < count * 2) size <<= 1;
      if (table.length < size * 2) table = spareTable = new Int32Array(size * 2);
      const mask = size - 1;
      table.fill(0, 0, size * 2);
      for (let block = head; block !== -1; block = next[block]!) {
        const from = block * BLOCK_INTS;
        const to = block === lastBlock ? this.cursor[p]! : from + BLOCK_INTS;
        for (let i = from; i < to; i += 2) {
          const a = arena[i]!;
          const b = arena[i + 1]!;
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
      }
    }
    // A table grown for one huge partition is not worth keeping.
    if (spareTable.length > 1 << 16) spareTable = new Int32Array(2048);
    this.release();
    return { hashes, extra };
  }

  /** Full blocks of partition `p` before its last one. */
  private blocksBefore(p: number): number {
    let n = 0;
    for (let block = this.first[p]!; block !== this.last[p]; block = this.next[block]!) n++;
    return n;
  }

  /** Gives partition `p` a new block and returns its start. */
  private newBlock(p: number): number {
    const block = this.blocks++;
    if ((block + 1) * BLOCK_INTS > this.arena.length) {
      const bigger = new Int32Array(Math.max(this.arena.length * 2, FIRST_BLOCKS * BLOCK_INTS));
      bigger.set(this.arena.subarray(0, block * BLOCK_INTS));
      this.arena = bigger;
    }
    if (block === this.next.length) {
      const next = new Int32Array(this.next.length * 2);
      next.set(this.next);
      this.next = next;
    }
    this.next[block] = -1;
    if (this.last[p]! >= 0) this.next[this.last[p]!] = block;
    else this.first[p] = block;
    this.last[p] = block;
    return block * BLOCK_INTS;
  }

  private release(): void {
    if (this.arena.length <= KEEP_ARENA_INTS && spareArenas.length < KEEP_ARENAS)
      spareArenas.push(this.arena);
    this.arena = new Int32Array(0);
    this.blocks = 0;
    this.cursor.fill(0);
    this.first.fill(-1);
    this.last.fill(-1);
    this.count = 0;
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
