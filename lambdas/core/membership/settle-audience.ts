import { z } from 'zod';
import type { AudienceMembership, FailedChange } from '../ports/audience-membership';
import { readObjectText, type ObjectStore } from '../ports/object-store';
import type { ApplyCounts } from './apply-changes';
import { recordApplied } from './applied-record';
import { audienceTarget } from './audience-target';
import type { BatchReceipt } from './queued-changes';
import { checkSegmentSize, type EstimateCheck, type EstimateOptions } from './segment-estimate';

/**
 * How the workflow knows an audience is written: every queued batch leaves one receipt,
 * `runs/<run>/<audience key>/<batch>.json`, in the state store, written by the writer after the
 * batch's last change was written or kept as failed (a redelivered batch overwrites its own
 * receipt). The workflow counts receipts (a listing, not a read) until there are as many as batches
 * were queued, then settles the audience: sums the receipts, records what is now applied, and asks
 * Customer Profiles for the segment's size.
 */

/** The prefix of one audience's receipts in one run. */
export const receiptsPrefix = (run: string, audienceKey: string) => `runs/${run}/${audienceKey}/`;
/** The receipt of one batch. */
export const receiptKey = (run: string, audienceKey: string, batch: number) =>
  `${receiptsPrefix(run, audienceKey)}${String(batch).padStart(8, '0')}.json`;

/** Receipts present for an audience of a run. */
export async function countReceipts(state: ObjectStore, run: string, audienceKey: string): Promise<number> {
  let receipts = 0;
  for await (const object of state.list(receiptsPrefix(run, audienceKey)))
    if (object.key.endsWith('.json')) receipts++;
  return receipts;
}

const counts = z.number().int().nonnegative();
const receiptSchema = z.object({
  batch: counts,
  writes: z.object({ applied: counts, failed: counts, throttled: counts, attempts: counts }),
  failures: z.array(
    z.object({
      userId: z.string(),
      kind: z.enum(['enter', 'leave']),
      audienceKey: z.string(),
      reason: z.string(),
      failure: z.enum(['throttled', 'transient', 'rejected']),
      attempts: counts,
    }),
  ),
});

/** Distinct failure reasons kept for the event and the email (the dead-letter queue has every one). */
export const FAILURE_REASONS_SHOWN = 5;

export interface SettledAudience {
  readonly audienceKey: string;
  readonly segmentName: string;
  readonly writes: ApplyCounts;
  /** The first distinct reasons of failed changes, without user IDs. */
  readonly failureReasons: readonly string[];
  readonly size: EstimateCheck;
}

/**
 * Sums the receipts of an audience, records the members now applied (this run less the failed
 * entries, plus the failed leaves), then checks the segment's size against `expected`.
 */
export async function settleAudience(
  input: {
    readonly run: string;
    readonly audienceKey: string;
    /** This run's user IDs (the import file), streamed. */
    readonly current: () => AsyncIterable<string>;
    /** Users the diff targeted (DiffCounts.current): what the segment should hold. */
    readonly expected: number;
  },
  state: ObjectStore,
  membership: AudienceMembership,
  estimate: EstimateOptions,
): Promise<SettledAudience> {
  const { run, audienceKey } = input;
  const writes: ApplyCounts = { applied: 0, failed: 0, throttled: 0, attempts: 0 };
  const failedEnters = new Set<string>();
  const failedLeaves: string[] = [];
  const reasons = new Set<string>();
  for await (const object of state.list(receiptsPrefix(run, audienceKey))) {
    if (!object.key.endsWith('.json')) continue;
    const receipt: BatchReceipt = receiptSchema.parse(JSON.parse(await readObjectText(state, object.key)));
    writes.applied += receipt.writes.applied;
    writes.failed += receipt.writes.failed;
    writes.throttled += receipt.writes.throttled;
    writes.attempts += receipt.writes.attempts;
    for (const failure of receipt.failures as FailedChange[]) {
      if (failure.kind === 'enter') failedEnters.add(failure.userId);
      else failedLeaves.push(failure.userId);
      if (reasons.size < FAILURE_REASONS_SHOWN) reasons.add(failure.reason);
    }
  }
  await recordApplied(state, audienceKey, input.current, failedEnters, failedLeaves);
  const target = audienceTarget(audienceKey);
  const size = await checkSegmentSize(target, input.expected, membership, estimate);
  return { audienceKey, segmentName: target.segmentName, writes, failureReasons: [...reasons], size };
}
