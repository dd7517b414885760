import type { EventBatch } from '../segment/types';

/** How one batch fared, after every retry the sink was allowed. */
export type SendOutcome =
  | { readonly delivered: true; readonly attempts: number }
  | {
      readonly delivered: false;
      readonly attempts: number;
      /** Why it was given up, in words a person can act on. Never contains the write key. */
      readonly reason: string;
      /** The last HTTP status, when there was an answer. */
      readonly status?: number;
    };

/**
 * The port profile traits are pushed through: Segment's HTTP API in the cloud and the CLI, the
 * local sink in tests and demos (same HTTP implementation, another endpoint).
 *
 * `send` resolves with the outcome of a batch; it rejects only when continuing is pointless for
 * every batch (a write key Segment refuses), so the run stops instead of keeping millions of
 * events for replay.
 */
export interface TraitSink {
  send(batch: EventBatch): Promise<SendOutcome>;
}
