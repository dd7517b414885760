import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { logger } from '../adapters/logger';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { buildAudiences, objectStoreSink } from '../core/activation';
import type { BuildResult } from '../core/destinations/activation-outcome';
import { mergeBuilds } from '../core/destinations/merge-builds';
import { UserFacingError } from '../core/errors';

const s3 = new S3Client({});
const trustedBucket = process.env.TRUSTED_BUCKET ?? '';
const audiencesPrefix = process.env.AUDIENCES_PREFIX ?? 'audiences/';
const holdoutPercent = Number(process.env.HOLDOUT_PERCENT ?? '0');
const target = new S3ObjectStore({ client: s3, bucket: trustedBucket });

const location = z.object({ bucket: z.string().min(1), key: z.string() });
const jobName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/, 'is not a Personalize job name');
const buildResult: z.ZodType<BuildResult> = z.object({
  manifest: location,
  audiences: z.array(
    z.object({
      name: z.string(),
      query: z.string(),
      size: z.number(),
      holdoutSize: z.number(),
      unresolvedUsers: z.number(),
      importKey: z.string(),
    }),
  ),
  skippedLines: z.number(),
});
const input = z.union([
  /** Build one `.out` part of a job that the workflow fans out. */
  z.object({ jobName, output: location, part: z.string().min(1) }),
  /** Join the parts' results. */
  z.object({ jobName, merge: z.array(buildResult) }),
  /** Build the job's only part, or say it has several. */
  z.object({ jobName, output: location }),
]);

/** What the build step returns: the audiences, or the parts to fan out over. */
export type BuildOutput = BuildResult | { readonly fanOut: true; readonly parts: readonly string[] };

/**
 * Streams a batch segment job's `.out` output into audience files and a manifest. A job with one
 * `.out` file is built here in one go; with several, it returns them and the workflow fans out
 * (Distributed Map), calling back once per part and once to merge.
 */
export async function handler(event: unknown): Promise<BuildOutput> {
  const request = input.parse(event);
  if ('merge' in request) {
    const key = `${audiencesPrefix}${request.jobName}/manifest.json`;
    const { result, index } = mergeBuilds(request.jobName, request.merge, { bucket: trustedBucket, key });
    await target.put(key, JSON.stringify(index, null, 2), { contentType: 'application/json' });
    return result;
  }
  if ('part' in request) return buildPart(request.jobName, request.output.bucket, request.part, true);

  const parts: string[] = [];
  const source = new S3ObjectStore({ client: s3, bucket: request.output.bucket });
  for await (const object of source.list(request.output.key))
    if (object.key.endsWith('.out')) parts.push(object.key);
  if (parts.length === 0)
    throw new UserFacingError(`no .out file under s3://${request.output.bucket}/${request.output.key}`);
  if (parts.length > 1) return { fanOut: true, parts };
  return buildPart(request.jobName, request.output.bucket, parts[0]!, false);
}

async function buildPart(
  jobName: string,
  bucket: string,
  key: string,
  ofMany: boolean,
): Promise<BuildResult> {
  // Parts of one job get their own folder and names (`…--<job>-<part>`), so they never collide.
  const partJob = ofMany
    ? `${jobName}-${key
        .split('/')
        .pop()!
        .replace(/\.out$/, '')
        .replace(/[^A-Za-z0-9_-]/g, '-')}`
    : jobName;
  const root = `${audiencesPrefix}${jobName}/${ofMany ? `${partJob}/` : ''}`;
  const source = new S3ObjectStore({ client: s3, bucket });
  const manifest = await buildAudiences(await source.get(key), objectStoreSink(target, root), {
    jobName: partJob,
    source: `s3://${bucket}/${key}`,
    holdoutPercent,
  });
  logger.info('audiences built', {
    source: key,
    audiences: manifest.audiences.length,
    totals: manifest.totals,
  });
  return {
    manifest: { bucket: trustedBucket, key: root + manifest.manifestKey },
    audiences: manifest.audiences.map((a) => ({
      name: a.name,
      query: a.query,
      size: a.size,
      holdoutSize: a.holdoutSize,
      unresolvedUsers: a.unresolvedUsers,
      importKey: root + a.files.import,
    })),
    skippedLines: manifest.totals.skippedLines,
  };
}
