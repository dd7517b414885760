import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store';
import { UserFacingError } from '../../lambdas/core/errors';
import { listOf, objectStoreContract, rejectionOf } from './object-store.contract';

let suiteFolder: string;

beforeAll(async () => {
  suiteFolder = await mkdtemp(path.join(tmpdir(), 'cdp-local-object-store-'));
});

afterAll(async () => {
  await rm(suiteFolder, { recursive: true, force: true });
});

/** A store over a new, empty folder of the suite's temporary folder. */
async function emptyStore(): Promise<{ store: LocalObjectStore; root: string }> {
  const root = await mkdtemp(path.join(suiteFolder, 'store-'));
  return { store: new LocalObjectStore({ root }), root };
}

objectStoreContract('LocalObjectStore', async () => (await emptyStore()).store);

describe('LocalObjectStore', () => {
  let store: LocalObjectStore;
  let root: string;

  beforeEach(async () => {
    ({ store, root } = await emptyStore());
  });

  it.each([
    '../outside.csv',
    'audiences/../../outside.csv',
    '/etc/passwd',
    'audiences//a.csv',
    './a.csv',
    'a/',
  ])('rejects the key %j, which is not a plain path inside its folder', async (key) => {
    // Act
    const errors = await Promise.all([
      rejectionOf(store.put(key, 'x')),
      rejectionOf(store.get(key)),
      rejectionOf(store.head(key)),
    ]);

    // Assess
    for (const error of errors) expect(error).toBeInstanceOf(UserFacingError);
    await expect(access(path.join(root, '..', 'outside.csv'))).rejects.toThrow();
  });

  it('accepts a file name that only starts with two dots', async () => {
    // Act
    await store.put('..notes.csv', 'kept inside');

    // Assess
    expect(await text(await store.get('..notes.csv'))).toBe('kept inside');
    expect(await readdir(root)).toEqual(['..notes.csv']);
  });

  it('rejects a list prefix that climbs out of its folder', async () => {
    // Act
    const error = await rejectionOf(listOf(store, '../'));

    // Assess
    expect(error).toBeInstanceOf(UserFacingError);
  });

  it('lists in S3 key order where a folder and files share the start of a name', async () => {
    // Prepare: "-" < "." < "/" in UTF-8, so the folder "a" sorts after "a.csv" (s3rver gets this wrong,
    // which is why it is not part of the shared contract).
    for (const key of ['b.csv', 'a/x.csv', 'a.csv', 'a-1.csv']) await store.put(key, key);

    // Act
    const keys = (await listOf(store, '')).map((info) => info.key);

    // Assess
    expect(keys).toEqual(['a-1.csv', 'a.csv', 'a/x.csv', 'b.csv']);
  });

  it('keeps the previous object and leaves no partial file when a put fails midway', async () => {
    // Prepare
    await store.put('audiences/action.csv', 'User.UserId\nu-1\n');
    async function* brokenRows(): AsyncGenerator<string> {
      yield 'User.UserId\n';
      throw new Error('the source broke');
    }

    // Act
    const error = await rejectionOf(store.put('audiences/action.csv', brokenRows()));

    // Assess
    expect((error as Error).message).toBe('the source broke');
    expect(await text(await store.get('audiences/action.csv'))).toBe('User.UserId\nu-1\n');
    expect(await readdir(path.join(root, 'audiences'))).toEqual(['action.csv']);
  });

  it('answers undefined to a head of a folder, which is not an object', async () => {
    // Prepare
    await store.put('audiences/action.csv', 'a');

    // Act
    const info = await store.head('audiences');

    // Assess
    expect(info).toBeUndefined();
  });

  it('rejects a get of a folder with a UserFacingError', async () => {
    // Prepare
    await store.put('audiences/action.csv', 'a');

    // Act
    const error = await rejectionOf(store.get('audiences'));

    // Assess
    expect(error).toBeInstanceOf(UserFacingError);
  });
});
