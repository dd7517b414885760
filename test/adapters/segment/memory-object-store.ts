import { Readable } from 'node:stream';
import { UserFacingError } from '../../../lambdas/core/errors';
import type { ObjectInfo, ObjectStore } from '../../../lambdas/core/ports/object-store';

/** An ObjectStore in a Map, for tests of the code that uses the port (not of the port itself). */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();

  async get(key: string): Promise<Readable> {
    const body = this.objects.get(key);
    if (!body) throw new UserFacingError('no such object', { location: key });
    return Readable.from([body]);
  }

  async put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array | string> | string | Uint8Array,
  ): Promise<void> {
    if (typeof body === 'string' || body instanceof Uint8Array) {
      this.objects.set(key, Buffer.from(body));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
    this.objects.set(key, Buffer.concat(chunks));
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix)) yield this.infoOf(key);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.objects.has(key) ? this.infoOf(key) : undefined;
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  /** The object as text, for assertions. */
  text(key: string): string {
    return this.objects.get(key)?.toString('utf8') ?? '';
  }

  private infoOf(key: string): ObjectInfo {
    return { key, size: this.objects.get(key)!.length, lastModified: new Date(0) };
  }
}

/** Collects an async iterable (Array.fromAsync is not in the ES2023 lib this project targets). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
