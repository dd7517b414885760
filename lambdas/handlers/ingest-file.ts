import { z } from 'zod';
import { logger } from '../adapters/logger';
import { ingestContainer } from '../adapters/ingestion-stores';
import { UserFacingError } from '../core/errors';
import { ingestEventOf, type IngestEvent } from '../core/ingest/ingest-events';
import { ingestFile } from '../core/ingest/ingest-file';

const request = z.object({
  source: z.object({ bucket: z.string().min(1), key: z.string().min(1) }),
  etag: z.string().min(1),
  ingestDate: z.iso.date(),
});

/**
 * Ingests one landing file (streaming: memory stays flat with its size) and returns the event the
 * workflow publishes: `Dataset Ingested` (also for a re-delivery, flagged) or `Dataset Rejected`.
 */
export async function handler(event: unknown): Promise<IngestEvent> {
  const { config, buckets, stores, suppression } = ingestContainer();
  const { source, etag, ingestDate } = request.parse(event);
  if (source.bucket !== buckets.landing)
    throw new UserFacingError(`files are ingested from the landing bucket, not s3://${source.bucket}`);
  const outcome = await ingestFile(stores, {
    key: source.key,
    etag,
    ingestDate,
    maxBadShare: config.MAX_BAD_SHARE,
    normalise: { defaultRegion: config.PHONE_REGION },
    // Erased subjects stay out: a re-delivered file cannot bring them back.
    suppression: await suppression(),
  });
  const result = ingestEventOf(outcome, buckets);
  // Counts and line numbers only: no cell value reaches the logs.
  const counts = 'counts' in result.detail ? result.detail.counts : undefined;
  logger.info('file ingested', { key: source.key, status: result.status, counts });
  return result;
}
