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
import {
  type BranchResult,
  closeRecord,
  flattenOutcomes,
  type OtherStoresPlan,
  planOtherStores,
  storeLines,
  trainedDatasetGroups,
} from '../core/privacy/other-stores';
import type { StoreOutcome } from '../core/privacy/request-record';
import { type RequestFileOutcome, runRequestFile } from '../core/privacy/request-file';

const s3 = new S3Client({});
const secrets = new SecretsManagerClient({});
let salt: SecretsManagerPrivacySalt | undefined;

const requestId = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/);
/** What the workflow passes: the request file in the landing bucket and the execution's name. */
const input = z.object({ key: z.string().startsWith('privacy/requests/'), requestId });

const storeOutcome = z.object({
  store: z.string(),
  action: z.string(),
  objects: z.number().int().nonnegative().optional(),
  rows: z.number().int().nonnegative().optional(),
  status: z.enum(['done', 'failed', 'pending', 'manual', 'skipped']),
  detail: z.string().optional(),
});
/**
 * The last step: the lake step's result, and the output of every branch of the stores' Parallel
 * state (a StoreOutcome, or a list of them), in branch order.
 */
const finishInput = z.object({
  mode: z.literal('finish'),
  requestId,
  failed: z.boolean(),
  detail: z.record(z.string(), z.unknown()),
  plan: z.object({ recordRequestId: z.string().optional(), erased: z.boolean() }),
  outcomes: z.array(z.union([storeOutcome, z.array(storeOutcome)])),
});

export type PrivacyRequestResult = RequestFileOutcome & {
  /** Per access row, a pre-signed GET URL of its Markdown and JSON exports (short-lived). */
  readonly accessUrls: readonly { line: number; markdown: string; json: string }[];
  readonly trustedBucket: string;
  readonly failed: boolean;
  /** The detail of `Privacy Request Completed`/`Failed`, as the workflow publishes it. */
  readonly detail: DetailOf<typeof EVENTS.privacyRequestCompleted>;
  /** What the stores' branches do (and why one is skipped), with no personal data. */
  readonly stores: OtherStoresPlan & {
    readonly recordRequestId?: string;
    /** The erasure's USER_ID file, for every store branch (the Segment regulation too). */
    readonly usersKey?: string;
    readonly erased: boolean;
  };
};

/** The finish step's result: the event detail with every store, and whether the request failed. */
export interface PrivacyFinishResult {
  readonly failed: boolean;
  readonly status: 'open' | 'completed' | 'failed';
  readonly detail: DetailOf<typeof EVENTS.privacyRequestCompleted>;
}

/**
 * The lake step of the privacy workflow: reads the request file from the landing bucket, runs
 * every row with the core (access exports, one erasure pass with the suppression list), signs a
 * short-lived URL per export. Logs and the result hold counts, keys and line numbers only.
 */
export async function handler(event: { key: string; requestId: string }): Promise<PrivacyRequestResult>;
export async function handler(event: z.input<typeof finishInput>): Promise<PrivacyFinishResult>;
export async function handler(event: unknown): Promise<PrivacyRequestResult | PrivacyFinishResult> {
  if ((event as { mode?: unknown } | null)?.mode === 'finish') return finish(finishInput.parse(event));
  return lake(event);
}

async function lake(event: unknown): Promise<PrivacyRequestResult> {
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
      // The finish step closes the erasure's record once the stores outside the lake answered.
      leaveErasureOpen: true,
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
    // The stores outside the lake: the finish step lists each one's outcome.
    stores: [],
    urlsExpireAt:
      accessUrls.length > 0 ? new Date(Date.now() + env.EXPORT_URL_SECONDS * 1000).toISOString() : undefined,
  });
  const erasure = outcome.erasure;
  const erased = Boolean(erasure && !erasure.error);
  // The trained dataset groups are listed only when there is someone to delete from them.
  const datasetGroups =
    erased && erasure?.personalizeUsersKey && env.PERSONALIZE_ARN_PREFIX
      ? await trainedDatasetGroups(trusted)
      : [];
  const plan = planOtherStores(outcome, {
    trustedBucket: env.TRUSTED_BUCKET,
    datasetGroups,
    personalizeArnPrefix: env.PERSONALIZE_ARN_PREFIX ?? '',
  });
  const stores = {
    ...plan,
    ...(erasure?.recordKey ? { recordRequestId: erasure.requestId } : {}),
    ...(erased && erasure?.personalizeUsersKey ? { usersKey: erasure.personalizeUsersKey } : {}),
    erased,
    ...(env.PERSONALIZE_ARN_PREFIX || plan.personalize.skip
      ? {}
      : { personalize: { skip: true as const, reason: 'Personalize is not configured for this function' } }),
  };
  logger.info('privacy stores planned', {
    requestId,
    datasetGroups: datasetGroups.length,
    personalize: stores.personalize.skip ? 'skipped' : 'run',
    destination: stores.destination.skip ? 'skipped' : 'run',
  });
  return { ...outcome, accessUrls, trustedBucket: env.TRUSTED_BUCKET, failed, detail, stores };
}

/**
 * Closes the request: the outcome of every store outside the lake goes into the erasure's record
 * (status, finishedAt) and into the event detail the email is made from. A store that failed fails
 * the request; one still pending (a data deletion job past the poll bound) leaves the record open
 * and fails the execution, so the alarm asks someone to look.
 */
async function finish(event: z.infer<typeof finishInput>): Promise<PrivacyFinishResult> {
  const env = privacyEnv.parse(process.env);
  const outcomes: StoreOutcome[] = flattenOutcomes(event.outcomes as BranchResult[]);
  const trusted = new S3ObjectStore({ client: s3, bucket: env.TRUSTED_BUCKET });
  let status: PrivacyFinishResult['status'] = event.failed ? 'failed' : 'completed';
  if (event.plan.recordRequestId) {
    const record = await closeRecord(trusted, event.plan.recordRequestId, outcomes, new Date());
    if (!event.failed) status = record.status;
  } else if (outcomes.some((o) => o.status === 'failed')) status = 'failed';
  const pending = outcomes.filter((o) => o.status === 'pending').map((o) => o.store);
  const failedStores = outcomes.filter((o) => o.status === 'failed').map((o) => o.store);
  const reasons = [
    failedStores.length > 0 && `failed in: ${failedStores.join(', ')}`,
    pending.length > 0 &&
      `still pending in: ${pending.join(', ')} (the record stays open; check the job and send the request again)`,
  ].filter(Boolean);
  const detail = EVENTS.privacyRequestCompleted.schema.parse({
    ...event.detail,
    stores: storeLines(outcomes, event.plan.erased),
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
  });
  logger.info('privacy request finished', {
    requestId: event.requestId,
    status,
    stores: outcomes.length,
    failedStores: failedStores.length,
    pendingStores: pending.length,
  });
  return { failed: event.failed || status !== 'completed', status, detail };
}
