import { type S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { readSuppression, type SuppressionList } from '../core/privacy/suppression';
import { S3ObjectStore } from './s3-object-store';
import { SecretsManagerPrivacySalt } from './secrets-manager-privacy-salt';

/** Where a cloud Lambda finds the suppression list and its salt (set by lib/constructs/suppression-reader.ts). */
export const suppressionEnv = z.object({
  /** The bucket whose `privacy/suppressed/` holds the list (the trusted bucket). */
  SUPPRESSION_BUCKET: z.string().min(1),
  /** The Secrets Manager secret (name or ARN) holding the privacy salt as hex. */
  PRIVACY_SALT_SECRET: z.string().min(1),
});

let salt: SecretsManagerPrivacySalt | undefined;

/**
 * The suppression list, as the privacy workflow wrote it, for this invocation: read afresh each
 * time (an erasure must take effect without waiting for a cold start), while the salt is read from
 * Secrets Manager once per container, and only when the list has an object.
 */
export async function cloudSuppression(s3: S3Client): Promise<SuppressionList | undefined> {
  const env = suppressionEnv.parse(process.env);
  salt ??= new SecretsManagerPrivacySalt(new SecretsManagerClient({}), env.PRIVACY_SALT_SECRET);
  return readSuppression(new S3ObjectStore({ client: s3, bucket: env.SUPPRESSION_BUCKET }), salt);
}
