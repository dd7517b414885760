import { z } from 'zod';

/** The propensity Lambdas' environment, validated; the defaults are lib/config.ts's. */
export const propensityEnv = z.object({
  TRUSTED_BUCKET: z.string().min(1),
  WORK_DATABASE: z.string().min(1),
  NAME_PREFIX: z.string().min(1),
  CHURN_DAYS: z.coerce.number().int().positive(),
  REPURCHASE_DAYS: z.coerce.number().int().positive(),
  CUTOFF_COUNT: z.coerce.number().int().positive().default(4),
  CUTOFF_STEP_DAYS: z.coerce.number().int().positive().default(30),
});

/** The publish Lambda's environment. */
export const publishEnv = z.object({
  TRUSTED_BUCKET: z.string().min(1),
  WINBACK_TOP_PERCENT: z.coerce.number().gt(0).max(100).default(20),
});
