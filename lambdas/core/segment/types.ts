/** The models whose scores are pushed to Segment, as named in the `Propensity Scores Ready` event. */
export type PropensityModel = 'churn' | 'repurchase';

/** A Segment `identify` call as sent inside a `/v1/batch` request. */
export interface IdentifyEvent {
  readonly type: 'identify';
  readonly userId: string;
  /** Deterministic, so a re-sent event is de-duplicated by Segment. */
  readonly messageId: string;
  /** When the scores were computed, not when they were sent. */
  readonly timestamp: string;
  readonly traits: Readonly<Record<string, string | number>>;
}

/** Events ready to go in one `/v1/batch` request, already serialized and measured. */
export interface EventBatch {
  /** Stable for the same events, so a kept batch written twice lands on the same key. */
  readonly id: string;
  /** Each event as serialized JSON, in order. */
  readonly events: readonly string[];
  /** Exact size in bytes of the request body `renderBatchBody` makes from this batch. */
  readonly bodyBytes: number;
}

/** An event refused before sending, with the reason a person can act on. */
export interface RejectedEvent {
  readonly event: string;
  readonly messageId: string;
  readonly reason: string;
}

/** What happened to the events of a run (or of a replay). Every count but `retried` is in events. */
export interface SyncCounts {
  /** Accepted by Segment (a 2xx). */
  readonly sent: number;
  /** Requests that were retries of an earlier attempt (counted in requests, not events). */
  readonly retried: number;
  /** Not delivered: retries exhausted, a non-retryable answer, or over a Segment limit. */
  readonly failed: number;
  /** Failed events written to the kept-batch store, ready for `replay`. */
  readonly keptForReplay: number;
}

export const ZERO_COUNTS: SyncCounts = { sent: 0, retried: 0, failed: 0, keptForReplay: 0 };

/** Adds two sets of counts. */
export function addCounts(a: SyncCounts, b: SyncCounts): SyncCounts {
  return {
    sent: a.sent + b.sent,
    retried: a.retried + b.retried,
    failed: a.failed + b.failed,
    keptForReplay: a.keptForReplay + b.keptForReplay,
  };
}
