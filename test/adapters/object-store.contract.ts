import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type DeletableObjectStore,
  type ObjectInfo,
  type ObjectStore,
  readRange,
} from '../../lambdas/core/ports/object-store';
import { UserFacingError } from '../../lambdas/core/errors';

/**
 * The behaviour every ObjectStore must share, so the offline run and the cloud run agree.
 * `makeStore` returns an empty store for each test.
 */
export function objectStoreContract(name: string, makeStore: () => Promise<DeletableObjectStore>): void {
  describe(`${name} honours the ObjectStore contract`, () => {
    let store: DeletableObjectStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    it('returns the text it stored under a key', async () => {
      // Prepare
      await store.put('audiences/action.csv', 'User.UserId\nu-1\nu-2\n', { contentType: 'text/csv' });

      // Act
      const body = await text(await store.get('audiences/action.csv'));

      // Assess
      expect(body).toBe('User.UserId\nu-1\nu-2\n');
    });

    it('reads bytes [start, end) of an object, with its own ranged read and with the fallback', async () => {
      // Prepare
      await store.put('landing/big.csv', 'abcdefghij');

      // Act
      const ranged = await buffer(Readable.from(await readRange(store, 'landing/big.csv', 2, 7)));
      const sliced = await buffer(
        Readable.from(
          await readRange(
            { ...store, get: store.get.bind(store), getRange: undefined } as ObjectStore,
            'landing/big.csv',
            2,
            7,
          ),
        ),
      );

      // Assess
      expect(store.getRange).toBeTypeOf('function');
      expect(ranged.toString()).toBe('cdefg');
      expect(sliced.toString()).toBe('cdefg');
    });

    it('returns every byte of a binary body unchanged', async () => {
      // Prepare
      const bytes = Uint8Array.from({ length: 512 }, (_, index) => (index * 7) % 256);
      await store.put('models/weights.bin', bytes);

      // Act
      const body = await buffer(await store.get('models/weights.bin'));

      // Assess
      expect(body.equals(bytes)).toBe(true);
    });

    it('stores an empty body as an empty object', async () => {
      // Prepare
      await store.put('audiences/empty.csv', '');

      // Act
      const body = await text(await store.get('audiences/empty.csv'));
      const info = await store.head('audiences/empty.csv');

      // Assess
      expect(body).toBe('');
      expect(info?.size).toBe(0);
    });

    it('replaces the object when a key is written twice', async () => {
      // Prepare
      await store.put('audiences/action.csv', 'User.UserId\nu-1\nu-2\nu-3\n');

      // Act
      await store.put('audiences/action.csv', 'User.UserId\nu-9\n');

      // Assess
      expect(await text(await store.get('audiences/action.csv'))).toBe('User.UserId\nu-9\n');
      expect((await store.head('audiences/action.csv'))?.size).toBe(16);
    });

    it('rejects a put whose body fails and keeps the object that was there', async () => {
      // Prepare
      await store.put('audiences/action.csv', 'User.UserId\nu-1\n');
      async function* failing() {
        yield Buffer.from('User.UserId\nu-2\n');
        throw new Error('the source stream broke');
      }

      // Act
      const error = await rejectionOf(store.put('audiences/action.csv', failing()));

      // Assess
      expect(error).toBeInstanceOf(Error);
      expect(await text(await store.get('audiences/action.csv'))).toBe('User.UserId\nu-1\n');
    });

    it('rejects a get of a missing key with a UserFacingError naming the key', async () => {
      // Act
      const error = await rejectionOf(store.get('audiences/missing.csv'));

      // Assess
      expect(error).toBeInstanceOf(UserFacingError);
      expect((error as Error).message).toContain('audiences/missing.csv');
    });

    it('answers undefined to a head of a missing key', async () => {
      // Act
      const info = await store.head('audiences/missing.csv');

      // Assess
      expect(info).toBeUndefined();
    });

    it('gives the key, the size in bytes and the write time in a head', async () => {
      // Prepare
      const before = Date.now();
      await store.put('profiles/names.csv', 'José,Zoë\n'); // 11 bytes in UTF-8, 9 characters

      // Act
      const info = await store.head('profiles/names.csv');

      // Assess
      expect(info?.key).toBe('profiles/names.csv');
      expect(info?.size).toBe(11);
      // S3 keeps whole seconds, so the time may read up to a second before the write.
      expect(info?.lastModified.getTime()).toBeGreaterThan(before - 2_000);
      expect(info?.lastModified.getTime()).toBeLessThan(Date.now() + 2_000);
    });

    it('lists the objects under a prefix in key order, with their sizes, and nothing else', async () => {
      // Prepare
      await store.put('audiences/c/d.csv', 'dddd');
      await store.put('scores/churn.csv', 'customer_id,score\n');
      await store.put('audiences/b.csv', 'bb');
      await store.put('audiences-old/a.csv', 'old');
      await store.put('audiences/a.csv', 'a');

      // Act
      const listed = await listOf(store, 'audiences/');

      // Assess
      expect(listed.map(({ key, size }) => ({ key, size }))).toEqual([
        { key: 'audiences/a.csv', size: 1 },
        { key: 'audiences/b.csv', size: 2 },
        { key: 'audiences/c/d.csv', size: 4 },
      ]);
    });

    it('treats the prefix as the start of a key, not only as a folder', async () => {
      // Prepare
      await store.put('audiences/action.csv', 'a');
      await store.put('audiences/adventure/part-1.csv', 'b');
      await store.put('audiences/comedy.csv', 'c');

      // Act
      const keys = (await listOf(store, 'audiences/a')).map((info) => info.key);

      // Assess
      expect(keys).toEqual(['audiences/action.csv', 'audiences/adventure/part-1.csv']);
    });

    it('lists every object, in key order, for an empty prefix', async () => {
      // Prepare
      await store.put('scores/churn.csv', 's');
      await store.put('audiences/action.csv', 'a');

      // Act
      const keys = (await listOf(store, '')).map((info) => info.key);

      // Assess
      expect(keys).toEqual(['audiences/action.csv', 'scores/churn.csv']);
    });

    it('lists nothing for a prefix that matches no object', async () => {
      // Prepare
      await store.put('audiences/action.csv', 'a');

      // Act
      const listed = await listOf(store, 'quarantine/');

      // Assess
      expect(listed).toEqual([]);
    });

    it('deletes an object, and takes the delete of a missing key as done', async () => {
      // Prepare
      await store.put('audiences/action.csv', 'a');
      await store.put('audiences/comedy.csv', 'b');

      // Act
      await store.delete('audiences/action.csv');
      await store.delete('audiences/never-written.csv');

      // Assess
      expect(await store.head('audiences/action.csv')).toBeUndefined();
      expect((await listOf(store, 'audiences/')).map((o) => o.key)).toEqual(['audiences/comedy.csv']);
    });

    it('lists more than 1,000 objects, the size of one S3 page', async () => {
      // Prepare
      const keys = Array.from(
        { length: 1_100 },
        (_, index) => `many/item-${String(index).padStart(4, '0')}.txt`,
      );
      await forEachConcurrently(keys, 16, (key) => store.put(key, key));
      await store.put('other/item.txt', 'not listed');

      // Act
      const listed = await listOf(store, 'many/');

      // Assess
      expect(listed.map((info) => info.key)).toEqual(keys);
    });

    it('streams a put from an async generator of text and bytes', async () => {
      // Prepare
      const lines = Array.from({ length: 2_000 }, (_, index) => `user-${index}\n`);
      async function* rows(): AsyncGenerator<string | Uint8Array> {
        yield 'User.UserId\n';
        for (const [index, line] of lines.entries()) yield index % 2 ? line : new TextEncoder().encode(line);
      }

      // Act
      await store.put('audiences/streamed.csv', rows());

      // Assess
      expect(await text(await store.get('audiences/streamed.csv'))).toBe(`User.UserId\n${lines.join('')}`);
    });

    it('streams a put from a Node.js Readable', async () => {
      // Prepare
      const body = Readable.from([Buffer.from('customer_id,score\n'), Buffer.from('c-1,0.91\n')]);

      // Act
      await store.put('scores/churn.csv', body);

      // Assess
      expect(await text(await store.get('scores/churn.csv'))).toBe('customer_id,score\nc-1,0.91\n');
    });
  });
}

export async function listOf(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const listed: ObjectInfo[] = [];
  for await (const info of store.list(prefix)) listed.push(info);
  return listed;
}

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
