import { describe, expect, it } from 'vitest';
import type { BuiltAudience } from '../../../lambdas/core/destinations/activation-outcome';
import { loadActivationRun } from '../../../lambdas/core/destinations/load-run';
import { readMapRun } from '../../../lambdas/core/destinations/map-results';
import {
  loadImportResults,
  summariseBuild,
  writePartList,
} from '../../../lambdas/core/destinations/workflow-items';
import { recordImportFailure } from '../../../lambdas/core/destinations/import-failure';
import { clipBytes, MAX_CAUSE_BYTES } from '../../../lambdas/core/errors';
import { collect, MemoryObjectStore } from '../../adapters/segment/memory-object-store';

const audience = (name: string): BuiltAudience => ({
  name,
  query: `q ${name}`,
  size: 3,
  holdoutSize: 0,
  unresolvedUsers: 0,
  importKey: `audiences/job/${name}.csv`,
});

/** A map run's results as Step Functions' ResultWriter leaves them (Transformation NONE). */
async function writeMapRun(
  store: MemoryObjectStore,
  children: { SUCCEEDED?: object[]; FAILED?: object[] },
): Promise<{ MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } }> {
  const files: Record<string, { Key: string; Size: number }[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
  for (const [status, entries] of Object.entries(children)) {
    const Key = `audiences/_map-results/r1/${status}_0.json`;
    await store.put(Key, JSON.stringify(entries));
    files[status]!.push({ Key, Size: 1 });
  }
  await store.put(
    'audiences/_map-results/r1/manifest.json',
    JSON.stringify({ DestinationBucket: 'trusted', MapRunArn: 'arn:run', ResultFiles: files }),
  );
  return {
    MapRunArn: 'arn:run',
    ResultWriterDetails: { Bucket: 'trusted', Key: 'audiences/_map-results/r1/manifest.json' },
  };
}

describe('the activation workflow lists in S3', () => {
  it('writes the part list as a JSON array and returns only its location and count', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const target = { store, bucket: 'trusted', prefix: 'audiences/', holdoutPercent: 0 };

    // Act
    const fanOut = await writePartList(target, 'job', 'exec-1', ['a.out', 'b.out']);

    // Assess
    expect(fanOut).toEqual({
      fanOut: true,
      parts: { bucket: 'trusted', key: 'audiences/_map-items/job/exec-1/parts.json' },
      partCount: 2,
    });
    expect(JSON.parse(store.text(fanOut.parts.key))).toEqual(['a.out', 'b.out']);
  });

  it('gives the outcome step the audiences back from the list the summary points to', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const target = { store, bucket: 'trusted', prefix: 'audiences/', holdoutPercent: 0 };
    const manifest = { bucket: 'trusted', key: 'audiences/job/manifest.json' };
    const summary = await summariseBuild(target, 'job', 'exec-1', {
      manifest,
      audiences: [audience('a'), audience('b')],
      skippedLines: 4,
    });

    // Act
    const run = await loadActivationRun(store, 'trusted', {
      jobName: 'job',
      destination: 's3',
      region: 'eu-west-1',
      build: summary,
      imports: [],
    });

    // Assess
    expect(summary).toEqual({
      manifest,
      audienceList: { bucket: 'trusted', key: 'audiences/_map-items/job/exec-1/audiences.json' },
      audiences: 2,
      skippedLines: 4,
    });
    expect(run.build).toEqual({ manifest, audiences: [audience('a'), audience('b')], skippedLines: 4 });
    expect(run.imports).toEqual([]);
  });

  it('refuses a list in another bucket than the trusted one', async () => {
    const store = new MemoryObjectStore();

    await expect(
      loadActivationRun(store, 'trusted', {
        jobName: 'job',
        destination: 's3',
        region: 'eu-west-1',
        build: {
          manifest: { bucket: 'trusted', key: 'm' },
          audienceList: { bucket: 'elsewhere', key: 'audiences/_map-items/x.json' },
          audiences: 1,
          skippedLines: 0,
        },
      }),
    ).rejects.toThrow('s3://elsewhere/audiences/_map-items/x.json is not in the trusted bucket trusted');
  });

  it('reads every child of a map run from the ResultWriter manifest and its result files', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const output = await writeMapRun(store, {
      SUCCEEDED: [{ Status: 'SUCCEEDED', Output: '{"n":1}', Input: '{}' }],
      FAILED: [{ Status: 'FAILED', Error: 'States.TaskFailed', Cause: 'boom', Input: '{"i":2}' }],
    });

    // Act
    const children = await collect(readMapRun(store, output.ResultWriterDetails.Key));

    // Assess
    expect(children).toEqual([
      { status: 'SUCCEEDED', output: { n: 1 } },
      { status: 'FAILED', error: 'States.TaskFailed', cause: 'boom', input: { i: 2 } },
    ]);
  });

  it('reads import outcomes from the map results, and counts a child that itself failed as a failed import', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const imported = { name: 'a', outcome: 'COMPLETED', job: { JobStatus: 'COMPLETED' } };
    const refused = { name: 'b', outcome: 'FAILED', error: 'Pinpoint.BadRequestException', cause: 'no' };
    const output = await writeMapRun(store, {
      SUCCEEDED: [
        { Status: 'SUCCEEDED', Output: JSON.stringify(imported) },
        { Status: 'SUCCEEDED', Output: JSON.stringify(refused) },
      ],
      FAILED: [
        {
          Status: 'FAILED',
          Error: 'States.Runtime',
          Cause: 'bad path',
          Input: JSON.stringify({ audience: audience('c') }),
        },
      ],
    });

    // Act
    const results = await loadImportResults(store, 'trusted', output);

    // Assess
    expect(results).toEqual([
      imported,
      refused,
      { name: 'c', outcome: 'FAILED', error: 'States.Runtime', cause: 'bad path' },
    ]);
  });

  it('refuses a file that is not a ResultWriter manifest, naming it', async () => {
    const store = new MemoryObjectStore();
    await store.put('audiences/_map-results/x/manifest.json', '{"files":[]}');

    await expect(collect(readMapRun(store, 'audiences/_map-results/x/manifest.json'))).rejects.toThrow(
      'audiences/_map-results/x/manifest.json: is not a Distributed Map result manifest',
    );
  });
});

describe('cutting an error cause to a fixed length', () => {
  it('keeps a short text as it is', () => {
    expect(clipBytes('Pinpoint said no')).toBe('Pinpoint said no');
  });

  it('cuts a 4 KB text to MAX_CAUSE_BYTES UTF-8 bytes, ending in an ellipsis', () => {
    const cut = clipBytes('é'.repeat(4096));

    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_CAUSE_BYTES);
    expect(Buffer.byteLength(cut)).toBeGreaterThan(MAX_CAUSE_BYTES - 4);
    expect(cut.endsWith('é…')).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const cut = clipBytes(`${'a'.repeat(9)}😀😀😀`, 14);

    expect(cut).toBe(`${'a'.repeat(9)}…`);
  });
});

describe('recording a failed import', () => {
  it('keeps the message of a 4 KB Pinpoint cause, cut to MAX_CAUSE_BYTES', () => {
    const cause = JSON.stringify({ Message: `Bad request: ${'x'.repeat(4096)}` });

    const result = recordImportFailure({
      importFailure: { name: 'a', error: { Error: 'Pinpoint.BadRequestException', Cause: cause } },
    });

    expect(result).toMatchObject({ name: 'a', outcome: 'FAILED', error: 'Pinpoint.BadRequestException' });
    expect(result.outcome === 'FAILED' && result.cause).toMatch(/^Bad request: x+…$/);
    expect(Buffer.byteLength((result as { cause: string }).cause)).toBeLessThanOrEqual(MAX_CAUSE_BYTES);
  });

  it('takes the failed rows of a FAILED import job from its response', () => {
    const result = recordImportFailure({
      importFailure: {
        name: 'b',
        error: { Error: 'ImportJobFailed' },
        response: { JobStatus: 'FAILED', Failures: ['Row 3: User.UserId is empty', 'Row 9: bad'] },
      },
    });

    expect(result).toEqual({
      name: 'b',
      outcome: 'FAILED',
      error: 'ImportJobFailed',
      cause: 'Row 3: User.UserId is empty; Row 9: bad',
    });
  });
});
