import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerPushScores } from '../../../lambdas/local/commands/push-scores';
import { registerReplay } from '../../../lambdas/local/commands/replay';
import { startSegmentSink } from '../../../lambdas/local/segment-sink';
import { startS3rver, type LocalS3 } from '../../adapters/s3rver';

const BUCKET = 'cdp-trusted';
const WRITE_KEY = 'wk_replay_s3';
let s3rver: LocalS3;
let dir: string;

async function cdp(...args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerPushScores(program);
  registerReplay(program);
  await program.parseAsync(args, { from: 'user' });
}

beforeAll(async () => {
  s3rver = await startS3rver(BUCKET);
  dir = await mkdtemp(path.join(tmpdir(), 'cdp-replay-s3-'));
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
  await s3rver?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('cdp replay s3://…', () => {
  it('re-sends the batches the Lambda kept in S3 and marks each delivered one', async () => {
    // Prepare: a push that fails every request keeps its batch, as the Lambda does under failed/<run>/.
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.stubEnv('SEGMENT_WRITE_KEY', WRITE_KEY);
    const failing = await startSegmentSink({ writeKey: WRITE_KEY, faults: { serverErrorRate: 1 } });
    await writeFile(path.join(dir, 'churn.csv'), 'customer_id,score\nc1,0.1\nc2,0.7\n');
    await cdp(
      'push-scores',
      path.join(dir, 'churn.csv'),
      '--run',
      'r9',
      '--endpoint',
      failing.url,
      '--failed-dir',
      dir,
      '--retries',
      '0',
    );
    await failing.close();
    const kept = (await readdir(path.join(dir, 'failed', 'r9'))).filter((name) => name.endsWith('.json'));
    expect(kept.length).toBeGreaterThan(0);
    // The CLI's S3 client reads its endpoint and credentials from the standard AWS environment variables.
    vi.stubEnv('AWS_ENDPOINT_URL_S3', s3rver.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    const s3 = new S3Client({ forcePathStyle: true });
    for (const name of kept) {
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `failed/r9/${name}`,
          Body: await readFile(path.join(dir, 'failed', 'r9', name)),
        }),
      );
    }
    const sink = await startSegmentSink({ writeKey: WRITE_KEY });
    process.exitCode = undefined;

    // Act
    await cdp('replay', `s3://${BUCKET}/failed/r9/`, '--endpoint', sink.url);

    // Assess
    expect(sink.stats().uniqueEvents).toBe(2);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'failed/r9/' }));
    expect(listed.Contents?.filter((o) => o.Key!.endsWith('.replayed'))).toHaveLength(kept.length);
    expect(process.exitCode).toBeUndefined();
    await sink.close();
    s3.destroy();
  });
});
