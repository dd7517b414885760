/** What became of one regulation request, after every retry the client was allowed. */
export type RegulationOutcome =
  | {
      readonly created: true;
      /** The ID Segment gave the regulation (`data.regulateId`): no personal data. */
      readonly regulateId: string;
      readonly attempts: number;
    }
  | {
      readonly created: false;
      /** Why it was given up, in words a person can act on. Never contains the token. */
      readonly reason: string;
      /** The last HTTP status, when there was an answer. */
      readonly status?: number;
      /** Segment's own error message, which may quote a user ID: kept with the batch, never in a record or email. */
      readonly segmentMessage?: string;
      readonly attempts: number;
    };

/**
 * The port user deletions in Twilio Segment go through: Segment's Public API
 * (`POST /regulations`, a workspace-scoped regulation) in the cloud, a fake in tests.
 *
 * `suppressWithDelete` resolves with the outcome of one call; it rejects only when every call
 * would fail alike (Segment refused the token), so the caller keeps the rest without trying them.
 */
export interface SegmentRegulations {
  /** One `SUPPRESS_WITH_DELETE` regulation of these `userId`s (at most `SEGMENT_MAX_SUBJECT_IDS`). */
  suppressWithDelete(userIds: readonly string[]): Promise<RegulationOutcome>;
}
