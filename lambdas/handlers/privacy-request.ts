import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { privacyEnv } from '../adapters/privacy-env';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { SecretsManagerPrivacySalt } from '../adapters/secrets-manager-privacy-salt';
import { type DetailOf, EVENTS } from '../core/events/catalog';
import { readObjectText } from '../core/ports/object-store';
import type { PrivacyZone } from '../core/privacy/privacy-request';
import { type RequestFileOutcome, runRequestFile } from '../core/privacy/request-file';

const s3 = new S3Client({});
const secrets = new SecretsManagerClient({});
let salt: SecretsManagerPrivacySalt | undefined;

/** What the workflow passes: the request file in the landing bucket and the execution's name. */
const input = z.object({
  key: z.string().startsWith('privacy/requests/'),
  requestId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
});

export type PrivacyRequestResult = RequestFileOutcome & {
  /** Per access row, a pre-signed GET URL of its Markdown and JSON exports (short-lived). */
  readonly accessUrls: readonly { line: number; markdown: string; json: string }[];
  readonly trustedBucket: string;
  readonly failed: boolean;
  /** The detail of `Privacy Request Completed`/`Failed`, as the workflow publishes it. */
  readonly detail: DetailOf<typeof EVENTS.privacyRequestCompleted>;
};

/**
 * The lake step of the privacy workflow: reads the request file from the landing bucket, runs
 * every row with the core (access exports, one erasure pass with the suppression list), signs a
 * short-lived URL per export. Logs and the result hold counts, keys and line numbers only.
 */
export async function handler(event: unknown): Promise<PrivacyRequestResult> {
  const env = privacyEnv.parse(process.env);
  const { key, requestId } = input.parse(event);
  salt ??= new SecretsManagerPrivacySalt(secrets, env.PRIVACY_SALT_SECRET);
  const landing = new S3ObjectStore({ client: s3, bucket: env.LANDING_BUCKET });
  const trusted = new S3ObjectStore({ client: s3, bucket: env.TRUSTED_BUCKET });
  const zones: PrivacyZone[] = [
    { name: 'landing', store: landing },
    { name: 'trusted', store: trusted },
  ];
  if (env.QUARANTINE_BUCKET)
    zones.push({
      name: 'quarantine',
      store: new S3ObjectStore({ client: s3, bucket: env.QUARANTINE_BUCKET }),
    });
  const normalise = { defaultRegion: env.PHONE_REGION };
  const outcome = await runRequestFile(
    { trusted, zones },
    {
      requestId,
      text: await readObjectText(landing, key),
      salt: await salt.salt(),
      now: () => new Date(),
      normalise,
    },
  );
  const sign = (objectKey: string) =>
    getSignedUrl(s3, new GetObjectCommand({ Bucket: env.TRUSTED_BUCKET, Key: objectKey }), {
      expiresIn: env.EXPORT_URL_SECONDS,
    });
  const accessUrls: { line: number; markdown: string; json: string }[] = [];
  for (const access of outcome.accesses) {
    if (!access.export) continue;
    accessUrls.push({
      line: access.line,
      markdown: await sign(access.export.markdown),
      json: await sign(access.export.json),
    });
  }
  const failed = outcome.accesses.some((a) => a.error) || Boolean(outcome.erasure?.error);
  logger.info('privacy request file', {
    requestId,
    invalidRows: outcome.invalidRows.length,
    accesses: outcome.accesses.length,
    erased: outcome.erasure?.lines.length ?? 0,
    rowsRemoved: outcome.erasure?.rowsRemoved ?? 0,
    failed,
  });
  const detail = EVENTS.privacyRequestCompleted.schema.parse({
    request: requestId,
    invalidRows: outcome.invalidRows,
    accesses: outcome.accesses.map((a) => {
      const urls = accessUrls.find((u) => u.line === a.line);
      return { line: a.line, markdownUrl: urls?.markdown, jsonUrl: urls?.json, error: a.error };
    }),
    erasure: outcome.erasure && {
      lines: outcome.erasure.lines,
      rowsRemoved: outcome.erasure.rowsRemoved,
      objectsRewritten: outcome.erasure.objectsRewritten,
      objectsDeleted: outcome.erasure.objectsDeleted,
      error: outcome.erasure.error,
    },
    // The stores outside the lake are not automated yet: say so, with what to do.
    stores:
      outcome.erasure && !outcome.erasure.error
        ? [
            {
              store: 'Amazon Personalize',
              status: 'by hand',
              note: outcome.erasure.personalizeUsersKey
                ? `start a data deletion job on the dataset group with s3://${env.TRUSTED_BUCKET}/${outcome.erasure.personalizeUsersKey}`
                : 'no customer ID was found for the subjects: nothing to delete',
            },
            {
              store: 'Customer Profiles / Pinpoint',
              status: 'by hand',
              note: 'delete the profiles or user endpoints of the customer IDs in the same file',
            },
            {
              store: 'Twilio Segment',
              status: 'by hand',
              note: 'create a SUPPRESS_WITH_DELETE regulation for the same user IDs in the Segment workspace',
            },
          ]
        : [],
    urlsExpireAt:
      accessUrls.length > 0 ? new Date(Date.now() + env.EXPORT_URL_SECONDS * 1000).toISOString() : undefined,
  });
  return { ...outcome, accessUrls, trustedBucket: env.TRUSTED_BUCKET, failed, detail };
}
