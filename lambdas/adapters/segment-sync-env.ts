import { z } from 'zod';
import { traitNamesSchema } from '../core/segment/traits';

/** The push-scores Lambda's environment, validated, with its defaults. */
export const segmentSyncEnv = z.object({
  /** The secret's name; its value is read at run time and never logged. */
  SEGMENT_WRITE_KEY_SECRET_NAME: z.string().min(1),
  /** The trusted bucket: scores are read from it and failed batches kept in it. */
  SCORES_BUCKET_NAME: z.string().min(1),
  /** Prefix before `failed/<run>/`; empty keeps them at the bucket root. */
  KEPT_BATCHES_PREFIX: z
    .string()
    .default('')
    .transform((prefix) => (prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`)),
  SEGMENT_REGION: z.enum(['us', 'eu']).default('us'),
  /** Overrides the region's host (a custom domain, or the local sink). */
  SEGMENT_ENDPOINT: z.url().optional(),
  SEGMENT_CONCURRENCY: z.coerce.number().int().positive().default(8),
  /** Well under Segment's ~1,000 requests/s per workspace. */
  SEGMENT_REQUESTS_PER_SECOND: z.coerce.number().positive().default(200),
  /** Stop this long before the Lambda's limit and hand back a cursor. */
  STOP_MARGIN_MS: z.coerce.number().int().nonnegative().default(120_000),
  /** JSON `{"churn":{"score","decile"},"repurchase":{…},"scoredAt"}`; default churn_propensity, … */
  SEGMENT_TRAIT_NAMES: z
    .string()
    .transform((json) => traitNamesSchema.parse(JSON.parse(json)))
    .optional(),
});

export type SegmentSyncEnv = z.infer<typeof segmentSyncEnv>;
