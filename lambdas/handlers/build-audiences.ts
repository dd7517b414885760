import { S3Client } from '@aws-sdk/client-s3';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';
import type { BuildResult } from '../core/destinations/activation-outcome';
import { buildRequest } from '../core/destinations/build-request';
import { buildPart, mergeParts, outputParts, type JobTarget } from '../core/destinations/build-job';

const s3 = new S3Client({});
const bucket = process.env.TRUSTED_BUCKET ?? '';
const target: JobTarget = {
  store: new S3ObjectStore({ client: s3, bucket }),
  bucket,
  prefix: process.env.AUDIENCES_PREFIX ?? 'audiences/',
  holdoutPercent: Number(process.env.HOLDOUT_PERCENT ?? '0'),
};

/** What the build step returns: the audiences, or the parts to fan out over. */
export type BuildOutput = BuildResult | { readonly fanOut: true; readonly parts: readonly string[] };

/**
 * Streams a batch segment job's `.out` output into audience files and a manifest. A job with one
 * `.out` file is built in one go; with several, the parts go back to the workflow, which fans out
 * (Distributed Map) and calls again once per part and once to merge.
 */
export async function handler(event: unknown): Promise<BuildOutput> {
  const request = buildRequest.parse(event);
  if ('merge' in request) return mergeParts(request.jobName, request.merge, target);
  const source = {
    store: new S3ObjectStore({ client: s3, bucket: request.output.bucket }),
    bucket: request.output.bucket,
  };
  const parts =
    'part' in request ? [request.part] : await outputParts(source.store, source.bucket, request.output.key);
  if (parts.length > 1) return { fanOut: true, parts };
  const { totals, ...result } = await buildPart(
    request.jobName,
    { ...source, key: parts[0]! },
    target,
    'part' in request,
  );
  logger.info('audiences built', { jobName: request.jobName, part: parts[0], totals });
  return result;
}
