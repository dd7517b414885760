import { UserFacingError } from '../../../core/errors';
import { datasetGroupOf } from '../../../core/ingest/datasets';
import { preflightTraining } from '../../../core/training/preflight';
import { parseTrainingConfig, type TrainingConfig } from '../../../core/training/training-config';
import type { RunContext, StageReport } from '../run-context';
import type { SegmentJobPlan } from './segment';
import { readObjectText } from '../../../core/ports/object-store';

/** A training.json of the input folder, parsed, with where its CSVs are. */
export interface TrainingPlan {
  readonly key: string;
  /** The folder of the dataset group in the landing layout (`personalize/` or `personalize/<group>/`). */
  readonly prefix: string;
  /** The group as ingestion names it in the trusted zone (`default` for a flat `personalize/`). */
  readonly group: string;
  readonly config: TrainingConfig;
  readonly jobs: readonly SegmentJobPlan[];
}

/** Every `personalize/[<group>/]training.json` of the input folder. */
export async function trainingPlans(context: RunContext): Promise<TrainingPlan[]> {
  const plans: TrainingPlan[] = [];
  for await (const object of context.landing.list('personalize/')) {
    if (!/^personalize\/(?:[^/]+\/)?training\.json$/.test(object.key)) continue;
    const text = await readObjectText(context.landing, object.key);
    const { config } = parseTrainingConfig(text, object.key);
    const prefix = object.key.slice(0, -'training.json'.length);
    plans.push({
      key: object.key,
      prefix,
      group: datasetGroupOf(`${prefix}interactions.csv`)!,
      config,
      jobs: config.batchSegmentJobs.map((job) => ({
        name: job.name,
        queries: job.queries as Record<string, unknown>[],
        numResults: job.numResults,
        recipe: config.recipe,
      })),
    });
  }
  return plans;
}

/**
 * Stage 2: the Personalize pre-flight the training workflow runs before it spends money, on each
 * training.json of the folder. Any error stops the run with its file, line and reason.
 */
export async function preflightStage(
  context: RunContext,
  options: { readonly maxBadShare: number },
): Promise<StageReport> {
  const plans = await trainingPlans(context);
  if (plans.length === 0) {
    throw new UserFacingError(
      `${context.folder}: no personalize/training.json, so there is nothing to train or segment; add one (see data/sample/personalize/training.json)`,
    );
  }
  const warnings: string[] = [];
  let interactions = 0;
  for (const plan of plans) {
    const result = await preflightTraining(context.landing, plan.config, {
      prefix: plan.prefix,
      maxBadShare: options.maxBadShare,
    });
    const where = (p: (typeof result.problems)[number]) =>
      `${p.file}${p.line ? ` line ${p.line}` : ''}${p.where ? ` (${p.where})` : ''}`;
    for (const problem of result.problems.filter((p) => p.severity !== 'error'))
      warnings.push(`${where(problem)}: ${problem.reason}`);
    const errors = result.problems.filter((p) => p.severity === 'error');
    if (!result.ok) {
      throw new UserFacingError(
        `${plan.key}: Personalize training could not start:\n${errors.map((p) => `  ${where(p)}: ${p.reason}`).join('\n')}`,
      );
    }
    interactions += result.counts.interactions;
  }
  context.facts.set('training', plans);
  return {
    summary: `${plans.length} dataset group(s) ready for Personalize, ${plans.reduce((n, p) => n + p.jobs.length, 0)} batch segment job(s)`,
    counts: { groups: plans.length, jobs: plans.reduce((n, p) => n + p.jobs.length, 0), interactions },
    warnings,
  };
}
