import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';

/** The ingest Lambda's environment, validated, with the defaults of lib/config.ts. */
export const ingestEnv = z.object({
  LANDING_BUCKET: z.string().min(1),
  TRUSTED_BUCKET: z.string().min(1),
  QUARANTINE_BUCKET: z.string().min(1),
  MAX_BAD_SHARE: z.coerce.number().min(0).max(1).default(0.05),
  PHONE_REGION: z
    .string()
    .refine(isSupportedCountry, 'is not a country code libphonenumber-js knows')
    .transform((code) => code as CountryCode)
    .default('US'),
  /** Files larger than this are planned in byte ranges (Distributed Map); smaller ones are ingested whole. */
  SPLIT_ABOVE_BYTES: z.coerce.number().int().positive().default(2_000_000_000),
  /** About how many bytes each range holds. */
  RANGE_BYTES: z.coerce.number().int().positive().default(1_000_000_000),
});

export type IngestEnv = z.infer<typeof ingestEnv>;

/** The start Lambdas' environment: which state machine they start. */
export const startEnv = z.object({
  STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  /** Identity only: every Dataset Ingested within this many minutes starts one run. */
  IDENTITY_WINDOW_MINUTES: z.coerce.number().int().positive().default(5),
});
