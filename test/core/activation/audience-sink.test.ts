import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../../lambdas/core/ports/object-store';
import { objectStoreSink } from '../../../lambdas/core/activation/audience-sink';

/** An ObjectStore in memory whose put reads the whole body first, as an upload does. */
function memoryStore(
  failPut?: Error,
): ObjectStore & { objects: Map<string, { body: string; contentType?: string }> } {
  const objects = new Map<string, { body: string; contentType?: string }>();
  return {
    objects,
    async get(key) {
      return Readable.from([objects.get(key)!.body]);
    },
    async put(key, body, options) {
      if (failPut) throw failPut;
      const chunks: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
      objects.set(key, { body: Buffer.concat(chunks).toString('utf8'), contentType: options?.contentType });
    },
    async *list() {},
    async head() {
      return undefined;
    },
  };
}

describe('objectStoreSink', () => {
  it('stores the object under the prefix by the time the stream has finished', async () => {
    // Prepare
    const store = memoryStore();
    const file = objectStoreSink(store, 'audiences/weekly/').openWrite('a.csv', 'text/csv; charset=utf-8');

    // Act
    file.write('User.UserId\n');
    file.end('u1\n');
    await finished(file);

    // Assess
    expect(store.objects.get('audiences/weekly/a.csv')).toEqual({
      body: 'User.UserId\nu1\n',
      contentType: 'text/csv; charset=utf-8',
    });
  });

  it('stores nothing for a stream destroyed with an error', async () => {
    // Prepare
    const store = memoryStore();
    const file = objectStoreSink(store).openWrite('a.csv', 'text/csv');
    file.write('User.UserId\n');

    // Act
    file.destroy(new Error('discarded'));
    await finished(file).catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(store.objects.size).toBe(0);
  });

  it('fails the stream when the store refuses the object', async () => {
    // Prepare
    const file = objectStoreSink(memoryStore(new Error('AccessDenied'))).openWrite('a.csv', 'text/csv');

    // Act
    file.end('User.UserId\n');

    // Assess
    await expect(finished(file)).rejects.toThrow('AccessDenied');
  });

  it('reads back what it stored', async () => {
    // Prepare
    const store = memoryStore();
    store.objects.set('p/a.csv', { body: 'User.UserId\nu1\n' });

    // Act
    const chunks: Buffer[] = [];
    for await (const chunk of await objectStoreSink(store, 'p/').openRead('a.csv'))
      chunks.push(Buffer.from(chunk));

    // Assess
    expect(Buffer.concat(chunks).toString()).toBe('User.UserId\nu1\n');
  });
});
