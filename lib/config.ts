import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import { DEFAULT_EVENT_TYPES, DEFAULT_ITEM_ID_PATH } from '../lambdas/core/realtime/map-track';

/**
 * The deployment config: every key is read from cdk.json `context` or a `-c key=value` flag.
 * Defaults live here and nowhere else.
 */
const configSchema = z
  .object({
    /** Who gets the "audiences ready" and failure emails. Optional at synth; deploy asks for it. */
    email: z.email({ error: 'must be an email address, e.g. -c email=marketing-ops@example.com' }).optional(),
    /** Prefix of every resource name, so two deployments can share an account. */
    namePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,19}$/, {
        error:
          'must be 1-20 lowercase letters, digits or dashes, starting with a letter, e.g. -c namePrefix=cdp',
      })
      .default('cdp'),
    /** What `cdk destroy` does to the buckets and key: keep them (default) or delete them with their data. */
    removalPolicy: z
      .enum(['retain', 'destroy'], {
        error: 'must be "retain" (keep data, the default) or "destroy" (dev only)',
      })
      .default('retain'),
    /** Days a raw upload stays in the landing zone before it expires. */
    landingRetentionDays: z.coerce
      .number({ error: 'must be a whole number of days, e.g. -c landingRetentionDays=30' })
      .int({ error: 'must be a whole number of days, e.g. -c landingRetentionDays=30' })
      .min(1, { error: 'must be at least 1 day' })
      .max(3650, { error: 'must be at most 3650 days (10 years)' })
      .default(30),
    /** Days the audience files (`audiences/`) and kept Segment batches (`failed/`) stay in the trusted zone. */
    outputRetentionDays: z.coerce
      .number({ error: 'must be a whole number of days, e.g. -c outputRetentionDays=90' })
      .int({ error: 'must be a whole number of days, e.g. -c outputRetentionDays=90' })
      .min(1, { error: 'must be at least 1 day' })
      .max(3650, { error: 'must be at most 3650 days (10 years)' })
      .default(90),
    /** Name of the Secrets Manager secret holding the Twilio Segment write key. */
    segmentWriteKeySecretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, {
        error:
          'must be a Secrets Manager secret name (letters, digits and /_+=.@-), e.g. cdp-audiences/segment-write-key',
      })
      .default('cdp-audiences/segment-write-key'),
    /** Twilio Segment's regional ingestion endpoint. */
    segmentRegion: z.enum(['us', 'eu'], { error: 'must be "us" or "eu"' }).default('us'),
    /** A full HTTPS base URL that overrides segmentRegion: a custom domain, a proxy, a new region. */
    segmentEndpoint: z
      .string()
      .refine(isSegmentBaseUrl, {
        error:
          'must be an https:// base URL, optionally with a path prefix, without query, fragment, credentials or /v1/batch (the function adds it), e.g. -c segmentEndpoint=https://segment-proxy.example.com',
      })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /**
     * Instances of the Segment push function that may run at once: each sends at most 200
     * requests/s, and Segment allows about 1,000/s per workspace, so a burst of runs cannot stampede it.
     */
    segmentReservedConcurrency: z.coerce
      .number({ error: 'must be a whole number from 1 to 4, e.g. -c segmentReservedConcurrency=2' })
      .int({ error: 'must be a whole number from 1 to 4, e.g. -c segmentReservedConcurrency=2' })
      .min(1, { error: 'must be at least 1 (0 would stop every Segment sync)' })
      .max(4, { error: "must be at most 4: 5 × 200 requests/s would reach Segment's ~1,000/s per workspace" })
      .default(2),
    /**
     * The existing Pinpoint project to import into; required with audienceDestination=pinpoint,
     * because no new project can be created since Pinpoint's end of support (2026-10-30).
     */
    pinpointApplicationId: z
      .string()
      .regex(/^[a-f0-9]{32}$/, { error: 'must be a Pinpoint project ID: 32 lowercase hex characters' })
      .optional(),
    /**
     * Where audiences go: the files alone in S3 for any other tool, or Pinpoint imported segments.
     * S3 is the default because Pinpoint's engagement features reached end of support on 2026-10-30.
     */
    audienceDestination: z
      .enum(['pinpoint', 's3', 'connect-customer-profiles'], {
        error:
          'must be "s3" (audience files only), "connect-customer-profiles" (Amazon Connect Customer Profiles segments) or "pinpoint" (imported segments)',
      })
      .default('s3'),
    /** Share of each audience kept out of activation as a control group. */
    holdoutPercent: z.coerce
      .number({ error: 'must be a number from 0 to 50, e.g. -c holdoutPercent=10' })
      .min(0, { error: 'must be at least 0 (0 turns the hold-out off)' })
      .max(50, { error: 'must be at most 50 percent' })
      .default(10),
    /** Share of bad rows (0-1) above which a landing file is rejected whole instead of partly quarantined. */
    maxBadShare: z.coerce
      .number({ error: 'must be a share from 0 to 1, e.g. -c maxBadShare=0.05 for 5 %' })
      .min(0, { error: 'must be at least 0 (0 rejects a file with any bad row)' })
      .max(1, { error: 'must be at most 1 (1 never rejects a file for its bad rows)' })
      .default(0.05),
    /** Region assumed for phone numbers written without a country code (ISO 3166 alpha-2). */
    phoneRegion: z
      .string()
      .regex(/^[A-Z]{2}$/, { error: 'must be a two-letter country code in capitals, e.g. -c phoneRegion=GB' })
      .refine(isSupportedCountry, { error: 'must be a country libphonenumber-js knows, e.g. US, GB, DE' })
      .default('US'),
    /**
     * The partner event source Segment's Amazon EventBridge destination created
     * (`aws.partner/segment.com/<source ID>`). Set, it turns the real-time relay on; unset, nothing is created.
     */
    segmentPartnerEventSource: z
      .string()
      .regex(/^aws\.partner\/segment\.com\/[A-Za-z0-9._/-]{1,200}$/, {
        error:
          'must be the partner event source Segment created, e.g. -c segmentPartnerEventSource=aws.partner/segment.com/AbC123xyz',
      })
      .optional(),
    /** Segment track event name → Personalize event type, as JSON; only these names are relayed. */
    realtimeEventTypes: z
      .preprocess(
        (value) => (typeof value === 'string' ? parseJson(value) : value),
        z.record(z.string().min(1), z.string().min(1).max(256), {
          error:
            'must be a JSON object of Segment event names to Personalize event types, e.g. {"Product Viewed":"View"}',
        }),
      )
      .refine((map) => Object.keys(map).length > 0, { error: 'must name at least one event' })
      .default({ ...DEFAULT_EVENT_TYPES }),
    /** Where the item ID is in a Segment track message. */
    realtimeItemIdPath: z
      .string()
      .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, {
        error: 'must be a dotted path, e.g. properties.product_id',
      })
      .default(DEFAULT_ITEM_ID_PATH),
    /**
     * Relay functions that may run at once. Each paces its PutEvents calls at most 100/s, and an event
     * tracker takes 1,000/s (Personalize quotas), so at most 10.
     */
    realtimeReservedConcurrency: z.coerce
      .number({ error: 'must be a whole number from 2 to 10' })
      .int({ error: 'must be a whole number from 2 to 10' })
      .min(2, { error: 'must be at least 2 (the SQS event source needs 2)' })
      .max(10, { error: "must be at most 10: 10 × 100 calls/s is the event tracker's 1,000/s" })
      .default(5),
    /**
     * The existing Customer Profiles domain audiences go to (audienceDestination=connect-customer-profiles).
     * Unset, the stack creates one, encrypted with the data lake's key, with a dead-letter queue.
     */
    customerProfilesDomain: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, {
        error:
          'must be a Customer Profiles domain name: 1-64 letters, digits, _ or -, e.g. -c customerProfilesDomain=acme-customers',
      })
      .optional(),
    /** Let an audience create a profile for a user the domain does not know (off: audiences never invent customers). */
    customerProfilesCreateProfiles: z
      .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')], {
        error: 'must be true or false',
      })
      .default(false),
    /**
     * Membership writes per second over all writer instances. PutProfileObject's default quota is
     * 100 TPS per account and region, shared with every other writer of the account
     * (docs.aws.amazon.com/connect/latest/adminguide/amazon-connect-service-limits.html, "Customer
     * Profiles API throttling quotas"), so half of it by default.
     */
    customerProfilesWritesPerSecond: z.coerce
      .number({
        error: 'must be a whole number of writes per second, e.g. -c customerProfilesWritesPerSecond=50',
      })
      .int({
        error: 'must be a whole number of writes per second, e.g. -c customerProfilesWritesPerSecond=50',
      })
      .min(1, { error: 'must be at least 1' })
      .max(1000, {
        error: 'must be at most 1000 (ask AWS for the quota first: the default is 100 per account)',
      })
      .default(50),
    /** Writer instances that may run at once; each writes customerProfilesWritesPerSecond / this. */
    customerProfilesWriterConcurrency: z.coerce
      .number({ error: 'must be a whole number from 2 to 10' })
      .int({ error: 'must be a whole number from 2 to 10' })
      .min(2, { error: 'must be at least 2 (the SQS event source needs 2)' })
      .max(10, { error: 'must be at most 10' })
      .default(2),
    /**
     * Opt-in real-time recommendations: the training workflow also trains a USER_PERSONALIZATION
     * solution and deploys a campaign (billed per hour even when idle), served by an IAM-auth function URL.
     */
    realtimeRecommendations: z
      .preprocess(
        (value) => (value === 'true' ? true : value === 'false' ? false : value),
        z.boolean({ error: 'must be true or false, e.g. -c realtimeRecommendations=true' }),
      )
      .default(false),
    /** The campaign's minimum provisioned transactions per second: each TPS is billed per hour. */
    recommendationsMinProvisionedTps: z.coerce
      .number({ error: 'must be a whole number of transactions per second, e.g. 1' })
      .int({ error: 'must be a whole number of transactions per second, e.g. 1' })
      .min(1, { error: 'must be at least 1 (Personalize’s minimum)' })
      .max(500, { error: 'must be at most 500 here; every provisioned TPS is billed per hour' })
      .default(1),
    /** A Personalize filter the recommendations go through, e.g. one excluding purchased items. */
    recommendationsFilterArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:personalize:[a-z0-9-]+:\d{12}:filter\/[a-zA-Z0-9][a-zA-Z0-9_-]*$/, {
        error:
          'must be the ARN of a Personalize filter, e.g. arn:aws:personalize:eu-west-1:111122223333:filter/exclude-purchased',
      })
      .optional(),
    /** Turns the propensity workflow on (Athena features, SageMaker XGBoost, scores, win-back audience). */
    propensity: flag('propensity').default(false),
    /**
     * When the propensity workflow runs by itself: `off` (the default: start it by hand or on ingest),
     * `weekly` (Mondays 03:00 UTC) or an EventBridge Scheduler expression, e.g. cron(0 3 ? * MON *).
     */
    propensitySchedule: z
      .string()
      .regex(/^(off|weekly|cron\([^()]+\)|rate\([^()]+\))$/, {
        error:
          'must be off, weekly, or a Scheduler expression, e.g. -c "propensitySchedule=cron(0 3 ? * MON *)"',
      })
      .transform((value) => (value === 'weekly' ? 'cron(0 3 ? * MON *)' : value))
      .default('off'),
    /** Also start a run (debounced, one per hour) when web orders or store sales are ingested. */
    propensityOnIngest: flag('propensityOnIngest').default(false),
    /** Below this validation AUC (either model) the run publishes nothing and emails the figures. */
    propensityAucFloor: z.coerce
      .number({ error: 'must be a number from 0.5 to 1, e.g. -c propensityAucFloor=0.65' })
      .min(0.5, { error: 'must be at least 0.5 (a coin toss)' })
      .max(1, { error: 'must be at most 1' })
      .default(0.65),
    /** Churn: no purchase in this many days after the as-of date. */
    propensityChurnDays: days('propensityChurnDays', 90),
    /** Repurchase: a purchase in this many days after the as-of date. */
    propensityRepurchaseDays: days('propensityRepurchaseDays', 30),
    /** The win-back audience: this share of past buyers, highest churn risk first. */
    propensityWinbackPercent: z.coerce
      .number({ error: 'must be a percentage above 0 and at most 100, e.g. -c propensityWinbackPercent=20' })
      .gt(0, { error: 'must be above 0' })
      .max(100, { error: 'must be at most 100' })
      .default(20),
    /** SageMaker instance type of training and batch transform. */
    propensityInstanceType: z
      .string()
      .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'must be a SageMaker instance type, e.g. ml.m5.xlarge' })
      .default('ml.m5.xlarge'),
    /**
     * Name of the Secrets Manager secret holding a Segment Public API token (not the write key), for
     * the Segment step of privacy erasures. Unset, that step is reported as to do by hand.
     */
    segmentPublicApiTokenSecretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, {
        error:
          'must be a Secrets Manager secret name (letters, digits and /_+=.@-), e.g. cdp-audiences/segment-public-api-token',
      })
      .optional(),
    /** Days a propensity run's working files (propensity/<run>/, Athena results) are kept; scores/ stay. */
    propensityWorkRetentionDays: days('propensityWorkRetentionDays', 7),
  })
  .superRefine((config, context) => {
    if (config.customerProfilesWritesPerSecond < config.customerProfilesWriterConcurrency) {
      context.addIssue({
        code: 'custom',
        path: ['customerProfilesWritesPerSecond'],
        message:
          'must be at least customerProfilesWriterConcurrency: each writer instance needs at least one write per second',
      });
    }
    if (config.audienceDestination === 'pinpoint' && !config.pinpointApplicationId) {
      context.addIssue({
        code: 'custom',
        path: ['pinpointApplicationId'],
        message:
          'is required with audienceDestination=pinpoint: Pinpoint ended its engagement features on 2026-10-30, so no new project can be created. Name an existing project (-c pinpointApplicationId=<32 hex characters>), or use -c audienceDestination=s3',
      });
    }
  });

/** A true/false key: `-c key=true` arrives as the string "true". */
function flag(key: string) {
  return z.preprocess(
    (value) => (value === 'true' ? true : value === 'false' ? false : value),
    z.boolean({ error: `must be true or false, e.g. -c ${key}=true` }),
  );
}

/** A label window in whole days. */
function days(key: string, fallback: number) {
  const error = `must be a whole number of days from 1 to 365, e.g. -c ${key}=${fallback}`;
  return z.coerce.number({ error }).int({ error }).min(1, { error }).max(365, { error }).default(fallback);
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** A base URL the Segment sink can append `v1/batch` to. */
function isSegmentBaseUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    url.protocol === 'https:' &&
    url.username === '' &&
    url.password === '' &&
    !value.includes('?') &&
    !value.includes('#') &&
    !/\/v1(\/|$)/.test(url.pathname)
  );
}

export type CdpConfig = z.infer<typeof configSchema>;
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof CdpConfig)[];

/** A config problem, phrased as one sentence naming the key and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates raw context values (strings from `-c`, or JSON values from cdk.json) into a config.
 * Empty strings count as absent, so `-c pinpointApplicationId=` means "create one".
 */
export function parseConfig(raw: Record<string, unknown>): CdpConfig {
  const picked = Object.fromEntries(
    CONFIG_KEYS.map((key) => [key, raw[key] === '' || raw[key] === null ? undefined : raw[key]]),
  );
  const result = configSchema.safeParse(picked);
  if (result.success) return result.data;
  const sentences = result.error.issues.map((issue) => {
    const key = issue.path.join('.');
    return `Config key "${key}" ${issue.message} (got ${JSON.stringify(picked[key as keyof typeof picked])}).`;
  });
  throw new ConfigError(sentences.join('\n'));
}

/** Reads the config from a construct's context (cdk.json plus -c flags). */
export function configFromContext(tryGetContext: (key: string) => unknown): CdpConfig {
  return parseConfig(Object.fromEntries(CONFIG_KEYS.map((key) => [key, tryGetContext(key)])));
}
