/**
 * Live audience membership: this run's audience against the one last applied → the changes
 * (diffAudience), written through the AudienceMembership port with a rate limit, retries and a
 * failed-change store (applyChanges), then the segment's size checked (checkSegmentSize).
 */
export { diffAudience, type AudienceDiff, type AudienceRuns, type DiffCounts } from './audience-diff';
export { readAudienceIds } from './audience-ids';
export { audienceTarget, MEMBER_VALUE } from './audience-target';
export { applyChanges, type ApplyCounts, type ApplyOptions } from './apply-changes';
export {
  checkSegmentSize,
  compareEstimate,
  type EstimateCheck,
  type EstimateOptions,
} from './segment-estimate';
export {
  activateAudiences,
  appliedKey,
  type ActivateOptions,
  type AudienceOutcome,
} from './activate-audiences';
export { recordApplied } from './applied-record';
export {
  BATCHES_PER_SEND,
  CHANGES_PER_BATCH,
  changeBatchSchema,
  enqueueChanges,
  failedReceipt,
  writeChangeBatch,
  type BatchReceipt,
  type QueuedAudience,
} from './queued-changes';
export {
  countReceipts,
  FAILURE_REASONS_SHOWN,
  receiptKey,
  receiptsPrefix,
  settleAudience,
  type SettledAudience,
} from './settle-audience';
