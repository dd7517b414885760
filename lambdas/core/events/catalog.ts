import { z } from 'zod';

/**
 * Every event on the cdp-audiences bus, declared once. Emitters validate their detail against
 * these schemas and EventBridge rules match on these names, so no detail-type string is ever
 * typed twice.
 */
export const EVENT_SOURCE = 'cdp.audiences';

const s3Location = z.object({
  /** Bucket name. */
  bucket: z.string().min(1),
  /** Object key or key prefix. */
  key: z.string(),
});

const count = z.number().int().nonnegative();

export const batchSegmentJobStateChange = {
  detailType: 'Batch Segment Job State Change',
  outcome: undefined,
  schema: z.object({
    jobName: z.string().min(1),
    jobArn: z.string().min(1),
    status: z.enum(['ACTIVE', 'FAILED']),
    /** Where Personalize wrote `<input>.out`. */
    output: s3Location,
    /** Which recipe family produced it: decides the query shape. */
    recipe: z.enum(['aws-item-attribute-affinity', 'aws-item-affinity']).optional(),
    failureReason: z.string().optional(),
  }),
} as const;

const audienceSummary = z.object({
  name: z.string(),
  query: z.string(),
  size: count,
  holdoutSize: count,
  unresolvedUsers: count,
  segmentId: z.string().optional(),
  consoleUrl: z.string().optional(),
  /** Pinpoint's counts for the import, and the first rows it could not import (a partial import). */
  pinpointImport: z
    .object({ processed: count, failed: count, failedRows: z.array(z.string()).max(5) })
    .optional(),
  /**
   * Customer Profiles: the changes sent and how they landed (failed ones are in the membership
   * dead-letter queue with their user ID and error), and the segment's size, expected vs estimated.
   */
  connect: z
    .object({
      segmentName: z.string(),
      entering: count,
      leaving: count,
      staying: count,
      written: count,
      failed: count,
      throttled: count,
      failureReasons: z.array(z.string()).max(5),
      expected: count,
      estimated: count.optional(),
      sizeCheck: z.enum(['match', 'mismatch', 'unavailable']),
      warning: z.string().optional(),
    })
    .optional(),
});

/** EventBridge entries are capped at 256 KB; an audience summary is about 300 bytes. */
export const MAX_AUDIENCES_IN_EVENT = 200;
/** A failure carries a reason of up to a few hundred bytes. */
export const MAX_FAILURES_IN_EVENT = 50;

export const audiencesImported = {
  detailType: 'Audiences Imported',
  outcome: 'succeeded',
  schema: z.object({
    jobName: z.string(),
    destination: z.enum(['pinpoint', 's3', 'connect-customer-profiles']),
    manifest: s3Location,
    /** The first audiences (at most MAX_AUDIENCES_IN_EVENT); the manifest lists every one. */
    audiences: z.array(audienceSummary),
    /** Audiences left out of `audiences` to keep the event under EventBridge's size limit. */
    moreAudiences: count.default(0),
    /** Users activated over all audiences, including those left out of the list. */
    totalUsers: count.optional(),
    /** Users held out over all audiences. */
    totalHoldout: count.optional(),
    skippedLines: count.default(0),
  }),
} as const;

export const audienceImportFailed = {
  detailType: 'Audience Import Failed',
  outcome: 'failed',
  schema: z.object({
    jobName: z.string(),
    destination: z.enum(['pinpoint', 's3', 'connect-customer-profiles']).optional(),
    reason: z.string(),
    failures: z.array(z.object({ audience: z.string(), reason: z.string() })).default([]),
    /** Failed audiences left out of `failures` (the manifest and the execution history list them). */
    moreFailures: count.default(0),
    imported: z.array(audienceSummary).default([]),
    moreImported: count.default(0),
  }),
} as const;

export const propensityScoresReady = {
  detailType: 'Propensity Scores Ready',
  outcome: undefined,
  schema: z.object({
    /** Identifies the scoring run; part of every Segment messageId. */
    run: z.string().min(1),
    scoredAt: z.iso.datetime(),
    /** One CSV (`customer_id,score`) per model. */
    scores: z.array(z.object({ model: z.enum(['churn', 'repurchase']), location: s3Location })).min(1),
  }),
} as const;

/** The cloud propensity run refused to publish: a model's validation AUC is below the floor. */
export const propensityQualityGateFailed = {
  detailType: 'Propensity Quality Gate Failed',
  outcome: 'failed',
  schema: z.object({
    run: z.string(),
    floor: z.number(),
    models: z.array(
      z.object({
        model: z.enum(['churn', 'repurchase']),
        trainingJobName: z.string(),
        /** Null when the training job reported no validation AUC. */
        auc: z.number().nullable(),
        passed: z.boolean(),
      }),
    ),
    reason: z.string(),
  }),
} as const;

const syncCounts = z.object({
  sent: count,
  retried: count,
  failed: count,
  keptForReplay: count,
});

export const segmentSyncSucceeded = {
  detailType: 'Segment Sync Succeeded',
  outcome: 'succeeded',
  schema: z.object({
    run: z.string(),
    counts: syncCounts,
    /** Score rows that could not be read (bad customer_id or score); the logs list samples. */
    invalidRows: count.default(0),
    replayPrefix: s3Location.optional(),
  }),
} as const;

export const segmentSyncFailed = {
  detailType: 'Segment Sync Failed',
  outcome: 'failed',
  schema: z.object({
    run: z.string(),
    reason: z.string(),
    counts: syncCounts.optional(),
    invalidRows: count.default(0),
    replayPrefix: s3Location.optional(),
    /** The failed step as Step Functions reported it; the email shows it in words, never raw. */
    failure: z.object({ error: z.string().optional(), cause: z.string().optional() }).optional(),
  }),
} as const;

/** One problem of a landing file, without the cell's value (the quarantine report has it). */
const rowProblem = z.object({ line: count, column: z.string().optional(), reason: z.string() });
/** An email names the first few problems; the quarantine report has every one. */
export const MAX_PROBLEMS_IN_EVENT = 10;

const ingestCounts = z.object({
  /** Data rows read, after the header. */
  rowsIn: count,
  good: count,
  bad: count,
  /** Exact duplicate rows dropped. */
  duplicates: count,
  /** Rows of erased subjects dropped (privacy suppression list); absent when none. */
  suppressed: count.optional(),
});

export const datasetIngested = {
  detailType: 'Dataset Ingested',
  // Not emailed one by one: Identities Resolved summarises the run.
  outcome: undefined,
  schema: z.object({
    dataset: z.string(),
    source: s3Location,
    counts: ingestCounts,
    /** The trusted-zone object written. */
    output: s3Location,
    /** The quarantine report, when rows were quarantined. */
    report: s3Location.optional(),
    /** True when this content had been ingested before (a re-delivered event or file): nothing was written. */
    alreadyIngested: z.boolean().default(false),
    firstProblems: z.array(rowProblem).max(MAX_PROBLEMS_IN_EVENT).default([]),
  }),
} as const;

export const datasetRejected = {
  detailType: 'Dataset Rejected',
  outcome: 'failed',
  schema: z.object({
    /** Absent when no dataset is declared for the key. */
    dataset: z.string().optional(),
    source: s3Location,
    reason: z.string(),
    counts: ingestCounts.optional(),
    report: s3Location.optional(),
    firstProblems: z.array(rowProblem).max(MAX_PROBLEMS_IN_EVENT).default([]),
  }),
} as const;

export const identitiesResolved = {
  detailType: 'Identities Resolved',
  outcome: 'succeeded',
  schema: z.object({
    records: count,
    bySource: z.object({ crm: count, store: count, web: count }),
    profiles: count,
    merges: z.object({ email: count, phone: count, 'signed-in': count, probabilistic: count }),
    reviewPairs: count,
    sharedDevices: count.default(0),
    /** Profiles that kept the ID they had before this run. */
    keptIds: count.default(0),
    identityMap: s3Location,
    profilesTable: s3Location,
    review: s3Location,
  }),
} as const;

/** One problem of a training run's files or training.json: where and why, never a cell's value. */
const trainingProblem = z.object({
  file: z.string(),
  line: count.optional(),
  where: z.string().optional(),
  reason: z.string(),
});
/** A training email names the first problems; the pre-flight report (or `cdp preflight`) has them all. */
export const MAX_TRAINING_PROBLEMS_IN_EVENT = 20;

export const trainingWorkflowSucceeded = {
  detailType: 'Training Workflow Succeeded',
  outcome: 'succeeded',
  schema: z.object({
    datasetGroup: z.string(),
    run: z.string(),
    solutionVersionArn: z.string(),
    /** GetSolutionMetrics' figures (`coverage`, `normalized_discounted_cumulative_gain_at_10`, …). */
    metrics: z.record(z.string(), z.number()).default({}),
    jobs: z.array(
      z.object({
        jobName: z.string(),
        status: z.enum(['ACTIVE', 'FAILED']),
        failureReason: z.string().optional(),
      }),
    ),
    /** Bad rows left out of the import (below the threshold). */
    skippedRows: count.default(0),
    /** With real-time recommendations on: the campaign deployed and the URL serving it. */
    recommendations: z.object({ campaignArn: z.string(), url: z.string() }).optional(),
  }),
} as const;

export const trainingWorkflowFailed = {
  detailType: 'Training Workflow Failed',
  outcome: 'failed',
  schema: z.object({
    datasetGroup: z.string().optional(),
    run: z.string().optional(),
    reason: z.string(),
    problems: z.array(trainingProblem).max(MAX_TRAINING_PROBLEMS_IN_EVENT).default([]),
    moreProblems: count.default(0),
    /** The failed step as Step Functions reported it; the email shows it in words, never raw. */
    failure: z.object({ error: z.string().optional(), cause: z.string().optional() }).optional(),
    executionArn: z.string().optional(),
  }),
} as const;

export const workflowFailed = {
  detailType: 'Workflow Failed',
  outcome: 'failed',
  schema: z.object({
    workflow: z.string(),
    executionArn: z.string().optional(),
    reason: z.string(),
  }),
} as const;

/** What a privacy request did, per row and store: line numbers, counts, keys and URLs, no subject. */
const privacyRequestDetail = z.object({
  request: z.string(),
  executionArn: z.string().optional(),
  /** Rows refused, by line and reason. */
  invalidRows: z.array(z.object({ line: count, reason: z.string() })).default([]),
  /** Per access row: a short-lived URL of the export, or why it failed. */
  accesses: z
    .array(
      z.object({
        line: count,
        markdownUrl: z.string().optional(),
        jsonUrl: z.string().optional(),
        error: z.string().optional(),
      }),
    )
    .default([]),
  /** The lake erasure of every erase row. */
  erasure: z
    .object({
      lines: z.array(count),
      rowsRemoved: count,
      objectsRewritten: count,
      objectsDeleted: count,
      error: z.string().optional(),
    })
    .optional(),
  /**
   * Stores outside the lake and what became of them (a StoreOutcome of
   * lambdas/core/privacy/request-record.ts: done, failed, pending, skipped, or manual / by hand).
   */
  stores: z
    .array(
      z.object({
        store: z.string(),
        status: z.enum(['done', 'failed', 'by hand', 'pending', 'manual', 'skipped']),
        note: z.string().default(''),
        action: z.string().optional(),
        rows: count.optional(),
        objects: count.optional(),
      }),
    )
    .default([]),
  /** The URLs stop working at this time. */
  urlsExpireAt: z.string().optional(),
  reason: z.string().optional(),
});

export const privacyRequestCompleted = {
  detailType: 'Privacy Request Completed',
  outcome: 'succeeded',
  schema: privacyRequestDetail,
} as const;

export const privacyRequestFailed = {
  detailType: 'Privacy Request Failed',
  outcome: 'failed',
  schema: privacyRequestDetail,
} as const;

export const EVENTS = {
  datasetIngested,
  datasetRejected,
  identitiesResolved,
  batchSegmentJobStateChange,
  trainingWorkflowSucceeded,
  trainingWorkflowFailed,
  audiencesImported,
  audienceImportFailed,
  propensityScoresReady,
  segmentSyncSucceeded,
  segmentSyncFailed,
  workflowFailed,
  propensityQualityGateFailed,
  privacyRequestCompleted,
  privacyRequestFailed,
} as const;

export type EventDefinition = (typeof EVENTS)[keyof typeof EVENTS];
export type DetailOf<E extends EventDefinition> = z.infer<E['schema']>;

/** The events a person is emailed about: every "… Succeeded"/"… Failed" outcome. */
export const NOTIFIED_EVENTS: readonly EventDefinition[] = Object.values(EVENTS).filter(
  (e) => e.outcome !== undefined,
);

/** Finds the definition of a detail-type, or undefined for one we do not know. */
export function eventByDetailType(detailType: string): EventDefinition | undefined {
  return Object.values(EVENTS).find((e) => e.detailType === detailType);
}
