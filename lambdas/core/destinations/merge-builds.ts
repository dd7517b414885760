import type { BuildResult } from './activation-outcome';

/** The index written when a job's output was built part by part. */
export interface PartsIndex {
  readonly version: 1;
  readonly jobName: string;
  /** One manifest per `.out` part, each listing its audiences and skipped lines. */
  readonly manifests: readonly { readonly bucket: string; readonly key: string }[];
  readonly audiences: number;
  readonly skippedLines: number;
}

/**
 * Joins the results of a job built part by part (one `.out` file per part) into one result whose
 * manifest is an index of the part manifests. Audience names carry the part, so none collide.
 */
export function mergeBuilds(
  jobName: string,
  parts: readonly BuildResult[],
  index: { readonly bucket: string; readonly key: string },
): { result: BuildResult; index: PartsIndex } {
  const audiences = parts.flatMap((p) => p.audiences);
  const skippedLines = parts.reduce((sum, p) => sum + p.skippedLines, 0);
  return {
    result: { manifest: index, audiences, skippedLines },
    index: {
      version: 1,
      jobName,
      manifests: parts.map((p) => p.manifest),
      audiences: audiences.length,
      skippedLines,
    },
  };
}
