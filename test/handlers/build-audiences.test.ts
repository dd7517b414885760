import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BuildResult } from '../../lambdas/core/destinations/activation-outcome';

const s3 = mockClient(S3Client);

function outFile(lines: object[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

describe('build-audiences handler', () => {
  let written: Map<string, string>;

  beforeEach(() => {
    s3.reset();
    vi.resetModules();
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('TRUSTED_BUCKET', 'trusted');
    vi.stubEnv('AUDIENCES_PREFIX', 'audiences/');
    vi.stubEnv('HOLDOUT_PERCENT', '0');
    written = new Map();
    s3.on(PutObjectCommand).callsFake(async (input) => {
      const body = input.Body;
      written.set(
        input.Key,
        typeof body === 'string' ? body : Buffer.from(body as Uint8Array).toString('utf8'),
      );
      return {};
    });
  });

  it('turns every query of the job output into an audience file and returns where they are', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'segments/weekly/queries.json.out', Size: 10, LastModified: new Date() }],
    });
    s3.on(GetObjectCommand).callsFake(async () => ({
      Body: Readable.from([
        outFile([
          {
            input: { itemAttributes: 'ITEMS.genres = "Action"' },
            output: { usersList: ['u1', 'u2', 'u1'] },
            error: null,
          },
          { itemAttributes: 'ITEMS.genres = "Comedy"', output: { recommendedUsers: ['u3'] } },
        ]),
      ]) as never,
    }));
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    const result = (await handler({
      jobName: 'weekly',
      output: { bucket: 'trusted', key: 'segments/weekly/' },
    })) as BuildResult;

    expect(result.audiences.map((a) => [a.query, a.size])).toEqual([
      ['ITEMS.genres = "Action"', 2],
      ['ITEMS.genres = "Comedy"', 1],
    ]);
    const [action] = result.audiences;
    expect(action!.importKey).toMatch(/^audiences\/weekly\/.*\.csv$/);
    expect(written.get(action!.importKey)?.split(/\r?\n/).filter(Boolean)).toEqual([
      'User.UserId',
      'u1',
      'u2',
    ]);
    expect(result.manifest).toEqual({
      bucket: 'trusted',
      key: expect.stringMatching(/^audiences\/weekly\/.*manifest\.json$/),
    });
    expect(written.has(result.manifest.key)).toBe(true);
  });

  it('hands a job with several .out parts back to the workflow to fan out', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'segments/weekly/a.json.out', Size: 10, LastModified: new Date() },
        { Key: 'segments/weekly/b.json.out', Size: 10, LastModified: new Date() },
      ],
    });
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    const result = await handler({
      jobName: 'weekly',
      output: { bucket: 'trusted', key: 'segments/weekly/' },
    });

    expect(result).toEqual({
      fanOut: true,
      parts: ['segments/weekly/a.json.out', 'segments/weekly/b.json.out'],
    });
    expect(written.size).toBe(0);
  });

  it('builds one part of a fanned-out job into its own folder and names', async () => {
    s3.on(GetObjectCommand).callsFake(async () => ({
      Body: Readable.from([
        outFile([{ itemAttributes: 'ITEMS.genres = "Action"', output: { recommendedUsers: ['u1'] } }]),
      ]) as never,
    }));
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    const result = (await handler({
      jobName: 'weekly',
      output: { bucket: 'trusted', key: 'segments/weekly/' },
      part: 'segments/weekly/b.json.out',
    })) as BuildResult;

    expect(result.audiences[0]!.name).toContain('weekly-b-json');
    expect(result.audiences[0]!.importKey).toMatch(/^audiences\/weekly\/weekly-b-json-[0-9a-f]{6}\//);
    expect(result.manifest.key).toMatch(/^audiences\/weekly\/weekly-b-json-[0-9a-f]{6}\/manifest\.json$/);
  });

  it('merges the parts into one result and writes an index of their manifests', async () => {
    const { handler } = await import('../../lambdas/handlers/build-audiences');
    const part = (name: string, skippedLines: number): BuildResult => ({
      manifest: { bucket: 'trusted', key: `audiences/weekly/${name}/manifest.json` },
      audiences: [
        {
          name,
          query: 'q',
          size: 1,
          holdoutSize: 0,
          unresolvedUsers: 0,
          importKey: `audiences/weekly/${name}/x.csv`,
        },
      ],
      skippedLines,
    });

    const result = (await handler({
      jobName: 'weekly',
      merge: [part('p1', 1), part('p2', 2)],
    })) as BuildResult;

    expect(result.audiences.map((a) => a.name)).toEqual(['p1', 'p2']);
    expect(result.skippedLines).toBe(3);
    expect(result.manifest).toEqual({ bucket: 'trusted', key: 'audiences/weekly/manifest.json' });
    expect(JSON.parse(written.get('audiences/weekly/manifest.json')!).manifests).toHaveLength(2);
  });

  it('fails with a sentence naming the location when the job wrote no .out file', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'segments/weekly/_SUCCESS', Size: 0, LastModified: new Date() }],
    });
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    await expect(
      handler({ jobName: 'weekly', output: { bucket: 'trusted', key: 'segments/weekly/' } }),
    ).rejects.toThrow('no .out file under s3://trusted/segments/weekly/');
  });

  it('rejects an event without a job name', async () => {
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    await expect(handler({ output: { bucket: 'b', key: 'k' } })).rejects.toThrow();
  });
});
