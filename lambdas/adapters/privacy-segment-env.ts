import { z } from 'zod';

/** The privacy Segment step's environment, validated. */
export const privacySegmentEnv = z.object({
  /** The trusted bucket: the lake step's deletion file is read from it, failed batches kept in it. */
  TRUSTED_BUCKET: z.string().min(1),
  /** The secret (name) of the Segment Public API token; unset, the step is `manual` (done by hand). */
  SEGMENT_PUBLIC_API_TOKEN_SECRET: z.string().min(1).optional(),
  /** The workspace's region: picks the Public API host. */
  SEGMENT_REGION: z.enum(['us', 'eu']).default('us'),
  /** Overrides the region's Public API host (a fake server in tests). */
  SEGMENT_PUBLIC_API_ENDPOINT: z.url().optional(),
  /** Give a batch up (kept for replay) rather than wait into this margin before the Lambda's limit. */
  STOP_MARGIN_MS: z.coerce.number().int().nonnegative().default(30_000),
});

export type PrivacySegmentEnv = z.infer<typeof privacySegmentEnv>;
