import type { ObjectInfo, ObjectStore } from '../ports/object-store';
import { readObject } from '../ports/object-store';
import { matchKeysOf } from './matcher';

/**
 * The key index of one object: a Bloom filter over every value in it that the subject matcher
 * could match (`matchKeysOf`: the string as is, the ID of a `source:id`, a lower-cased email, the
 * last seven digits of a phone). A filter that has none of a request's keys proves that the object
 * holds none of its subjects, so erasure and access skip it unread; a hit (by chance for about 1
 * absent key in 90,000) only means "read it".
 *
 * Indexes live apart from the data, under `privacy/index/<key>.bloom` in the object's own store,
 * so no table, crawler or import that reads a data prefix meets them. Each names the object's
 * size, time and ETag as it was indexed; an index that does not fit the object as listed now (it was
 * rewritten since, by ingestion or anyone) is ignored and the object is read. A filter holds no
 * value in the clear, only bits; the erasure that rewrites an object rewrites its index from the
 * rows it kept, so the erased subject leaves no entry behind.
 *
 * Written by every erasure or access pass for each object it reads (so a second request touches only
 * what holds its subjects), and by `indexZone` for a whole zone at once.
 */
export const INDEX_PREFIX = 'privacy/index/';
/**
 * 24 bits and 16 probes a distinct value: a chance of about 1 in 90,000 that one absent key looks
 * present. A request asks for every ID of every subject at once (100 subjects: some 1,000 to 3,000
 * keys), so this keeps an object without any of them unread in about 97 to 99 cases of 100; at 10
 * bits a value (1 in 100 a key) almost every object would look like a hit.
 */
const BITS_PER_VALUE = 24;
const HASHES = 16;

export const indexKeyOf = (key: string): string => `${INDEX_PREFIX}${key}.bloom`;

/** The object an index key describes, or undefined when the key is no index. */
export const indexedKeyOf = (indexKey: string): string | undefined =>
  indexKey.startsWith(INDEX_PREFIX) && indexKey.endsWith('.bloom')
    ? indexKey.slice(INDEX_PREFIX.length, -'.bloom'.length)
    : undefined;

/** Two 32-bit hashes of a string (FNV-1a and a multiply-xorshift), for double hashing. */
function hashes(value: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  return [a >>> 0, ((b ^ (b >>> 16)) >>> 0) | 1];
}

/** Collects an object's values while it is read, then builds its filter. */
export class KeyIndexBuilder {
  private pairs = new Uint32Array(1024);
  private count = 0;

  /** Adds every string among the cells (other values never match a subject). */
  addCells(cells: Iterable<unknown>): void {
    for (const cell of cells)
      if (typeof cell === 'string') for (const key of matchKeysOf(cell)) this.add(key);
  }

  private add(key: string): void {
    if (this.count * 2 === this.pairs.length) {
      const grown = new Uint32Array(this.pairs.length * 2);
      grown.set(this.pairs);
      this.pairs = grown;
    }
    const [a, b] = hashes(key);
    this.pairs[this.count * 2] = a;
    this.pairs[this.count * 2 + 1] = b;
    this.count++;
  }

  /** How many different values were added (by 53 bits of their hashes): what the filter is sized for. */
  private distinct(): number {
    const values = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++)
      values[i] = this.pairs[i * 2]! * 2 ** 21 + (this.pairs[i * 2 + 1]! >>> 11);
    values.sort();
    let distinct = this.count > 0 ? 1 : 0;
    for (let i = 1; i < values.length; i++) if (values[i] !== values[i - 1]) distinct++;
    return distinct;
  }

  /** The index of the object as `info` describes it. */
  build(info: ObjectInfo): Uint8Array {
    const bits = Math.max(64, Math.ceil((this.distinct() * BITS_PER_VALUE) / 8) * 8);
    const filter = new Uint8Array(bits / 8);
    for (let i = 0; i < this.count; i++) {
      const a = this.pairs[i * 2]!;
      const b = this.pairs[i * 2 + 1]!;
      for (let j = 0; j < HASHES; j++) {
        const bit = (a + Math.imul(j, b)) >>> 0;
        const at = bit % bits;
        filter[at >>> 3]! |= 1 << (at & 7);
      }
    }
    const header = Buffer.from(
      JSON.stringify({
        v: 1,
        size: info.size,
        lastModified: info.lastModified.getTime(),
        etag: info.etag,
        bits,
        hashes: HASHES,
      }),
    );
    const length = Buffer.alloc(4);
    length.writeUInt32BE(header.length);
    return Buffer.concat([length, header, filter]);
  }
}

interface Header {
  readonly size: number;
  readonly lastModified: number;
  readonly etag?: string;
  readonly bits: number;
  readonly hashes: number;
}

/** A read index: whether it still describes the object, and whether any of the keys may be in it. */
export class KeyIndex {
  private constructor(
    private readonly header: Header,
    private readonly filter: Uint8Array,
  ) {}

  static parse(bytes: Uint8Array): KeyIndex | undefined {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buffer.length < 4) return undefined;
    const length = buffer.readUInt32BE(0);
    try {
      const header = JSON.parse(buffer.subarray(4, 4 + length).toString('utf8')) as Header & { v: number };
      const filter = buffer.subarray(4 + length);
      if (header.v !== 1 || filter.length * 8 !== header.bits) return undefined;
      return new KeyIndex(header, filter);
    } catch {
      return undefined;
    }
  }

  /** True when the index was built from the object as listed now (ETag where both have one). */
  describes(info: ObjectInfo): boolean {
    if (this.header.etag !== undefined && info.etag !== undefined) return this.header.etag === info.etag;
    return this.header.size === info.size && this.header.lastModified === info.lastModified.getTime();
  }

  /** False only when none of the keys is in the object. */
  mayHoldAny(keys: Iterable<string>): boolean {
    for (const key of keys) {
      const [a, b] = hashes(key);
      let all = true;
      for (let j = 0; j < this.header.hashes && all; j++) {
        const at = ((a + Math.imul(j, b)) >>> 0) % this.header.bits;
        all = (this.filter[at >>> 3]! & (1 << (at & 7))) !== 0;
      }
      if (all) return true;
    }
    return false;
  }
}

/** The index of an object, or undefined when it has none or it is unreadable. */
export async function readKeyIndex(store: ObjectStore, key: string): Promise<KeyIndex | undefined> {
  return KeyIndex.parse(await readObject(store, indexKeyOf(key)));
}

/** Writes the index of the object `info` describes (after its final write). */
export async function writeKeyIndex(
  store: ObjectStore,
  info: ObjectInfo,
  builder: KeyIndexBuilder,
): Promise<void> {
  await store.put(indexKeyOf(info.key), builder.build(info), { contentType: 'application/octet-stream' });
}
