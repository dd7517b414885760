import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../lambdas/adapters/local-object-store';
import {
  buildPart,
  mergeParts,
  outputParts,
  type JobTarget,
} from '../../../lambdas/core/destinations/build-job';

const line = (query: string, users: string[]) =>
  JSON.stringify({ input: { itemAttributes: query }, output: { usersList: users }, error: null });

describe('building a job from its output parts', () => {
  let root: string;
  let store: LocalObjectStore;
  let target: JobTarget;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'build-job-'));
    store = new LocalObjectStore({ root });
    target = { store, bucket: 'trusted', prefix: 'audiences/', holdoutPercent: 0 };
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('lists only the .out parts, in key order', async () => {
    await store.put('segments/job/b.json.out', '');
    await store.put('segments/job/a.json.out', '');
    await store.put('segments/job/_SUCCESS', '');

    expect(await outputParts(store, 'trusted', 'segments/job/')).toEqual([
      'segments/job/a.json.out',
      'segments/job/b.json.out',
    ]);
  });

  it('builds two parts with the same query into two audiences that do not collide, then indexes them', async () => {
    await store.put('segments/job/a.json.out', line('ITEMS.genres = "Action"', ['u1', 'u2']) + '\n');
    await store.put('segments/job/b.json.out', line('ITEMS.genres = "Action"', ['u3']) + '\n');

    const a = await buildPart(
      'job',
      { store, bucket: 'trusted', key: 'segments/job/a.json.out' },
      target,
      true,
    );
    const b = await buildPart(
      'job',
      { store, bucket: 'trusted', key: 'segments/job/b.json.out' },
      target,
      true,
    );
    const merged = await mergeParts('job', [a, b], target);

    expect(a.audiences[0]!.name).not.toBe(b.audiences[0]!.name);
    expect(merged.audiences.map((x) => x.size)).toEqual([2, 1]);
    const csv = await readFile(path.join(root, b.audiences[0]!.importKey), 'utf8');
    expect(csv.trim().split('\n')).toEqual(['User.UserId', 'u3']);
    const index = JSON.parse(await readFile(path.join(root, 'audiences/job/manifest.json'), 'utf8'));
    expect(index.manifests.map((m: { key: string }) => m.key)).toEqual([a.manifest.key, b.manifest.key]);
  });

  it('keeps parts apart whose file names differ only in punctuation', async () => {
    await store.put('segments/job/a.b.out', line('q', ['u1']) + '\n');
    await store.put('segments/job/a-b.out', line('q', ['u2']) + '\n');

    const one = await buildPart(
      'job',
      { store, bucket: 'trusted', key: 'segments/job/a.b.out' },
      target,
      true,
    );
    const two = await buildPart(
      'job',
      { store, bucket: 'trusted', key: 'segments/job/a-b.out' },
      target,
      true,
    );

    expect(one.audiences[0]!.importKey).not.toBe(two.audiences[0]!.importKey);
    expect(one.manifest.key).not.toBe(two.manifest.key);
  });

  it('says where it looked when the job wrote no .out file', async () => {
    await expect(outputParts(store, 'trusted', 'segments/none/')).rejects.toThrow(
      'no .out file under s3://trusted/segments/none/',
    );
  });
});
