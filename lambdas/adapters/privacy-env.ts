import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';

/** The privacy request Lambda's environment, validated. */
export const privacyEnv = z.object({
  LANDING_BUCKET: z.string().min(1),
  TRUSTED_BUCKET: z.string().min(1),
  QUARANTINE_BUCKET: z.string().min(1).optional(),
  /** The Secrets Manager secret (name or ARN) holding the salt as hex. */
  PRIVACY_SALT_SECRET: z.string().min(1),
  PHONE_REGION: z
    .string()
    .refine(isSupportedCountry, 'is not a country code libphonenumber-js knows')
    .transform((code) => code as CountryCode)
    .default('US'),
  /** How long an access export's pre-signed GET URL works (default 1 day; SigV4 allows at most 7 days). */
  EXPORT_URL_SECONDS: z.coerce.number().int().positive().max(604_800).default(86_400),
  /**
   * `arn:<partition>:personalize:<region>:<account>:`: the dataset groups' and deletion jobs' ARNs
   * start with it. Unset, Personalize is skipped.
   */
  PERSONALIZE_ARN_PREFIX: z
    .string()
    .regex(/^arn:aws[a-z-]*:personalize:[a-z0-9-]+:\d{12}:$/)
    .optional(),
});

export type PrivacyEnv = z.infer<typeof privacyEnv>;
