/**
 * The port a live destination writes audience membership through: Amazon Connect Customer
 * Profiles in the cloud and the CLI, its local fake (test/offline double) in tests and `cdp run`.
 *
 * Membership is one profile attribute per audience (`aud_<audience>`), never a list of IDs: a
 * Customer Profiles segment definition holds at most 50 values, so the segment tests the attribute.
 */

/** One user's change of membership in one audience. */
export interface MembershipChange {
  readonly userId: string;
  /** enter: the attribute becomes `IN`; leave: it stops being `IN`. */
  readonly kind: 'enter' | 'leave';
}

/** The audience a destination writes: its attribute and its segment definition. */
export interface AudienceTarget {
  /** The query part of the audience name (`genres-action`): stable from one job to the next. */
  readonly audienceKey: string;
  /** `aud_<audience>`. */
  readonly attribute: string;
  /** The segment definition's name; never changed once created (a change would replace it). */
  readonly segmentName: string;
}

/** Why a write failed, as the writer's retry policy sees it. */
export type WriteFailureKind =
  /** The service refused for rate (429 / ThrottlingException): wait and retry. */
  | 'throttled'
  /** A 5xx or a dropped connection: retry a few times. */
  | 'transient'
  /** The request can never succeed as it is (no such profile, a limit exceeded): keep it, do not retry. */
  | 'rejected';

/** The error every adapter throws for a failed write, classified for the retry policy. */
export class MembershipWriteError extends Error {
  override readonly name = 'MembershipWriteError';
  constructor(
    readonly kind: WriteFailureKind,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A segment size estimate as the service reports it. */
export type SegmentEstimate =
  | { readonly status: 'RUNNING' }
  | { readonly status: 'SUCCEEDED'; readonly size: number }
  | { readonly status: 'FAILED'; readonly message: string };

export interface AudienceMembership {
  /**
   * Makes the audience writable and targetable: whatever the writes need (an object type) and the
   * segment definition. Creates what is missing, never recreates what exists.
   */
  prepare(target: AudienceTarget): Promise<void>;
  /** Writes one change. Throws a MembershipWriteError when it fails. */
  write(target: AudienceTarget, change: MembershipChange): Promise<void>;
  /** Starts a size estimate of the audience's segment; returns its ID. */
  startEstimate(target: AudienceTarget): Promise<string>;
  /** Reads an estimate started by `startEstimate`. */
  readEstimate(target: AudienceTarget, estimateId: string): Promise<SegmentEstimate>;
}

/** A change that could not be written after every retry it was allowed, kept with its reason. */
export interface FailedChange extends MembershipChange {
  readonly audienceKey: string;
  readonly reason: string;
  readonly failure: WriteFailureKind;
  readonly attempts: number;
}

/** Where failed changes are kept (SQS dead-letter queue in the cloud, a JSON-lines file locally). */
export interface FailedChangeStore {
  keep(failed: FailedChange): Promise<void>;
}
