import { EVENTS } from '../../../core/events/catalog';
import { UserFacingError } from '../../../core/errors';
import { runSegmentJobs } from '../../segmentation/segment-job';
import type { Progress, RunContext, StageReport } from '../run-context';

/** One batch segment job of the training plan. */
export interface SegmentJobPlan {
  readonly name: string;
  /** Personalize batch segment input lines: `{"itemAttributes": "…"}` or `{"itemId": "…"}`. */
  readonly queries: readonly Record<string, unknown>[];
  readonly numResults: number;
  readonly recipe: 'aws-item-attribute-affinity' | 'aws-item-affinity';
}

/** The newest validated copy of a Personalize dataset of the group, from ingestion. */
async function trustedDataset(context: RunContext, group: string, name: string): Promise<string | undefined> {
  let newest: string | undefined;
  for await (const object of context.zones.list(`trusted/personalize/${group}/`)) {
    const file = object.key.split('/').pop()!;
    if (file.startsWith(`${name}-`) && file.endsWith('.csv') && (!newest || object.key > newest))
      newest = object.key;
  }
  return newest;
}

/**
 * Stage 3: the local stand-in for Personalize's batch segment jobs. For each job of the plan it
 * writes the job's input (`segment-queries/<job>/queries.json`), fits the local model on the
 * validated interactions and items, writes `segments/<job>/queries.json.out` in Personalize's
 * output shape, and records the `Batch Segment Job State Change` the training workflow would emit.
 */
export async function segmentStage(
  context: RunContext,
  plan: { readonly group: string; readonly jobs: readonly SegmentJobPlan[] },
  progress: Progress,
): Promise<StageReport> {
  const interactions = await trustedDataset(context, plan.group, 'interactions');
  if (!interactions) {
    throw new UserFacingError(
      `no validated interactions for the dataset group ${plan.group}: personalize/interactions.csv is missing or was rejected`,
    );
  }
  const items = await trustedDataset(context, plan.group, 'items');
  const inputs = plan.jobs.map((job) => ({
    key: `segment-queries/${job.name}/queries.json`,
    text: job.queries.map((query) => JSON.stringify(query)).join('\n') + '\n',
  }));
  for (const input of inputs) await context.zones.put(input.key, input.text);
  // One read and one fit for the dataset group; every job's queries are answered from it.
  const results = await runSegmentJobs({
    interactions: { name: interactions, bytes: await context.zones.get(interactions) },
    items: items ? { name: items, bytes: await context.zones.get(items) } : undefined,
    jobs: plan.jobs.map((job, index) => ({
      queries: { name: `training.json job ${job.name}`, text: inputs[index]!.text },
      numResults: job.numResults,
    })),
  });
  progress.start(plan.jobs.length, 'jobs');
  const warnings: string[] = [];
  let queries = 0;
  let users = 0;
  for (const [index, job] of plan.jobs.entries()) {
    const result = results[index]!;
    for (const query of result.queries)
      if (query.warning) warnings.push(`${job.name} query ${query.line}: ${query.warning}`);
    const output = `segments/${job.name}/`;
    await context.zones.put(`${output}queries.json.out`, result.lines.map((line) => `${line}\n`).join(''));
    context.publish(EVENTS.batchSegmentJobStateChange, {
      jobName: job.name,
      jobArn: `local:batch-segment-job/${job.name}`,
      status: 'ACTIVE',
      output: context.location(output),
      recipe: job.recipe,
    });
    queries += result.queries.length;
    users = result.users;
    progress.update(index + 1);
  }
  return {
    summary: `${plan.jobs.length} job(s), ${queries} queries answered by the local model over ${users.toLocaleString('en-US')} users`,
    counts: { jobs: plan.jobs.length, queries, users },
    warnings,
  };
}
