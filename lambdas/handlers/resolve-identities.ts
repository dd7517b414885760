import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';
import type { DetailOf, EVENTS } from '../core/events/catalog';
import { identitiesResolvedOf } from '../core/identity/identity-event';
import { resolveTrustedIdentities } from '../core/identity/identity-run';

const s3 = new S3Client({});
const env = z.object({ TRUSTED_BUCKET: z.string().min(1) });

/**
 * Resolves every identity in the trusted zone (CRM customers, store receipts, web devices) into
 * `trusted/identity/`, keeping existing customer IDs, and returns the `Identities Resolved` detail.
 */
export async function handler(): Promise<DetailOf<typeof EVENTS.identitiesResolved>> {
  const { TRUSTED_BUCKET } = env.parse(process.env);
  const summary = await resolveTrustedIdentities(new S3ObjectStore({ client: s3, bucket: TRUSTED_BUCKET }));
  const { records, bySource, profiles, merges, reviewPairs, keptIds } = summary;
  logger.info('identities resolved', { records, bySource, profiles, merges, reviewPairs, keptIds });
  return identitiesResolvedOf(summary, TRUSTED_BUCKET);
}
