import { CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { cloudSuppression } from '../adapters/cloud-suppression';
import { connectEnvSchema } from '../adapters/connect-env';
import { CustomerProfilesMembership } from '../adapters/customer-profiles-membership';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { SqsChangeQueue } from '../adapters/sqs-change-queue';
import {
  appliedKey,
  audienceTarget,
  countReceipts,
  enqueueChanges,
  readAudienceIds,
  settleAudience,
} from '../core/membership';
import type { ObjectStore } from '../core/ports/object-store';
import { suppressedIdsOf } from '../core/privacy/suppression';

/**
 * The per-audience steps of the Connect branch of the activation workflow:
 *  - `queue`: create the audience's object type and segment definition if missing, diff this run
 *    against the last applied members and queue the changes (returns the batches to wait for);
 *  - `progress`: count the writer's receipts;
 *  - `settle`: sum the receipts, record what is applied, and check the segment's size.
 */
const audience = z.object({ name: z.string(), audienceKey: z.string().min(1), importKey: z.string().min(1) });
const request = z.discriminatedUnion('step', [
  z.object({ step: z.literal('queue'), run: z.string().min(1), audience }),
  z.object({ step: z.literal('progress'), run: z.string().min(1), audience }),
  z.object({
    step: z.literal('settle'),
    run: z.string().min(1),
    audience,
    expected: z.number().int().nonnegative(),
  }),
]);
const env = z.object({ QUEUE_URL: z.string().min(1), HOLDOUT_PERCENT: z.coerce.number().min(0).max(50) });

const s3 = new S3Client({});
const sqs = new SQSClient({});
// The SDK's own retries stay on here: these are a few calls per audience, not the bulk writes.
const profiles = new CustomerProfilesClient({});
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** GetSegmentEstimate polls: 40 × 15 s = 10 minutes, inside the function's 15-minute timeout. */
export const ESTIMATE_POLLS = 40;
export const ESTIMATE_POLL_INTERVAL_MS = 15_000;
/** A difference of up to 1 % between expected and estimated is a match. */
export const ESTIMATE_TOLERANCE = 0.01;

export async function handler(event: unknown) {
  const config = { ...connectEnvSchema.parse(process.env), ...env.parse(process.env) };
  const input = request.parse(event);
  const trusted = new S3ObjectStore({ client: s3, bucket: config.TRUSTED_BUCKET });
  const state = new S3ObjectStore({
    client: s3,
    bucket: config.TRUSTED_BUCKET,
    prefix: config.CONNECT_STATE_PREFIX,
  });
  const membership = new CustomerProfilesMembership({
    client: profiles,
    domainName: config.DOMAIN_NAME,
    allowProfileCreation: config.ALLOW_PROFILE_CREATION,
  });
  const { audienceKey, importKey } = input.audience;
  if (input.step === 'progress') return { receipts: await countReceipts(state, input.run, audienceKey) };

  // The build step already left erased subjects out of the import file; an audience applied before
  // the erasure may still list them, and no change (not even a leave) names them.
  const suppressed = suppressedIdsOf(await cloudSuppression(s3));
  const ids = (store: ObjectStore, key: string) =>
    async function* () {
      for await (const id of readAudienceIds(await store.get(key), key)) if (!suppressed?.(id)) yield id;
    };

  if (input.step === 'queue') {
    await membership.prepare(audienceTarget(audienceKey));
    const previous = appliedKey(audienceKey);
    const hasPrevious = (await state.head(previous)) !== undefined;
    const queued = await enqueueChanges(
      input.run,
      audienceKey,
      {
        current: ids(trusted, importKey),
        ...(hasPrevious ? { previous: ids(state, previous) } : {}),
        holdout: { audienceKey, percent: config.HOLDOUT_PERCENT },
      },
      new SqsChangeQueue(sqs, config.QUEUE_URL),
    );
    logger.info('changes queued', { audienceKey, batches: queued.batches, ...queued.diff });
    return queued;
  }

  const settled = await settleAudience(
    { run: input.run, audienceKey, current: ids(trusted, importKey), expected: input.expected },
    state,
    membership,
    {
      maxPolls: ESTIMATE_POLLS,
      pollIntervalMs: ESTIMATE_POLL_INTERVAL_MS,
      tolerance: ESTIMATE_TOLERANCE,
      sleep,
    },
  );
  logger.info('audience settled', { audienceKey, ...settled.writes, size: settled.size.status });
  return settled;
}
