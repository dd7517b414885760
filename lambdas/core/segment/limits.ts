/**
 * Segment HTTP Tracking API limits, enforced on our side.
 *
 * Segment answers 400 for a batch over 500 KB or an event over 32 KB, and can answer 200 while
 * dropping what it will not process, so a 200 proves nothing about an oversized batch: every
 * batch is measured in serialized bytes of the exact request body before it leaves.
 *
 * KB is read as 1,000 bytes, the stricter of the two readings, so a body is under the limit
 * whichever one Segment's edge applies.
 */
export interface SegmentLimits {
  /** Largest serialized event, in bytes. */
  readonly maxEventBytes: number;
  /** Largest `/v1/batch` request body, in bytes. */
  readonly maxBatchBytes: number;
  /** Most events in one `/v1/batch` request. */
  readonly maxBatchEvents: number;
}

export const SEGMENT_LIMITS: SegmentLimits = {
  maxEventBytes: 32_000,
  maxBatchBytes: 500_000,
  maxBatchEvents: 2_500,
};
