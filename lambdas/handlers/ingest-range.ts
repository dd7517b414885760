import { z } from 'zod';
import { logger } from '../adapters/logger';
import { ingestContainer } from '../adapters/ingestion-stores';
import { UserFacingError } from '../core/errors';
import { datasetForKey } from '../core/ingest/datasets';
import { ingestEventOf } from '../core/ingest/ingest-events';
import { type IngestRequest, ledgerKey } from '../core/ingest/ingest-file';
import {
  checkRange,
  finishRanges,
  mergeRanges,
  planLandingRanges,
  writeRange,
} from '../core/ingest/ingest-ranges';
import type { RowProblem } from '../core/ingest/read-rows';

const file = {
  source: z.object({ bucket: z.string().min(1), key: z.string().min(1) }),
  etag: z.string().min(1),
  ingestDate: z.iso.date(),
};
const range = z.object({
  index: z.number().int().min(0),
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  linesBefore: z.number().int().min(0),
});
const part = {
  ...file,
  header: z.string(),
  recordDelimiter: z.enum(['\n', '\r\n']),
  range,
};
const problem = z.object({ line: z.number(), column: z.string().optional(), reason: z.string() });
const counts = {
  rowsIn: z.number().int(),
  good: z.number().int(),
  bad: z.number().int(),
  duplicates: z.number().int(),
  /** Rows of erased subjects dropped (the suppression list). */
  suppressed: z.number().int().optional(),
};
const check = z.object({
  index: z.number().int(),
  ...counts,
  reason: z.string().optional(),
  firstProblems: z.array(problem),
  report: z.string().optional(),
});
const merged = z.object({
  status: z.literal('write'),
  withDrops: z.array(z.number().int()),
  dataset: z.string(),
  key: z.string(),
  ...counts,
  report: z.string().optional(),
  firstProblems: z.array(problem),
});
const request = z.discriminatedUnion('step', [
  z.object({ step: z.literal('plan'), ...file }),
  z.object({ step: z.literal('check'), ...part }),
  z.object({ step: z.literal('merge'), ...file, checks: z.array(check) }),
  z.object({ step: z.literal('write'), ...part, withDrops: z.array(z.number().int()) }),
  z.object({ step: z.literal('finish'), ...file, merged }),
]);

/** Problems as the workflow may carry them: line, column and reason; the value stays in the report. */
const withoutValues = (problems: readonly RowProblem[]) =>
  problems.map(({ line, column, reason }) => ({ line, ...(column ? { column } : {}), reason }));

/**
 * The steps of a ranged ingestion (see lambdas/core/ingest/ingest-ranges.ts), one per invocation:
 * `plan` (whole or ranges?), `check` and `write` (one range: the Distributed Maps' item
 * processors), `merge` (counts, cross-range duplicates, threshold) and `finish` (ledger, event).
 */
export async function handler(event: unknown): Promise<unknown> {
  const { config, buckets, stores, suppression } = ingestContainer();
  const input = request.parse(event);
  if (input.source.bucket !== buckets.landing)
    throw new UserFacingError(`files are ingested from the landing bucket, not s3://${input.source.bucket}`);
  const ingest: IngestRequest = {
    key: input.source.key,
    etag: input.etag,
    ingestDate: input.ingestDate,
    maxBadShare: config.MAX_BAD_SHARE,
    normalise: { defaultRegion: config.PHONE_REGION },
    // Only the steps that read rows need the list: check and write (the same list, read afresh).
    ...(input.step === 'check' || input.step === 'write' ? { suppression: await suppression() } : {}),
  };
  switch (input.step) {
    case 'plan': {
      const info = await stores.landing.head(ingest.key);
      const dataset = datasetForKey(ingest.key);
      // Small, unknown or already ingested: the whole-file path decides and reports.
      if (!info || !dataset || info.size <= config.SPLIT_ABOVE_BYTES) return { split: false };
      if (await stores.trusted.head(ledgerKey(dataset, ingest.etag))) return { split: false };
      const plan = await planLandingRanges(stores.landing, ingest.key, config.RANGE_BYTES);
      logger.info('ingest planned', {
        key: ingest.key,
        size: info.size,
        ranges: plan.ranges.length,
        stoppedSplitting: plan.stoppedSplitting,
      });
      return { split: plan.ranges.length > 1, ...plan };
    }
    case 'check': {
      const { header, recordDelimiter, range: r } = input;
      const result = await checkRange(stores, { ...ingest, header, recordDelimiter, range: r });
      logger.info('range checked', {
        key: ingest.key,
        range: r.index,
        rowsIn: result.rowsIn,
        bad: result.bad,
      });
      return { ...result, firstProblems: withoutValues(result.firstProblems) };
    }
    case 'merge': {
      const result = await mergeRanges(stores, ingest, input.checks);
      if (result.status === 'rejected') return { status: 'rejected', event: ingestEventOf(result, buckets) };
      return { ...result, firstProblems: withoutValues(result.firstProblems) };
    }
    case 'write': {
      const { header, recordDelimiter, range: r, withDrops } = input;
      const job = { ...ingest, header, recordDelimiter, range: r };
      const written = await writeRange(stores, job, withDrops.includes(r.index));
      logger.info('range written', { key: ingest.key, range: r.index, good: written.good });
      return { index: r.index, ...written };
    }
    case 'finish': {
      const outcome = await finishRanges(stores, ingest, input.merged);
      const result = ingestEventOf(outcome, buckets);
      logger.info('file ingested in ranges', { key: ingest.key, status: result.status });
      return result;
    }
  }
}
