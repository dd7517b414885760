import { z } from 'zod';
import { logger } from '../adapters/logger';
import { propensityEnv } from '../adapters/propensity-env';
import { type CloudRunPlan, planCloudRun } from '../core/propensity/cloud-run';

const request = z.object({
  /** `$$.Execution.StartTime`: names the run. */
  startedAt: z.iso.datetime({ offset: true }),
  /** The execution input: `asOf` (ISO date) overrides the default, the start time. */
  input: z.object({ asOf: z.string().optional() }).passthrough().default({}),
});

/** Decides the run's names, S3 places and Athena statements (the one feature SQL, CTAS-shaped). */
export async function handler(event: unknown): Promise<CloudRunPlan> {
  const env = propensityEnv.parse(process.env);
  const { startedAt, input } = request.parse(event);
  const plan = planCloudRun(
    { startedAt, asOf: input.asOf },
    {
      namePrefix: env.NAME_PREFIX,
      churnDays: env.CHURN_DAYS,
      repurchaseDays: env.REPURCHASE_DAYS,
      cutoffCount: env.CUTOFF_COUNT,
      cutoffStepDays: env.CUTOFF_STEP_DAYS,
      workDatabase: env.WORK_DATABASE,
      bucket: env.TRUSTED_BUCKET,
    },
  );
  logger.info('propensity run planned', { run: plan.run, asOf: plan.asOf });
  return plan;
}
