import { S3Client } from '@aws-sdk/client-s3';
import type { IngestBuckets } from '../core/ingest/ingest-events';
import type { IngestStores } from '../core/ingest/ingest-file';
import type { SuppressionList } from '../core/privacy/suppression';
import { cloudSuppression } from './cloud-suppression';
import { ingestEnv, type IngestEnv } from './ingestion-env';
import { S3ObjectStore } from './s3-object-store';

/** What the ingest Lambdas build once per container: their configuration and the three zones. */
export interface IngestContainer {
  readonly config: IngestEnv;
  readonly buckets: IngestBuckets;
  readonly stores: IngestStores;
  /** The suppression list for this invocation (erased subjects' rows are dropped), or undefined. */
  readonly suppression: () => Promise<SuppressionList | undefined>;
}

let container: IngestContainer | undefined;

/**
 * The configuration and the three zones, built on the first invocation and kept for the
 * container's life. Keys are the core's own (`trusted/…`, `quarantine/<landing key>/…`), at each
 * bucket's root.
 */
export function ingestContainer(): IngestContainer {
  if (container) return container;
  const config = ingestEnv.parse(process.env);
  const buckets = {
    landing: config.LANDING_BUCKET,
    trusted: config.TRUSTED_BUCKET,
    quarantine: config.QUARANTINE_BUCKET,
  };
  const s3 = new S3Client({});
  const stores = {
    landing: new S3ObjectStore({ client: s3, bucket: buckets.landing }),
    trusted: new S3ObjectStore({ client: s3, bucket: buckets.trusted }),
    quarantine: new S3ObjectStore({ client: s3, bucket: buckets.quarantine }),
  };
  return (container = { config, buckets, stores, suppression: () => cloudSuppression(s3) });
}
