import {
  type BatchSegmentJobConfig,
  MAX_QUERIES_PER_FILE,
  type SegmentQuery,
  type TrainingConfig,
} from './training-config';

/** One batch segment job the workflow creates: a config job, or one part of a split one. */
export interface JobPart {
  /** The config job it comes from. */
  readonly job: string;
  /** Personalize's job name: `<job>-<run>`, or `<job>-<part>-<run>` when split. At most 63 characters. */
  readonly jobName: string;
  readonly queries: readonly SegmentQuery[];
  readonly numResults: number;
  readonly filterArn?: string;
}

/**
 * Splits each job's queries into input files Personalize takes: at most 10 queries per file for
 * aws-item-attribute-affinity and 500 for aws-item-affinity (its documented limits), one batch
 * segment job per file. The run ID makes each run's job names new: Personalize never reuses one.
 */
export function splitJobs(config: TrainingConfig, run: string): JobPart[] {
  const size = MAX_QUERIES_PER_FILE[config.recipe];
  return config.batchSegmentJobs.flatMap((job: BatchSegmentJobConfig) => {
    const parts = Math.ceil(job.queries.length / size);
    return Array.from({ length: parts }, (_, part) => ({
      job: job.name,
      jobName: parts === 1 ? `${job.name}-${run}` : `${job.name}-${part + 1}-${run}`,
      queries: job.queries.slice(part * size, (part + 1) * size),
      numResults: job.numResults,
      ...(job.filterArn ? { filterArn: job.filterArn } : {}),
    }));
  });
}

/** The input file of a part: one query per line, as Personalize reads it. */
export function queriesFile(part: JobPart): string {
  return part.queries.map((query) => JSON.stringify(query)).join('\n') + '\n';
}
