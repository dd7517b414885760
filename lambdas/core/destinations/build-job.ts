import { createHash } from 'node:crypto';
import type { ObjectStore } from '../ports/object-store';
import { buildAudiences, objectStoreSink } from '../activation';
import { UserFacingError } from '../errors';
import type { BuildResult } from './activation-outcome';
import { mergeBuilds } from './merge-builds';

/** Where a job's audiences go: the trusted store, its bucket name (for the result), and the prefix. */
export interface JobTarget {
  readonly store: ObjectStore;
  readonly bucket: string;
  /** e.g. `audiences/` */
  readonly prefix: string;
  readonly holdoutPercent: number;
  /** Erased subjects (privacy): user IDs never written to an audience. */
  readonly suppressed?: (userId: string) => boolean;
}

/** The `.out` parts of a batch segment job's output, in key order. */
export async function outputParts(source: ObjectStore, bucket: string, prefix: string): Promise<string[]> {
  const parts: string[] = [];
  for await (const object of source.list(prefix)) if (object.key.endsWith('.out')) parts.push(object.key);
  if (parts.length === 0) throw new UserFacingError(`no .out file under s3://${bucket}/${prefix}`);
  return parts;
}

/**
 * Builds the audiences of one `.out` part. A part of a job with several gets its own folder and
 * names (`…--<job>-<part>`), so parts never collide.
 */
export async function buildPart(
  jobName: string,
  source: { readonly store: ObjectStore; readonly bucket: string; readonly key: string },
  target: JobTarget,
  ofMany: boolean,
): Promise<BuildResult & { totals: { lines: number; audiences: number; skippedLines: number } }> {
  // Readable, and unique: `a.b.out` and `a-b.out` clean up alike, so a short hash of the key follows.
  const cleaned = source.key
    .split('/')
    .pop()!
    .replace(/\.out$/, '')
    .replace(/[^A-Za-z0-9_-]/g, '-');
  const partName = `${cleaned}-${createHash('sha256').update(source.key).digest('hex').slice(0, 6)}`;
  const partJob = ofMany ? `${jobName}-${partName}` : jobName;
  const root = `${target.prefix}${jobName}/${ofMany ? `${partJob}/` : ''}`;
  const manifest = await buildAudiences(
    await source.store.get(source.key),
    objectStoreSink(target.store, root),
    {
      jobName: partJob,
      source: `s3://${source.bucket}/${source.key}`,
      holdoutPercent: target.holdoutPercent,
      suppressed: target.suppressed,
    },
  );
  return {
    manifest: { bucket: target.bucket, key: root + manifest.manifestKey },
    audiences: manifest.audiences.map((a) => ({
      name: a.name,
      audienceKey: a.audienceKey,
      query: a.query,
      size: a.size,
      holdoutSize: a.holdoutSize,
      unresolvedUsers: a.unresolvedUsers,
      importKey: root + a.files.import,
    })),
    skippedLines: manifest.totals.skippedLines,
    totals: {
      lines: manifest.totals.lines,
      audiences: manifest.totals.audiences,
      skippedLines: manifest.totals.skippedLines,
    },
  };
}

/** Joins the parts' results and writes `audiences/<job>/manifest.json` as an index of their manifests. */
export async function mergeParts(
  jobName: string,
  parts: readonly BuildResult[],
  target: JobTarget,
): Promise<BuildResult> {
  const key = `${target.prefix}${jobName}/manifest.json`;
  const { result, index } = mergeBuilds(jobName, parts, { bucket: target.bucket, key });
  await target.store.put(key, JSON.stringify(index, null, 2), { contentType: 'application/json' });
  return result;
}
