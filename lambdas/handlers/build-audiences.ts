import { S3Client } from '@aws-sdk/client-s3';
import { boundedErrors } from '../adapters/bounded-errors';
import { cloudSuppression } from '../adapters/cloud-suppression';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { buildRequest } from '../core/destinations/build-request';
import { suppressedIdsOf } from '../core/privacy/suppression';
import { buildPart, outputParts, type JobTarget } from '../core/destinations/build-job';
import {
  mergePartResults,
  summariseBuild,
  writePartList,
  type BuildSummary,
  type FanOut,
} from '../core/destinations/workflow-items';

const s3 = new S3Client({});
const bucket = process.env.TRUSTED_BUCKET ?? '';
const target: JobTarget = {
  store: new S3ObjectStore({ client: s3, bucket }),
  bucket,
  prefix: process.env.AUDIENCES_PREFIX ?? 'audiences/',
  holdoutPercent: Number(process.env.HOLDOUT_PERCENT ?? '0'),
};

/** What the build step returns: a summary of the audiences, or the item file of the parts to fan out over. */
export type BuildOutput = BuildSummary | FanOut;

/**
 * Streams a batch segment job's `.out` output into audience files and a manifest. A job with one
 * `.out` file is built in one go; with several, the part list goes to S3 for the workflow's
 * Distributed Map, which calls again once per part and once to merge. Lists stay in S3: the
 * state only carries their locations and counts.
 */
export const handler = boundedErrors(async (event: unknown): Promise<BuildOutput> => {
  const request = buildRequest.parse(event);
  if ('merge' in request) return mergePartResults(target, request.jobName, request.run, request.merge);
  const source = {
    store: new S3ObjectStore({ client: s3, bucket: request.output.bucket }),
    bucket: request.output.bucket,
  };
  const parts =
    'part' in request ? [request.part] : await outputParts(source.store, source.bucket, request.output.key);
  if (parts.length > 1) return writePartList(target, request.jobName, request.run, parts);
  // Erased subjects never reach an audience file, so no destination is ever sent their ID.
  const suppressed = suppressedIdsOf(await cloudSuppression(s3));
  const { totals, ...result } = await buildPart(
    request.jobName,
    { ...source, key: parts[0]! },
    suppressed ? { ...target, suppressed } : target,
    'part' in request,
  );
  logger.info('audiences built', { jobName: request.jobName, totals });
  return summariseBuild(
    target,
    request.jobName,
    request.run,
    result,
    'part' in request ? parts[0] : undefined,
  );
});
