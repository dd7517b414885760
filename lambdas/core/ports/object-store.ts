import type { Readable } from 'node:stream';

/** What we know of a stored object without reading it. */
export interface ObjectInfo {
  /** The key, relative to the store's root. */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /** When it was last written. */
  readonly lastModified: Date;
  /** S3's entity tag, where the store has one: changes whenever the object is rewritten. */
  readonly etag?: string;
}

/** Options for a put. */
export interface PutOptions {
  /** MIME type stored with the object (S3 only; the folder store ignores it). */
  readonly contentType?: string;
}

/**
 * The port every storage-touching part uses: S3 in the cloud, a local folder offline.
 * Keys use `/` separators in both implementations.
 */
export interface ObjectStore {
  /** Streams the object's bytes. Throws a UserFacingError naming the key if it does not exist. */
  get(key: string): Promise<Readable>;
  /** Writes the stream to the key, replacing what is there. Large bodies are streamed (multipart on S3). */
  put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array | string> | string | Uint8Array,
    options?: PutOptions,
  ): Promise<void>;
  /**
   * Lists every object whose key starts with `prefix`, following pagination. As in S3 the prefix is the
   * start of a key, not only a folder (`audiences/a` matches `audiences/a.csv`), and the order is S3's:
   * by the keys' UTF-8 bytes. Empty S3 "folder" markers (keys ending in `/`) are not objects.
   */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Metadata of one object, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Streams bytes `[start, end)` of the object (an S3 ranged GET). Optional: `readRange` falls back
   * to reading the object from its start and dropping what is outside the range.
   */
  getRange?(key: string, start: number, end: number): Promise<Readable>;
}

/** Bytes `[start, end)` of an object, with a ranged read where the store has one. */
export async function readRange(
  store: ObjectStore,
  key: string,
  start: number,
  end: number,
): Promise<AsyncIterable<Uint8Array>> {
  if (end <= start) return (async function* () {})();
  if (store.getRange) return store.getRange(key, start, end);
  const whole = await store.get(key);
  return (async function* () {
    let at = 0;
    for await (const raw of whole) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : (raw as Uint8Array);
      const from = Math.max(start - at, 0);
      const to = Math.min(end - at, chunk.length);
      if (to > from) yield chunk.subarray(from, to);
      at += chunk.length;
      if (at >= end) break;
    }
  })();
}

/**
 * An ObjectStore that can also remove objects: what privacy erasure needs (both adapters are one).
 * Kept apart so that every other user of the port, and its test fakes, need no delete.
 */
export interface DeletableObjectStore extends ObjectStore {
  /** Removes the object; removing one that does not exist is not an error (as in S3). */
  delete(key: string): Promise<void>;
  /**
   * The old versions the store keeps of its objects (a versioned S3 bucket), which erasure must
   * clear too; absent where the store keeps none (a local folder).
   */
  readonly versions?: ObjectVersions;
}

/** The non-current versions of objects in a versioned store: listed, read and deleted by version ID. */
export interface ObjectVersions {
  /** IDs of the non-current versions of exactly this key (delete markers left out). */
  noncurrent(key: string): AsyncIterable<string>;
  /** Streams one version of the object. */
  get(key: string, versionId: string): Promise<Readable>;
  /** Deletes one version for good (no delete marker). */
  delete(key: string, versionId: string): Promise<void>;
}

/**
 * A whole object in memory, for the small ones read at once (a ledger entry, a config file, a
 * Parquet table read whole, a report sample). Large objects are streamed with `get` instead.
 */
export async function readObject(store: ObjectStore, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of await store.get(key)) parts.push(Buffer.from(chunk as Uint8Array | string));
  return Buffer.concat(parts);
}

/** A whole object as UTF-8 text (see `readObject`). */
export async function readObjectText(store: ObjectStore, key: string): Promise<string> {
  return (await readObject(store, key)).toString('utf8');
}
