import { z } from 'zod';
import { causeMessage, describeStepFailure } from '../errors';
import { EVENTS, MAX_AUDIENCES_IN_EVENT, MAX_FAILURES_IN_EVENT, type DetailOf } from '../events/catalog';

/** What the build step reported for one audience (a subset of the manifest entry). */
export interface BuiltAudience {
  readonly name: string;
  /** The query part of the name, stable across jobs (the Connect destination's attribute and segment). */
  readonly audienceKey?: string;
  readonly query: string;
  readonly size: number;
  readonly holdoutSize: number;
  readonly unresolvedUsers: number;
  /** Key of the import CSV in the trusted bucket. */
  readonly importKey: string;
}

/** What the build step returned. */
export interface BuildResult {
  readonly manifest: { readonly bucket: string; readonly key: string };
  readonly audiences: readonly BuiltAudience[];
  readonly skippedLines: number;
}

/** How one Pinpoint import ended, as the workflow's map state records it. */
export type ImportResult =
  | {
      readonly name: string;
      readonly outcome: 'COMPLETED';
      /** Pinpoint's GetImportJob response (ImportJobResponse), as it came. */
      readonly job: unknown;
    }
  | {
      readonly name: string;
      readonly outcome: 'FAILED';
      /** Step Functions error name, e.g. `Pinpoint.TooManyRequestsException`, or `ImportJobFailed`. */
      readonly error: string;
      /** Step Functions cause: a service message or a JSON string. */
      readonly cause?: string;
    }
  | ConnectApplied;

/** How one audience ended in Customer Profiles (the Connect branch's map state). */
export interface ConnectApplied {
  readonly name: string;
  readonly outcome: 'APPLIED';
  readonly diff: { readonly entering: number; readonly leaving: number; readonly staying: number };
  readonly settled: {
    readonly segmentName: string;
    readonly writes: { readonly applied: number; readonly failed: number; readonly throttled: number };
    readonly failureReasons: readonly string[];
    readonly size: {
      readonly expected: number;
      readonly estimated?: number;
      readonly status: 'match' | 'mismatch' | 'unavailable';
      readonly warning?: string;
    };
  };
}

/** What the event says of an audience applied to Customer Profiles: what landed, what failed and why, the size. */
export function connectSummary(result: ConnectApplied) {
  const { settled, diff } = result;
  return {
    segmentName: settled.segmentName,
    entering: diff.entering,
    leaving: diff.leaving,
    staying: diff.staying,
    written: settled.writes.applied,
    failed: settled.writes.failed,
    throttled: settled.writes.throttled,
    failureReasons: settled.failureReasons.slice(0, FAILED_ROWS_SHOWN).map((r) => clip(r, 200)),
    expected: settled.size.expected,
    ...(settled.size.estimated !== undefined ? { estimated: settled.size.estimated } : {}),
    sizeCheck: settled.size.status,
    ...(settled.size.warning ? { warning: clip(settled.size.warning, MAX_CAUSE_CHARS) } : {}),
  };
}

/** Everything the workflow knows at its end. */
export interface ActivationRun {
  /** The job; on the failure path it is taken from `event`, which may be malformed. */
  readonly jobName?: string;
  /** The detail of the event that started the run, as it came. */
  readonly event?: { readonly jobName?: unknown };
  readonly destination: 'pinpoint' | 's3' | 'connect-customer-profiles';
  readonly region: string;
  readonly applicationId?: string;
  readonly build?: BuildResult;
  readonly imports?: readonly ImportResult[];
  /** Set when a step failed before any import could be judged. */
  readonly failure?: { readonly Error?: string; readonly Cause?: string };
}

/** The event the workflow emits at its end. */
export type ActivationEvent =
  | {
      detailType: typeof EVENTS.audiencesImported.detailType;
      detail: DetailOf<typeof EVENTS.audiencesImported>;
    }
  | {
      detailType: typeof EVENTS.audienceImportFailed.detailType;
      detail: DetailOf<typeof EVENTS.audienceImportFailed>;
    };

/** How long an import may wait in Pinpoint's queue (PENDING_JOB): the workflow's queue poll budget. */
export const QUEUE_WAIT_HOURS = 4;

export const PINPOINT_END_OF_SUPPORT =
  'Amazon Pinpoint refused the request. Its engagement features (endpoints, segments, campaigns, journeys) reached end of support on 30 October 2026. Redeploy with -c audienceDestination=s3 to keep getting the audience files, and load them into Amazon Connect or another tool.';

/** Turns a Step Functions error into a sentence for the email; never a stack trace. */
export function describeError(error: string | undefined, cause: string | undefined): string {
  const full = causeMessage(cause);
  const message = full === undefined ? undefined : clip(full, MAX_CAUSE_CHARS);
  const name = error ?? 'UnknownError';
  if (/end of support|no longer (available|supported)/i.test(message ?? '')) return PINPOINT_END_OF_SUPPORT;
  if (name === 'ImportJobQueuedTooLong')
    return `The Pinpoint import waited in Pinpoint's queue (PENDING_JOB, behind other imports of the account) longer than the workflow waits for a queue (about ${QUEUE_WAIT_HOURS} hours), and never started.`;
  if (/Pinpoint\.(Forbidden|NotFound|MethodNotAllowed|AccessDenied)/.test(name)) {
    return `Pinpoint refused the request (${name}${message ? `: ${message}` : ''}). Check that pinpointApplicationId names an existing project in this region. If it does, the likely cause is the end of support: ${PINPOINT_END_OF_SUPPORT}`;
  }
  if (name === 'Pinpoint.TooManyRequestsException') {
    return 'Pinpoint kept refusing new imports because its concurrent import jobs were busy (two per account by default), even after waiting. Retry later, or ask AWS Support for a higher import job quota.';
  }
  if (name === 'Pinpoint.BadRequestException')
    return `Pinpoint rejected the import request: ${message ?? 'no detail given'}.`;
  if (name === 'ImportJobFailed')
    return `Pinpoint could not import the file: ${message ?? 'no detail given'}.`;
  if (name === 'ConnectWritesStalled')
    return `Customer Profiles writes stopped progressing: ${message ?? 'no detail given'} The changes not written are in the membership dead-letter queue or still queued; the next run sends whatever was not applied.`;
  if (name === 'ImportJobTimedOut')
    return 'The Pinpoint import started but did not finish within the time the workflow gives a running import (about 1 hour).';
  return clip(describeStepFailure(error, cause), MAX_CAUSE_CHARS);
}

/** Rows Pinpoint could not import, shown per audience in the email. */
export const FAILED_ROWS_SHOWN = 5;
/** Longest text of Pinpoint's taken into an event; the full text stays in the execution history. */
export const MAX_CAUSE_CHARS = 500;

/** The fields of a completed GetImportJob response we use; any may be absent. */
const completedJob = z.looseObject({
  Definition: z.looseObject({ SegmentId: z.string().optional() }).optional(),
  TotalProcessed: z.number().int().nonnegative().optional(),
  TotalFailures: z.number().int().nonnegative().optional(),
  Failures: z.array(z.string()).optional(),
});

/** What a completed import says: its segment (when Pinpoint names one) and, if rows failed, the counts. */
export function readCompletedImport(job: unknown): {
  segmentId?: string;
  pinpointImport?: { processed: number; failed: number; failedRows: string[] };
} {
  const parsed = completedJob.safeParse(job);
  if (!parsed.success) return {};
  const { Definition, TotalProcessed, TotalFailures, Failures } = parsed.data;
  const segmentId = Definition?.SegmentId;
  const failed = TotalFailures ?? 0;
  return {
    ...(segmentId ? { segmentId } : {}),
    // COMPLETED with failures is a partial import: the segment lacks those rows.
    ...(failed > 0
      ? {
          pinpointImport: {
            processed: TotalProcessed ?? 0,
            failed,
            failedRows: (Failures ?? []).slice(0, FAILED_ROWS_SHOWN).map((row) => clip(row, 200)),
          },
        }
      : {}),
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function consoleUrl(region: string, applicationId: string, segmentId: string): string {
  return `https://${region}.console.aws.amazon.com/pinpoint/home?region=${region}#/apps/${applicationId}/segments/${segmentId}`;
}

/** Decides what the activation workflow reports: every audience imported, or which failed and why. */
export function activationOutcome(given: ActivationRun): ActivationEvent {
  const eventJob = typeof given.event?.jobName === 'string' ? given.event.jobName : undefined;
  const run = { ...given, jobName: given.jobName ?? eventJob ?? '(no job name in the event)' };
  const { build } = run;
  if (run.failure || !build) {
    const reason = describeError(run.failure?.Error, run.failure?.Cause);
    return {
      detailType: EVENTS.audienceImportFailed.detailType,
      detail: {
        jobName: run.jobName,
        destination: run.destination,
        reason,
        failures: [],
        moreFailures: 0,
        imported: [],
        moreImported: 0,
      },
    };
  }

  const results = new Map((run.imports ?? []).map((r) => [r.name, r]));
  const summaries = build.audiences.map((a) => {
    const result = results.get(a.name);
    const completed = result?.outcome === 'COMPLETED' ? readCompletedImport(result.job) : {};
    const { segmentId } = completed;
    return {
      name: a.name,
      query: a.query,
      size: a.size,
      holdoutSize: a.holdoutSize,
      unresolvedUsers: a.unresolvedUsers,
      ...(segmentId ? { segmentId } : {}),
      ...(completed.pinpointImport ? { pinpointImport: completed.pinpointImport } : {}),
      ...(result?.outcome === 'APPLIED' ? { connect: connectSummary(result) } : {}),
      ...(segmentId && run.applicationId
        ? { consoleUrl: consoleUrl(run.region, run.applicationId, segmentId) }
        : {}),
    };
  });

  const failures =
    run.destination === 'pinpoint' || run.destination === 'connect-customer-profiles'
      ? build.audiences.flatMap((a) => {
          const result = results.get(a.name);
          if (result?.outcome === 'COMPLETED' || result?.outcome === 'APPLIED') return [];
          const reason = result
            ? describeError(result.error, result.cause)
            : 'The workflow never imported it.';
          return [{ audience: a.name, reason }];
        })
      : [];

  if (build.audiences.length === 0) {
    return {
      detailType: EVENTS.audienceImportFailed.detailType,
      detail: {
        jobName: run.jobName,
        destination: run.destination,
        reason: `The job output held no usable audience (${build.skippedLines} lines skipped). The manifest s3://${build.manifest.bucket}/${build.manifest.key} lists each line and its reason.`,
        failures: [],
        moreFailures: 0,
        imported: [],
        moreImported: 0,
      },
    };
  }

  if (failures.length > 0) {
    const failed = new Set(failures.map((f) => f.audience));
    const imported = summaries.filter((s) => !failed.has(s.name));
    const distinct = [...new Set(failures.map((f) => f.reason))];
    return {
      detailType: EVENTS.audienceImportFailed.detailType,
      detail: {
        jobName: run.jobName,
        destination: run.destination,
        reason:
          distinct.length === 1
            ? `${failures.length} of ${build.audiences.length} audiences failed: ${distinct[0]}`
            : `${failures.length} of ${build.audiences.length} audiences failed; the reason of each is below.`,
        // Capped, like the success event, to stay far under EventBridge's and Step Functions' 256 KB.
        failures: failures.slice(0, MAX_FAILURES_IN_EVENT),
        moreFailures: Math.max(0, failures.length - MAX_FAILURES_IN_EVENT),
        imported: imported.slice(0, MAX_AUDIENCES_IN_EVENT),
        moreImported: Math.max(0, imported.length - MAX_AUDIENCES_IN_EVENT),
      },
    };
  }

  return {
    detailType: EVENTS.audiencesImported.detailType,
    detail: {
      jobName: run.jobName,
      destination: run.destination,
      manifest: build.manifest,
      audiences: summaries.slice(0, MAX_AUDIENCES_IN_EVENT),
      moreAudiences: Math.max(0, summaries.length - MAX_AUDIENCES_IN_EVENT),
      totalUsers: summaries.reduce((sum, a) => sum + a.size, 0),
      totalHoldout: summaries.reduce((sum, a) => sum + a.holdoutSize, 0),
      skippedLines: build.skippedLines,
    },
  };
}
