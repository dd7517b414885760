import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { privacySegmentEnv } from '../adapters/privacy-segment-env';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { SegmentPublicApiRegulations } from '../adapters/segment-public-api';
import { PUBLIC_API_TOKEN, segmentSecretReader } from '../adapters/segment-write-key';
import { UserFacingError } from '../core/errors';
import type { StoreOutcome } from '../core/privacy/request-record';
import {
  eraseFromSegment,
  manualSegmentOutcome,
  SEGMENT_ACTION,
  SEGMENT_STORE,
  skippedSegmentOutcome,
} from '../core/privacy/segment-regulation';

const s3 = new S3Client({});
const readToken = segmentSecretReader(new SecretsManagerClient({}), PUBLIC_API_TOKEN);

/** The workflow's state after the lake step: only the erasure's request and deletion file are read. */
const input = z.object({
  lake: z.object({
    erasure: z
      .object({
        requestId: z.string().regex(/^[A-Za-z0-9._-]{1,120}$/),
        personalizeUsersKey: z.string().startsWith('privacy/deletions/').optional(),
        error: z.string().optional(),
      })
      .optional(),
  }),
});

/**
 * The Segment step of a privacy erasure: a SUPPRESS_WITH_DELETE regulation of the user IDs in the
 * lake step's deletion file, or, without a Public API token, the `manual` outcome saying how to
 * do it by hand. Returns the StoreOutcome; logs counts only.
 */
export async function handler(
  event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<StoreOutcome> {
  const env = privacySegmentEnv.parse(process.env);
  const { erasure } = input.parse(event).lake;
  if (!erasure) return skippedSegmentOutcome('no erase row in the request');
  if (erasure.error) return skippedSegmentOutcome('the lake erasure failed, so the user IDs are not known');
  // The Segment sync sends the CRM customer ID as userId: the same IDs as Personalize's USER_ID file.
  const usersKey = erasure.personalizeUsersKey;
  if (!usersKey) return skippedSegmentOutcome('no customer ID was found for the subjects: nothing to delete');
  if (!env.SEGMENT_PUBLIC_API_TOKEN_SECRET)
    return manualSegmentOutcome(`s3://${env.TRUSTED_BUCKET}/${usersKey}`);
  let token: string;
  try {
    token = await readToken(env.SEGMENT_PUBLIC_API_TOKEN_SECRET);
  } catch (error) {
    logger.error('cannot read the Segment Public API token', { error });
    const reason = error instanceof UserFacingError ? error.message : 'the token secret could not be read';
    return {
      store: SEGMENT_STORE,
      action: SEGMENT_ACTION,
      status: 'failed',
      detail: `${reason}. Nothing was sent; the user IDs are in s3://${env.TRUSTED_BUCKET}/${usersKey}.`,
    };
  }
  const regulations = new SegmentPublicApiRegulations({
    token,
    region: env.SEGMENT_REGION,
    ...(env.SEGMENT_PUBLIC_API_ENDPOINT ? { endpoint: env.SEGMENT_PUBLIC_API_ENDPOINT } : {}),
    onRetry: (retry) => logger.info('retrying a Segment regulation', retry),
    // Keep the batch rather than wait past the point where this invocation can still write it.
    mustGiveUp: (delayMs) => context.getRemainingTimeInMillis() - delayMs < env.STOP_MARGIN_MS,
  });
  const trusted = new S3ObjectStore({ client: s3, bucket: env.TRUSTED_BUCKET });
  const result = await eraseFromSegment(
    { regulations, store: trusted },
    { requestId: erasure.requestId, usersKey },
  );
  logger.info('privacy segment step', {
    requestId: erasure.requestId,
    status: result.outcome.status,
    userIds: result.outcome.rows ?? 0,
    regulations: result.regulateIds.length,
    keptBatches: result.keptKeys.length,
    requests: regulations.requests,
  });
  return result.outcome;
}
