import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { cloudSuppression } from '../adapters/cloud-suppression';
import { logger } from '../adapters/logger';
import { ObjectStoreKeptBatches } from '../adapters/object-store-kept-batches';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { objectStoreScoreSource } from '../adapters/score-sources';
import { SegmentHttpSink } from '../adapters/segment-http-sink';
import { invalidRowsReport } from '../adapters/invalid-rows-report';
import { segmentSyncEnv } from '../adapters/segment-sync-env';
import { writeKeyReader } from '../adapters/segment-write-key';
import { UserFacingError } from '../core/errors';
import { propensityScoresReady } from '../core/events/catalog';
import { suppressedIdsOf } from '../core/privacy/suppression';
import { syncCursorSchema } from '../core/segment/cursor-schema';
import { syncScores, type InvalidRowReport, type SyncCursor } from '../core/segment/sync-scores';
import type { SyncCounts } from '../core/segment/types';

const s3 = new S3Client({});
const readWriteKey = writeKeyReader(new SecretsManagerClient({}));

const input = propensityScoresReady.schema.extend({ cursor: syncCursorSchema.optional() });

export interface PushScoresOutput {
  readonly run: string;
  readonly done: boolean;
  /** Totals of the whole run so far (previous invocations included). */
  readonly counts: SyncCounts;
  readonly invalidRows: number;
  readonly invalidRowSamples: readonly InvalidRowReport[];
  /** Score rows of erased subjects (suppression list) not sent by this invocation: a count, never who. */
  readonly suppressedRows: number;
  /** Where failed batches are kept: the input of a replay. */
  readonly replayPrefix: { bucket: string; key: string };
  /** When not done: the input of the next invocation. */
  readonly next?: z.infer<typeof propensityScoresReady.schema> & { cursor: SyncCursor };
}

/** Pushes a run's propensity scores to Segment as identify traits; returns a cursor when time runs short. */
export async function handler(
  event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<PushScoresOutput> {
  const config = segmentSyncEnv.parse(process.env);
  const { cursor, ...detail } = input.parse(event);
  const foreign = detail.scores.find((score) => score.location.bucket !== config.SCORES_BUCKET_NAME);
  if (foreign)
    throw new UserFacingError(`scores must be in the trusted bucket, not s3://${foreign.location.bucket}`);
  const scores = new S3ObjectStore({ client: s3, bucket: config.SCORES_BUCKET_NAME });
  const keptStore = new S3ObjectStore({
    client: s3,
    bucket: config.SCORES_BUCKET_NAME,
    prefix: config.KEPT_BATCHES_PREFIX,
  });
  const sink = new SegmentHttpSink({
    writeKey: await readWriteKey(config.SEGMENT_WRITE_KEY_SECRET_NAME),
    region: config.SEGMENT_REGION,
    ...(config.SEGMENT_ENDPOINT ? { endpoint: config.SEGMENT_ENDPOINT } : {}),
    concurrency: config.SEGMENT_CONCURRENCY,
    requestsPerSecond: config.SEGMENT_REQUESTS_PER_SECOND,
    onRetry: (retry) => logger.debug('retrying a Segment batch', retry),
    // Never wait past the point where this invocation could still finish and hand back its cursor.
    mustGiveUp: (delayMs) => context.getRemainingTimeInMillis() - delayMs < config.STOP_MARGIN_MS / 2,
  });
  const keptPrefix = ObjectStoreKeptBatches.prefixOf(detail.run);
  // One report per invocation, next to the kept batches: failed/<run>/invalid-rows-<file>-<line>.csv.
  const report = invalidRowsReport(
    keptStore,
    `${keptPrefix}invalid-rows-${cursor?.source ?? 0}-${cursor?.line ?? 0}.csv`,
  );
  logger.info('pushing scores to Segment', {
    run: detail.run,
    files: detail.scores.length,
    resumeAt: cursor,
  });
  // Erased subjects are never sent; the list is read afresh each invocation, the salt once per container.
  const isSuppressed = suppressedIdsOf(await cloudSuppression(s3));
  let suppressedRows = 0;
  const result = await syncScores({
    run: detail.run,
    scoredAt: detail.scoredAt,
    sources: detail.scores.map(({ model, location }) =>
      objectStoreScoreSource(scores, location.key, model, `s3://${location.bucket}/${location.key}`),
    ),
    sink,
    kept: new ObjectStoreKeptBatches({ store: keptStore }),
    window: config.SEGMENT_CONCURRENCY * 2,
    shouldStop: () => context.getRemainingTimeInMillis() < config.STOP_MARGIN_MS,
    ...(cursor ? { cursor } : {}),
    onInvalidRow: (row) => report.add(row),
    ...(config.SEGMENT_TRAIT_NAMES ? { traitNames: config.SEGMENT_TRAIT_NAMES } : {}),
    ...(isSuppressed
      ? {
          suppressed: (id: string) => {
            if (!isSuppressed(id)) return false;
            suppressedRows++;
            return true;
          },
        }
      : {}),
  });
  const reportKey = await report.close();
  const { done, counts, invalidRows } = result;
  const invalidRowSamples = result.invalidRowSamples.slice(0, 20);
  // Counts and line numbers only: a reason can quote a row (an ID, an email in the wrong column);
  // the rows and reasons are in the report in S3.
  if (invalidRows > 0)
    logger.warn('invalid score rows were not pushed', {
      run: detail.run,
      invalidRows,
      lines: invalidRowSamples.map(({ source, line }) => ({ source, line })),
      report: reportKey,
    });
  logger.info('pushed scores to Segment', {
    run: detail.run,
    done,
    counts,
    suppressedRows,
    requests: sink.requests,
  });
  if (sink.unreachableReason)
    logger.error('Segment was unreachable', { run: detail.run, reason: sink.unreachableReason });
  const replayPrefix = {
    bucket: config.SCORES_BUCKET_NAME,
    key: `${config.KEPT_BATCHES_PREFIX}${keptPrefix}`,
  };
  const next = result.cursor ? { next: { ...detail, cursor: result.cursor } } : {};
  return {
    run: detail.run,
    done,
    counts,
    invalidRows,
    invalidRowSamples,
    suppressedRows,
    replayPrefix,
    ...next,
  };
}
