import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BuiltAudience } from '../../lambdas/core/destinations/activation-outcome';
import type { BuildSummary } from '../../lambdas/core/destinations/workflow-items';
import { hashIdentifier } from '../../lambdas/core/privacy/subject';

const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);
const SALT = 'cd'.repeat(32);

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
    vi.stubEnv('SUPPRESSION_BUCKET', 'trusted');
    vi.stubEnv('PRIVACY_SALT_SECRET', 'cdp/privacy-salt');
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SALT });
    // Nobody erased, unless a test says otherwise (a listing of the prefix matches before any other).
    s3.on(ListObjectsV2Command, { Prefix: 'privacy/suppressed/' }).resolves({});
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
      run: 'run-1',
      output: { bucket: 'trusted', key: 'segments/weekly/' },
    })) as BuildSummary;

    expect(result.audiences).toBe(2);
    expect(result.audienceList).toEqual({
      bucket: 'trusted',
      key: 'audiences/_map-items/weekly/run-1/audiences.json',
    });
    const audiences = JSON.parse(written.get(result.audienceList.key)!) as BuiltAudience[];
    expect(audiences.map((a) => [a.query, a.size])).toEqual([
      ['ITEMS.genres = "Action"', 2],
      ['ITEMS.genres = "Comedy"', 1],
    ]);
    const [action] = audiences;
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

  it('never writes an erased user into an audience file, and counts them in the manifest', async () => {
    // Prepare: u2 was erased; the job output still names them.
    const list = JSON.stringify({ hashes: [hashIdentifier(Buffer.from(SALT, 'hex'), 'id', 'u2')] });
    s3.on(ListObjectsV2Command, { Prefix: 'privacy/suppressed/' }).resolves({
      Contents: [{ Key: 'privacy/suppressed/req-1.json', Size: list.length, LastModified: new Date() }],
    });
    s3.on(ListObjectsV2Command, { Prefix: 'segments/weekly/' }).resolves({
      Contents: [{ Key: 'segments/weekly/queries.json.out', Size: 10, LastModified: new Date() }],
    });
    s3.on(GetObjectCommand).callsFake(async ({ Key }: { Key: string }) => ({
      Body: Readable.from([
        Key === 'privacy/suppressed/req-1.json'
          ? list
          : outFile([
              { itemAttributes: 'ITEMS.genres = "Action"', output: { recommendedUsers: ['u1', 'u2', 'u3'] } },
            ]),
      ]) as never,
    }));
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    // Act
    const result = (await handler({
      jobName: 'weekly',
      run: 'run-1',
      output: { bucket: 'trusted', key: 'segments/weekly/' },
    })) as BuildSummary;

    // Assess
    const [audience] = JSON.parse(written.get(result.audienceList.key)!) as BuiltAudience[];
    expect(written.get(audience!.importKey)?.split(/\r?\n/).filter(Boolean)).toEqual([
      'User.UserId',
      'u1',
      'u3',
    ]);
    const everything = [...written.values()].join('\n');
    expect(everything).not.toMatch(/\bu2\b/);
    const manifest = JSON.parse(written.get(result.manifest.key)!) as {
      audiences: { suppressedUsers?: number }[];
    };
    expect(manifest.audiences[0]!.suppressedUsers).toBe(1);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({
      SecretId: 'cdp/privacy-salt',
    });
  });

  it('hands a job with several .out parts back to the workflow as an item file in S3', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'segments/weekly/a.json.out', Size: 10, LastModified: new Date() },
        { Key: 'segments/weekly/b.json.out', Size: 10, LastModified: new Date() },
      ],
    });
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    const result = await handler({
      jobName: 'weekly',
      run: 'run-1',
      output: { bucket: 'trusted', key: 'segments/weekly/' },
    });

    const key = 'audiences/_map-items/weekly/run-1/parts.json';
    expect(result).toEqual({ fanOut: true, parts: { bucket: 'trusted', key }, partCount: 2 });
    expect(JSON.parse(written.get(key)!)).toEqual([
      'segments/weekly/a.json.out',
      'segments/weekly/b.json.out',
    ]);
    expect(written.size).toBe(1);
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
      run: 'run-1',
      output: { bucket: 'trusted', key: 'segments/weekly/' },
      part: 'segments/weekly/b.json.out',
    })) as BuildSummary;

    expect(result.audienceList.key).toMatch(
      /^audiences\/_map-items\/weekly\/run-1\/parts\/[0-9a-f]{16}\.json$/,
    );
    const [audience] = JSON.parse(written.get(result.audienceList.key)!) as BuiltAudience[];
    expect(audience!.name).toContain('weekly-b-json');
    expect(audience!.importKey).toMatch(/^audiences\/weekly\/weekly-b-json-[0-9a-f]{6}\//);
    expect(result.manifest.key).toMatch(/^audiences\/weekly\/weekly-b-json-[0-9a-f]{6}\/manifest\.json$/);
  });

  it('merges the parts from the part map results in S3, writes an index of their manifests and one audience list', async () => {
    // Prepare: what the part map's ResultWriter left, and the part summaries it points to.
    const stored = new Map<string, string>();
    const part = (name: string, skippedLines: number): BuildSummary => {
      const list = `audiences/_map-items/weekly/run-1/parts/${name}.json`;
      const audience = {
        name,
        query: 'q',
        size: 1,
        holdoutSize: 0,
        unresolvedUsers: 0,
        importKey: `audiences/weekly/${name}/x.csv`,
      };
      stored.set(list, JSON.stringify([audience]));
      return {
        manifest: { bucket: 'trusted', key: `audiences/weekly/${name}/manifest.json` },
        audienceList: { bucket: 'trusted', key: list },
        audiences: 1,
        skippedLines,
      };
    };
    const results = [part('p2', 2), part('p1', 1)].map((summary) => ({
      Status: 'SUCCEEDED',
      Output: JSON.stringify(summary),
    }));
    stored.set('audiences/_map-results/abc/SUCCEEDED_0.json', JSON.stringify(results));
    stored.set(
      'audiences/_map-results/abc/manifest.json',
      JSON.stringify({
        DestinationBucket: 'trusted',
        ResultFiles: {
          SUCCEEDED: [{ Key: 'audiences/_map-results/abc/SUCCEEDED_0.json', Size: 1 }],
          FAILED: [],
          PENDING: [],
        },
      }),
    );
    s3.on(GetObjectCommand).callsFake(async (input) => ({
      Body: Readable.from([stored.get(input.Key)!]) as never,
    }));
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    // Act
    const result = (await handler({
      jobName: 'weekly',
      run: 'run-1',
      merge: {
        MapRunArn: 'arn:aws:states:eu-west-1:111122223333:mapRun:activation/Build:1',
        ResultWriterDetails: { Bucket: 'trusted', Key: 'audiences/_map-results/abc/manifest.json' },
      },
    })) as BuildSummary;

    // Assess
    expect(result.audiences).toBe(2);
    expect(result.skippedLines).toBe(3);
    expect(result.manifest).toEqual({ bucket: 'trusted', key: 'audiences/weekly/manifest.json' });
    expect(JSON.parse(written.get('audiences/weekly/manifest.json')!).manifests).toHaveLength(2);
    const merged = JSON.parse(written.get(result.audienceList.key)!) as BuiltAudience[];
    expect(merged.map((a) => a.name)).toEqual(['p1', 'p2']);
  });

  it('fails with a sentence naming the location when the job wrote no .out file', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'segments/weekly/_SUCCESS', Size: 0, LastModified: new Date() }],
    });
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    await expect(
      handler({ jobName: 'weekly', run: 'run-1', output: { bucket: 'trusted', key: 'segments/weekly/' } }),
    ).rejects.toThrow('no .out file under s3://trusted/segments/weekly/');
  });

  it('fails with a message cut to a fixed length and no stack frames, so the cause stays small in the state', async () => {
    // Prepare: a 4 KB key, named in the error message.
    const key = `segments/${'k'.repeat(4096)}/`;
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    // Act
    const error = (await handler({
      jobName: 'weekly',
      run: 'run-1',
      output: { bucket: 'trusted', key },
    }).catch((e: unknown) => e)) as Error;

    // Assess
    expect(error.name).toBe('UserFacingError');
    expect(error.message).toMatch(/^no \.out file under s3:\/\/trusted\/segments\/k+…$/);
    expect(Buffer.byteLength(error.message)).toBeLessThanOrEqual(512);
    expect(error.stack).toBe(`UserFacingError: ${error.message}`);
  });

  it('rejects an event without a job name', async () => {
    const { handler } = await import('../../lambdas/handlers/build-audiences');

    await expect(handler({ output: { bucket: 'b', key: 'k' } })).rejects.toThrow();
  });
});
