import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { executionNameOf } from '../core/training/prepare-run';

const sfn = new SFNClient({});
const stateMachineArn = process.env.STATE_MACHINE_ARN ?? '';

const objectCreated = z.object({
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: z.string().min(1), etag: z.string().min(1) }),
  }),
});

/**
 * Starts the training workflow for an uploaded training.json, named from its key and ETag: a
 * re-delivered S3 event finds the execution already there and starts nothing.
 */
export async function handler(event: unknown): Promise<{ started: boolean; name: string }> {
  const { bucket, object } = objectCreated.parse(event).detail;
  const name = executionNameOf(object.key, object.etag);
  try {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name,
        input: JSON.stringify({ bucket: bucket.name, key: object.key, etag: object.etag }),
      }),
    );
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    logger.info('training run already started for this content', { name });
    return { started: false, name };
  }
  logger.info('training run started', { name });
  return { started: true, name };
}
