import { CustomerProfilesClient } from '@aws-sdk/client-customer-profiles';
import { PinpointClient } from '@aws-sdk/client-pinpoint';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { CustomerProfilesEraser, PinpointEraser } from '../adapters/destination-erasers';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { type DestinationEraser, eraseFromDestination } from '../core/privacy/other-stores';
import type { StoreOutcome } from '../core/privacy/request-record';

const envSchema = z.discriminatedUnion('DESTINATION', [
  z.object({
    DESTINATION: z.literal('connect-customer-profiles'),
    TRUSTED_BUCKET: z.string().min(1),
    DOMAIN_NAME: z.string().min(1),
    /** The profile key the Connect writer matches user IDs on. */
    PROFILE_KEY_NAME: z.string().min(1).default('_account'),
  }),
  z.object({
    DESTINATION: z.literal('pinpoint'),
    TRUSTED_BUCKET: z.string().min(1),
    PINPOINT_APPLICATION_ID: z.string().regex(/^[a-f0-9]{32}$/),
  }),
]);

/** The USER_ID file the lake step wrote for the erasure (the IDs never enter the workflow's state). */
const input = z.object({ usersKey: z.string().regex(/^privacy\/deletions\/[A-Za-z0-9._-]+\/[^/]+\.csv$/) });

const s3 = new S3Client({});
const profiles = new CustomerProfilesClient({});
const pinpoint = new PinpointClient({});

/**
 * The activation destination's branch of the privacy workflow: deletes every user of the
 * erasure's USER_ID file from the destination, one user at a time; a user that fails is counted
 * and the others go on. Returns the StoreOutcome (counts and error names, no IDs).
 */
export async function handler(event: unknown): Promise<StoreOutcome> {
  const env = envSchema.parse(process.env);
  const { usersKey } = input.parse(event);
  const eraser: DestinationEraser =
    env.DESTINATION === 'pinpoint'
      ? new PinpointEraser(pinpoint, env.PINPOINT_APPLICATION_ID)
      : new CustomerProfilesEraser(profiles, env.DOMAIN_NAME, env.PROFILE_KEY_NAME);
  const trusted = new S3ObjectStore({ client: s3, bucket: env.TRUSTED_BUCKET });
  const outcome = await eraseFromDestination(trusted, usersKey, eraser);
  logger.info('privacy destination erasure', {
    destination: env.DESTINATION,
    status: outcome.status,
    deleted: outcome.rows,
  });
  return outcome;
}
