import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../lambdas/adapters/logger';
import { hashIdentifier } from '../../lambdas/core/privacy/subject';
import { handler, type PushScoresOutput } from '../../lambdas/handlers/push-scores';
import {
  startSegmentSink,
  type SegmentSink,
  type SegmentSinkOptions,
} from '../../lambdas/local/segment-sink';

const WRITE_KEY = 'wk_live_S3cr3tW1r3K3y';
const SALT = 'ef'.repeat(32);
const BUCKET = 'trusted-zone';
const s3 = mockClient(S3Client);
const secrets = mockClient(SecretsManagerClient);
const plenty = { getRemainingTimeInMillis: () => 900_000 };
let sink: SegmentSink | undefined;

function scores(count: number): string {
  return `customer_id,score\n${Array.from({ length: count }, (_, index) => `c${index},0.${index % 10}5`).join('\n')}\n`;
}

/** The bucket holds one CSV per key; each GetObject streams it afresh. */
function bucketWith(files: Record<string, string>): void {
  s3.on(GetObjectCommand).callsFake(async ({ Key }: { Key: string }) => ({
    Body: Readable.from([Buffer.from(files[Key]!)]),
  }));
  s3.on(PutObjectCommand).resolves({});
}

async function useSink(options: Partial<SegmentSinkOptions> = {}): Promise<SegmentSink> {
  sink = await startSegmentSink({ writeKey: WRITE_KEY, ...options });
  vi.stubEnv('SEGMENT_ENDPOINT', sink.url);
  return sink;
}

function detail(models: ('churn' | 'repurchase')[] = ['churn', 'repurchase']) {
  return {
    run: 'run-42',
    scoredAt: '2026-05-01T10:00:00.000Z',
    scores: models.map((model) => ({
      model,
      location: { bucket: BUCKET, key: `scores/run-42/${model}.csv` },
    })),
  };
}

beforeEach(() => {
  s3.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ writeKey: WRITE_KEY }) });
  vi.stubEnv('SEGMENT_WRITE_KEY_SECRET_NAME', 'cdp/segment-write-key');
  vi.stubEnv('SCORES_BUCKET_NAME', BUCKET);
  vi.stubEnv('SEGMENT_REQUESTS_PER_SECOND', '1000');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('SUPPRESSION_BUCKET', BUCKET);
  vi.stubEnv('PRIVACY_SALT_SECRET', 'cdp/privacy-salt');
  secrets.on(GetSecretValueCommand, { SecretId: 'cdp/privacy-salt' }).resolves({ SecretString: SALT });
  // Nobody erased, unless a test says otherwise.
  s3.on(ListObjectsV2Command).resolves({});
});

afterEach(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await sink?.close();
  sink = undefined;
});

describe('the push-scores handler', () => {
  it('pushes each model file from the trusted bucket as identify traits and returns the counts', async () => {
    // Prepare
    const target = await useSink({ keepEvents: true });
    bucketWith({ 'scores/run-42/churn.csv': scores(300), 'scores/run-42/repurchase.csv': scores(200) });

    // Act
    const output = await handler(detail(), plenty);

    // Assess
    expect(output).toMatchObject({
      run: 'run-42',
      done: true,
      counts: { sent: 500, retried: 0, failed: 0, keptForReplay: 0 },
      invalidRows: 0,
      replayPrefix: { bucket: BUCKET, key: 'failed/run-42/' },
    });
    expect(output.next).toBeUndefined();
    expect(target.stats().uniqueEvents).toBe(500);
    expect(target.events()).toContainEqual(
      expect.objectContaining({
        userId: 'c3',
        traits: {
          repurchase_propensity: 0.35,
          repurchase_propensity_decile: 4,
          propensity_scored_at: '2026-05-01T10:00:00.000Z',
        },
      }),
    );
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({
      SecretId: 'cdp/segment-write-key',
    });
  });

  it('never sends an erased customer to Segment, and counts their rows without naming them', async () => {
    // Prepare: c3 was erased; both score files still hold them.
    const target = await useSink({ keepEvents: true });
    const list = JSON.stringify({ hashes: [hashIdentifier(Buffer.from(SALT, 'hex'), 'id', 'c3')] });
    s3.on(ListObjectsV2Command, { Bucket: BUCKET, Prefix: 'privacy/suppressed/' }).resolves({
      Contents: [{ Key: 'privacy/suppressed/req-1.json', Size: list.length, LastModified: new Date() }],
    });
    bucketWith({
      'scores/run-42/churn.csv': scores(10),
      'scores/run-42/repurchase.csv': scores(10),
      'privacy/suppressed/req-1.json': list,
    });

    // Act
    const output = await handler(detail(), plenty);

    // Assess
    expect(output.counts.sent).toBe(18);
    expect(output.suppressedRows).toBe(2);
    expect(target.events().map((event) => (event as { userId: string }).userId)).not.toContain('c3');
    expect(target.stats().uniqueEvents).toBe(18);
  });

  it('writes every unreadable score row to a row-level report next to the kept batches', async () => {
    // Prepare
    await useSink();
    bucketWith({ 'scores/run-42/churn.csv': 'customer_id,score\nc1,0.4\nc2,high\n,0.3\n' });
    const puts: { key: string; body: string }[] = [];
    s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: Uint8Array | string }) => {
      puts.push({ key: input.Key, body: Buffer.from(input.Body).toString('utf8') });
      return {};
    });

    // Act
    const output = await handler(detail(['churn']), plenty);

    // Assess
    expect(output).toMatchObject({ invalidRows: 2, counts: { sent: 1 } });
    const report = puts.find((p) => p.key === 'failed/run-42/invalid-rows-0-0.csv');
    expect(report?.body.trim().split('\n')).toEqual([
      'source,line,reason',
      expect.stringMatching(/^s3:\/\/.*churn\.csv,3,.*high/),
      expect.stringMatching(/^s3:\/\/.*churn\.csv,4,/),
    ]);
  });

  it('logs the counts and line numbers of unreadable rows, never their content', async () => {
    // Prepare
    await useSink();
    bucketWith({ 'scores/run-42/churn.csv': 'customer_id,score\nc1,0.4\njane@example.com,cust-981\n' });
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => written.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => written.push(String(chunk)) > 0);
    for (const method of ['log', 'info', 'warn', 'error'] as const)
      vi.spyOn(console, method).mockImplementation(
        (...args) => void written.push(args.map(String).join(' ')),
      );

    // Act
    await handler(detail(['churn']), plenty);

    // Assess
    const logs = written.join('\n');
    expect(logs).toContain('invalid score rows were not pushed');
    expect(logs).toMatch(/"line":\s*3/);
    expect(logs).not.toContain('jane@example.com');
    expect(logs).not.toContain('cust-981');
  });

  it('refuses a run whose file has an unterminated quote before sending anything, as the CLI does', async () => {
    // Prepare
    const target = await useSink();
    const broken = scores(1_000).replace('\nc500,', '\n"c500,');
    bucketWith({ 'scores/run-42/churn.csv': scores(10), 'scores/run-42/repurchase.csv': broken });

    // Act
    const pushing = handler(detail(), plenty);

    // Assess
    await expect(pushing).rejects.toThrow(
      /nothing was pushed.*repurchase\.csv line 502: a quoted field opens on this line and runs over the next 499 line\(s\)/s,
    );
    expect(target.stats().requests).toBe(0);
  });

  it('writes no report when every row was readable', async () => {
    // Prepare
    await useSink();
    bucketWith({ 'scores/run-42/churn.csv': 'customer_id,score\nc1,0.42\n' });

    // Act
    await handler(detail(['churn']), plenty);

    // Assess
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('writes the trait names configured in SEGMENT_TRAIT_NAMES', async () => {
    // Prepare
    const target = await useSink({ keepEvents: true });
    bucketWith({ 'scores/run-42/churn.csv': 'customer_id,score\nc1,0.42\n' });
    const names = {
      churn: { score: 'p_churn', decile: 'p_churn_decile' },
      repurchase: { score: 'p_rebuy', decile: 'p_rebuy_decile' },
      scoredAt: 'scored_at',
    };
    vi.stubEnv('SEGMENT_TRAIT_NAMES', JSON.stringify(names));

    // Act
    await handler(detail(['churn']), plenty);

    // Assess
    expect(target.events()[0]).toMatchObject({
      traits: { p_churn: 0.42, p_churn_decile: 5, scored_at: '2026-05-01T10:00:00.000Z' },
    });
  });

  it('returns a cursor when time runs short, and the invocation it feeds finishes the run', async () => {
    // Prepare
    const target = await useSink();
    bucketWith({ 'scores/run-42/churn.csv': scores(12_000) });
    let asked = 0;
    const shortOfTime = { getRemainingTimeInMillis: () => (++asked > 5_000 ? 1_000 : 900_000) };

    // Act
    const outputs: PushScoresOutput[] = [await handler(detail(['churn']), shortOfTime)];
    while (!outputs.at(-1)!.done) {
      asked = 0;
      outputs.push(await handler(outputs.at(-1)!.next, shortOfTime));
    }

    // Assess
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    expect(outputs[0]!.next?.cursor).toMatchObject({ source: 0, line: 5_002 });
    expect(outputs.at(-1)!.counts).toEqual({ sent: 12_000, retried: 0, failed: 0, keptForReplay: 0 });
    expect(target.stats()).toMatchObject({ uniqueEvents: 12_000, duplicateEvents: 0 });
  });

  it('reads the write key from Secrets Manager once per container', async () => {
    // Prepare
    await useSink();
    bucketWith({ 'scores/run-42/churn.csv': scores(10) });

    // Act
    await handler(detail(['churn']), plenty);
    await handler(detail(['churn']), plenty);

    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand).length).toBeLessThanOrEqual(1);
  });

  it('refuses score files outside the trusted bucket', async () => {
    // Prepare
    await useSink();
    const elsewhere = {
      ...detail(['churn']),
      scores: [{ model: 'churn', location: { bucket: 'someone-elses', key: 'x.csv' } }],
    };

    // Act
    const invocation = handler(elsewhere, plenty);

    // Assess
    await expect(invocation).rejects.toThrow('scores must be in the trusted bucket, not s3://someone-elses');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('never writes the write key to the logs, the kept batches, the output or an error', async () => {
    // Prepare: Segment rate-limits every request until the batch is kept, then refuses the key.
    const written: string[] = [];
    const capture = (chunk: unknown): boolean => {
      written.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
      vi.spyOn(console, method).mockImplementation((...args) => void capture(args.map(String).join(' ')));
    logger.setLogLevel('DEBUG');
    await useSink({ faults: { rateLimitRate: 1, retryAfterSeconds: 0 } });
    bucketWith({ 'scores/run-42/churn.csv': `${scores(400)}c-bad,2\n` });

    // Act
    const output = await handler(detail(['churn']), plenty);
    await sink!.close();
    sink = await startSegmentSink({ writeKey: 'another-key' });
    vi.stubEnv('SEGMENT_ENDPOINT', sink.url);
    const refused = await handler(detail(['churn']), plenty).then(
      () => new Error('expected a refusal'),
      (error: unknown) => error as Error,
    );

    // Assess
    logger.setLogLevel('INFO');
    expect(output.counts.keptForReplay).toBe(400);
    expect(refused.message).toMatch(/Segment refused the write key \(HTTP 401\)/);
    const kept = s3.commandCalls(PutObjectCommand).map((call) => String(call.args[0].input.Body));
    const everything = [
      ...written,
      ...kept,
      JSON.stringify(output),
      refused.message,
      String(refused.stack),
    ].join('\n');
    expect(written.some((line) => line.includes('retrying a Segment batch'))).toBe(true);
    expect(kept.length).toBeGreaterThan(0);
    for (const form of [WRITE_KEY, Buffer.from(`${WRITE_KEY}:`).toString('base64')])
      expect(everything).not.toContain(form);
  });
});
