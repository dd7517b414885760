import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { startEnv } from '../adapters/ingestion-env';
import { startExecutionOnce } from '../adapters/start-execution';
import { ingestExecutionName } from '../core/ingest/execution-names';

const sfn = new SFNClient({});

/** The part of S3's `Object Created` EventBridge event we use. */
const objectCreated = z.object({
  detail: z.object({
    object: z.object({ key: z.string().startsWith('privacy/requests/'), etag: z.string().min(1) }),
  }),
});

/**
 * Starts the privacy workflow for a request file under a name made of its key and ETag (the
 * ingest workflow's naming), so a re-delivered S3 event never runs the request twice. The name is
 * the request ID of the records and exports.
 */
export async function handler(event: unknown): Promise<{ execution: string; result: string }> {
  const { STATE_MACHINE_ARN } = startEnv.parse(process.env);
  const { key, etag } = objectCreated.parse(event).detail.object;
  const name = ingestExecutionName(key, etag);
  const result = await startExecutionOnce(sfn, STATE_MACHINE_ARN, name, { key });
  logger.info('privacy workflow start', { execution: name, result });
  return { execution: name, result };
}
