import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { prepareTrainingRun, type PrepareResult } from '../core/training/prepare-run';

const s3 = new S3Client({});
const trustedBucket = process.env.TRUSTED_BUCKET ?? '';
const trusted = new S3ObjectStore({ client: s3, bucket: trustedBucket });

const request = z.object({ bucket: z.string().min(1), key: z.string().min(1), etag: z.string().min(1) });

/** Pre-flight, validated copies and job inputs of a training run; returns the plan or every problem. */
export async function handler(event: unknown, context: Context): Promise<PrepareResult> {
  const { bucket, key, etag } = request.parse(event);
  // arn:<partition>:lambda:<region>:<account>:function:<name>
  const [, partition, , region, account] = context.invokedFunctionArn.split(':');
  const result = await prepareTrainingRun(
    { landing: new S3ObjectStore({ client: s3, bucket }), trusted },
    { key, etag, partition: partition!, region: region!, account: account!, trustedBucket },
  );
  logger.info('training run prepared', {
    ok: result.ok,
    ...(result.ok
      ? {
          datasets: result.plan.datasets.length,
          jobs: result.plan.jobs.length,
          skippedRows: result.skippedRows,
        }
      : { problems: result.problems.length + result.moreProblems }),
  });
  return result;
}
