import { randomUUID } from 'node:crypto';
import { createWriteStream, type Dirent, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserFacingError } from '../core/errors';
import type { DeletableObjectStore, ObjectInfo } from '../core/ports/object-store';

/** Files being written carry this name until they are complete; list() never shows them. */
const PARTIAL_PREFIX = '.cdp-partial-';

/** Options of a LocalObjectStore. */
export interface LocalObjectStoreOptions {
  /** The folder that holds the objects; key `a/b.csv` is the file `<root>/a/b.csv`. */
  readonly root: string;
}

/**
 * The ObjectStore over a local folder, for offline runs. It behaves like S3 where the pipeline
 * can tell: keys use `/`, list() is in S3's key order (UTF-8 bytes), a put is seen whole or not at all.
 */
export class LocalObjectStore implements DeletableObjectStore {
  readonly #root: string;

  constructor({ root }: LocalObjectStoreOptions) {
    this.#root = path.resolve(root);
  }

  async get(key: string): Promise<Readable> {
    const file = this.#fileOf(key);
    const handle = await open(file, 'r').catch((error: unknown) => {
      throw isMissing(error) ? this.#missing(file, error) : error;
    });
    // A folder opens fine on Linux, but it is not an object.
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw this.#missing(file);
    }
    return handle.createReadStream();
  }

  async getRange(key: string, start: number, end: number): Promise<Readable> {
    const file = this.#fileOf(key);
    const handle = await open(file, 'r').catch((error: unknown) => {
      throw isMissing(error) ? this.#missing(file, error) : error;
    });
    // createReadStream's end is inclusive.
    return handle.createReadStream({ start, end: end - 1 });
  }

  async put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array | string> | string | Uint8Array,
  ): Promise<void> {
    const file = this.#fileOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Write aside, then rename: a reader sees the old file or the new one, never half of one.
    const partial = path.join(path.dirname(file), `${PARTIAL_PREFIX}${randomUUID()}`);
    try {
      await pipeline(toReadable(body), createWriteStream(partial));
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // S3 prefixes are the start of a key, not only a folder: "audiences/a" matches "audiences/a.csv".
    const folderKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const folder = folderKey === '' ? this.#root : this.#fileOf(folderKey.slice(0, -1));
    yield* this.#walk(folder, folderKey, prefix.slice(folderKey.length));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const stats = await statIfExists(this.#fileOf(key));
    return stats?.isFile() ? { key, size: stats.size, lastModified: stats.mtime } : undefined;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#fileOf(key), { force: true });
  }

  /** Lists the files under `folder` (whose key is `folderKey`) that start with `namePrefix`, in key order. */
  async *#walk(folder: string, folderKey: string, namePrefix: string): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    // Order a folder by its name plus "/", as its keys are: "a-1.csv" < "a.csv" < "a/x.csv" < "b.csv".
    const children = entries
      .filter((entry) => entry.name.startsWith(namePrefix) && !entry.name.startsWith(PARTIAL_PREFIX))
      .filter((entry) => entry.isFile() || entry.isDirectory())
      .map((entry) => ({ entry, order: Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name) }))
      .sort((a, b) => Buffer.compare(a.order, b.order));
    for (const { entry } of children) {
      const file = path.join(folder, entry.name);
      const key = folderKey + entry.name;
      if (entry.isDirectory()) {
        yield* this.#walk(file, `${key}/`, '');
        continue;
      }
      const stats = await statIfExists(file); // it may have been deleted since readdir
      if (stats) yield { key, size: stats.size, lastModified: stats.mtime };
    }
  }

  /** The file of a key, refusing keys that are not plain relative paths inside the root. */
  #fileOf(key: string): string {
    const segments = key.split('/');
    const plain = segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..');
    const file = path.resolve(this.#root, ...segments);
    const relative = path.relative(this.#root, file);
    const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
    if (!plain || relative === '' || outside) {
      throw new UserFacingError(
        `the key "${key}" is not a file name inside the folder ${this.#root} (use "/" between parts, no "." or "..", no leading or trailing "/").`,
      );
    }
    if (segments.some((segment) => segment.startsWith(PARTIAL_PREFIX))) {
      throw new UserFacingError(`the key "${key}" uses the reserved name prefix "${PARTIAL_PREFIX}".`);
    }
    return file;
  }

  #missing(file: string, cause?: unknown): UserFacingError {
    return new UserFacingError('the file does not exist. Check its name and folder.', {
      location: file,
      cause,
    });
  }
}

function toReadable(body: Readable | AsyncIterable<Uint8Array | string> | string | Uint8Array): Readable {
  if (body instanceof Readable) return body;
  return Readable.from(typeof body === 'string' || body instanceof Uint8Array ? [body] : body);
}

async function statIfExists(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** ENOENT, or ENOTDIR when a part of the path is a file ("a.csv/b"). */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
