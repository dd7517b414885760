import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { startEnv } from '../adapters/ingestion-env';
import { startExecutionOnce } from '../adapters/start-execution';
import { ingestExecutionName } from '../core/ingest/execution-names';

const sfn = new SFNClient({});

/** The part of S3's `Object Created` EventBridge event we use. */
const objectCreated = z.object({
  time: z.iso.datetime(),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), etag: z.string().min(1), size: z.number().optional() }),
  }),
});

/**
 * Starts the ingest workflow for a new landing object under a name derived from its key and ETag,
 * so a re-delivered S3 event (or the same event twice) never ingests the file a second time.
 */
export async function handler(event: unknown): Promise<{ execution: string; result: string }> {
  const { STATE_MACHINE_ARN } = startEnv.parse(process.env);
  const { time, detail } = objectCreated.parse(event);
  const { key, etag, size } = detail.object;
  const name = ingestExecutionName(key, etag);
  const result = await startExecutionOnce(sfn, STATE_MACHINE_ARN, name, {
    source: { bucket: detail.bucket.name, key },
    etag,
    // The day S3 created the object: a re-delivered event carries the same time, so the same input.
    ingestDate: time.slice(0, 10),
  });
  logger.info('ingest workflow start', { key, size, execution: name, result });
  return { execution: name, result };
}
