import { createHash } from 'node:crypto';
import { z } from 'zod';
import { UserFacingError } from '../errors';
import { readObjectText, type ObjectStore } from '../ports/object-store';
import type { BuildResult, BuiltAudience, ImportResult } from './activation-outcome';
import { mergeParts, type JobTarget } from './build-job';
import { mapRunOutput, readMapRun, type MapRunOutput } from './map-results';

/**
 * The activation workflow keeps its lists in S3, never in its state (Step Functions refuses a state
 * over 256 KB): the Distributed Maps read their items from `<audiences prefix>_map-items/…`
 * (ItemReader) and write their results under `<audiences prefix>_map-results/` (ResultWriter).
 * Job names start with a letter or digit, so neither folder can be a job's.
 */
export const ITEMS_FOLDER = '_map-items/';
export const RESULTS_FOLDER = '_map-results/';

/** An object in a bucket. */
export interface Location {
  readonly bucket: string;
  readonly key: string;
}

/** What a build step leaves in the state: where the audiences are listed, and counts. */
export interface BuildSummary {
  readonly manifest: Location;
  /** A JSON array of the audiences (BuiltAudience), the import map's item file. */
  readonly audienceList: Location;
  readonly audiences: number;
  readonly skippedLines: number;
}

/** What the build step returns for a job with several `.out` parts: the item file of the part map. */
export interface FanOut {
  readonly fanOut: true;
  /** A JSON array of the part keys. */
  readonly parts: Location;
  readonly partCount: number;
}

const location = z.object({ bucket: z.string().min(1), key: z.string().min(1) });
export const buildSummary: z.ZodType<BuildSummary> = z.object({
  manifest: location,
  audienceList: location,
  audiences: z.number().int().nonnegative(),
  skippedLines: z.number().int().nonnegative(),
});
const builtAudience: z.ZodType<BuiltAudience> = z.object({
  name: z.string(),
  query: z.string(),
  size: z.number(),
  holdoutSize: z.number(),
  unresolvedUsers: z.number(),
  importKey: z.string(),
});

function runFolder(target: JobTarget, jobName: string, run: string): string {
  return `${target.prefix}${ITEMS_FOLDER}${jobName}/${run}/`;
}

/** The key of `location` in the target's store; refuses another bucket. */
function keyIn(bucket: string, where: Location): string {
  if (where.bucket !== bucket)
    throw new UserFacingError(`s3://${where.bucket}/${where.key} is not in the trusted bucket ${bucket}`);
  return where.key;
}

/** Writes the part list of a job as the part map's item file. */
export async function writePartList(
  target: JobTarget,
  jobName: string,
  run: string,
  parts: readonly string[],
): Promise<FanOut> {
  const key = `${runFolder(target, jobName, run)}parts.json`;
  await target.store.put(key, JSON.stringify(parts), { contentType: 'application/json' });
  return { fanOut: true, parts: { bucket: target.bucket, key }, partCount: parts.length };
}

/**
 * Writes a build's audiences as an item file and returns the summary the state carries. A part of
 * a fanned-out job gets a file of its own, named by a hash of its key.
 */
export async function summariseBuild(
  target: JobTarget,
  jobName: string,
  run: string,
  result: BuildResult,
  part?: string,
): Promise<BuildSummary> {
  const name = part
    ? `parts/${createHash('sha256').update(part).digest('hex').slice(0, 16)}.json`
    : 'audiences.json';
  const key = `${runFolder(target, jobName, run)}${name}`;
  await target.store.put(key, JSON.stringify(result.audiences), { contentType: 'application/json' });
  return {
    manifest: result.manifest,
    audienceList: { bucket: target.bucket, key },
    audiences: result.audiences.length,
    skippedLines: result.skippedLines,
  };
}

/** The whole build result behind a summary: its audiences read back from the item file. */
export async function loadBuild(
  store: ObjectStore,
  bucket: string,
  summary: BuildSummary,
): Promise<BuildResult> {
  const key = keyIn(bucket, summary.audienceList);
  const audiences = z.array(builtAudience).safeParse(JSON.parse(await readObjectText(store, key)));
  if (!audiences.success) throw new UserFacingError('is not an audience list', { location: key });
  return { manifest: summary.manifest, audiences: audiences.data, skippedLines: summary.skippedLines };
}

/**
 * Joins the parts of a fanned-out job from the part map's results in S3 (one summary per part),
 * writes the job's index manifest and its audience list, and returns the job's summary.
 */
export async function mergePartResults(
  target: JobTarget,
  jobName: string,
  run: string,
  results: MapRunOutput,
): Promise<BuildSummary> {
  const builds: BuildResult[] = [];
  for await (const child of readMapRun(target.store, keyIn(target.bucket, resultsManifest(results)))) {
    if (child.status !== 'SUCCEEDED' || !('output' in child))
      throw new UserFacingError(`a part of the job was not built (${child.status})`);
    const summary = buildSummary.parse(child.output);
    builds.push(await loadBuild(target.store, target.bucket, summary));
  }
  // Step Functions writes results in no set order; the merged audiences follow the part keys.
  builds.sort((a, b) => (a.manifest.key < b.manifest.key ? -1 : a.manifest.key > b.manifest.key ? 1 : 0));
  return summariseBuild(target, jobName, run, await mergeParts(jobName, builds, target));
}

function resultsManifest(results: MapRunOutput): Location {
  return { bucket: results.ResultWriterDetails.Bucket, key: results.ResultWriterDetails.Key };
}

const importResult = z.union([
  z.object({ name: z.string(), outcome: z.literal('COMPLETED'), job: z.unknown() }),
  // The Connect branch: the outcome reads the diff and what settled (ConnectApplied) as they are.
  z.looseObject({ name: z.string(), outcome: z.literal('APPLIED'), diff: z.unknown(), settled: z.unknown() }),
  z.object({
    name: z.string(),
    outcome: z.literal('FAILED'),
    error: z.string(),
    cause: z.string().optional(),
  }),
]);

/**
 * How each import ended: inline (an empty list when nothing was imported) or read from the import
 * map's results in S3. A child execution that itself failed counts as a failed import of its audience.
 */
export async function loadImportResults(
  store: ObjectStore,
  bucket: string,
  imports: readonly ImportResult[] | MapRunOutput,
): Promise<ImportResult[]> {
  if (Array.isArray(imports)) return [...(imports as readonly ImportResult[])];
  const results: ImportResult[] = [];
  const runOutput = mapRunOutput.parse(imports);
  for await (const child of readMapRun(store, keyIn(bucket, resultsManifest(runOutput)))) {
    if (child.status === 'SUCCEEDED' && 'output' in child) {
      results.push(importResult.parse(child.output) as ImportResult);
      continue;
    }
    const failed = child as { status: string; error?: string; cause?: string; input?: unknown };
    const name = (failed.input as { audience?: { name?: unknown } } | undefined)?.audience?.name;
    if (typeof name !== 'string') continue;
    results.push({
      name,
      outcome: 'FAILED',
      error: failed.error ?? `States.${failed.status}`,
      ...(failed.cause !== undefined ? { cause: failed.cause } : {}),
    });
  }
  return results;
}
