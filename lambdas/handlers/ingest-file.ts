import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ingestEnv, type IngestEnv } from '../adapters/ingestion-env';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { UserFacingError } from '../core/errors';
import { ingestEventOf, type IngestBuckets, type IngestEvent } from '../core/ingest/ingest-events';
import { ingestFile, type IngestStores } from '../core/ingest/ingest-file';

const s3 = new S3Client({});

/** The configuration and the three zones, built once per container, on the first invocation. */
let container: { config: IngestEnv; buckets: IngestBuckets; stores: IngestStores } | undefined;
function containerOf() {
  if (container) return container;
  const config = ingestEnv.parse(process.env);
  const buckets = {
    landing: config.LANDING_BUCKET,
    trusted: config.TRUSTED_BUCKET,
    quarantine: config.QUARANTINE_BUCKET,
  };
  // Keys are the core's own (`trusted/…`, `quarantine/<landing key>/…`), at each bucket's root.
  const stores = {
    landing: new S3ObjectStore({ client: s3, bucket: buckets.landing }),
    trusted: new S3ObjectStore({ client: s3, bucket: buckets.trusted }),
    quarantine: new S3ObjectStore({ client: s3, bucket: buckets.quarantine }),
  };
  return (container = { config, buckets, stores });
}

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
  const { config, buckets, stores } = containerOf();
  const { source, etag, ingestDate } = request.parse(event);
  if (source.bucket !== buckets.landing)
    throw new UserFacingError(`files are ingested from the landing bucket, not s3://${source.bucket}`);
  const outcome = await ingestFile(stores, {
    key: source.key,
    etag,
    ingestDate,
    maxBadShare: config.MAX_BAD_SHARE,
    normalise: { defaultRegion: config.PHONE_REGION },
  });
  const result = ingestEventOf(outcome, buckets);
  // Counts and line numbers only: no cell value reaches the logs.
  const counts = 'counts' in result.detail ? result.detail.counts : undefined;
  logger.info('file ingested', { key: source.key, status: result.status, counts });
  return result;
}
