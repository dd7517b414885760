import { z } from 'zod';
import type { AudienceMembership, FailedChange, MembershipChange } from '../ports/audience-membership';
import type { ChangeBatch, ChangeQueue } from '../ports/change-queue';
import { applyChanges, type ApplyCounts, type ApplyOptions } from './apply-changes';
import { diffAudience, type AudienceRuns, type DiffCounts } from './audience-diff';
import { audienceTarget } from './audience-target';

/**
 * The cloud's way of writing membership: the workflow diffs an audience and queues its changes in
 * batches (enqueueChanges); a writer function with reserved concurrency takes each batch off the
 * queue and writes it under the rate limit (writeChangeBatch), then leaves a receipt; the workflow
 * counts receipts to know when every batch is written (see settle-audience.ts).
 */

/**
 * Changes per queued batch. At the writer's default 25 writes/s per instance a batch takes about
 * 4 s, so a 5-message poll stays far inside the function's timeout even when throttled; and
 * 100 changes of ≤ 255-character IDs stay far under SQS's 256 KB message limit.
 */
export const CHANGES_PER_BATCH = 100;
/** SendMessageBatch takes at most 10 messages. */
export const BATCHES_PER_SEND = 10;

/** A batch as it comes off the queue, checked (IDs within Customer Profiles' 255-character values). */
export const changeBatchSchema = z.object({
  run: z.string().min(1).max(256),
  audienceKey: z.string().min(1).max(251),
  batch: z.number().int().nonnegative(),
  changes: z
    .array(z.object({ userId: z.string().min(1), kind: z.enum(['enter', 'leave']) }))
    .min(1)
    .max(CHANGES_PER_BATCH),
});

export interface QueuedAudience {
  /** Batches sent: the receipts to wait for. */
  readonly batches: number;
  readonly diff: DiffCounts;
}

/**
 * Diffs one audience (this run against the last applied) and queues the changes, CHANGES_PER_BATCH
 * to a batch. Memory holds the diff's hash sets and at most BATCHES_PER_SEND batches.
 */
export async function enqueueChanges(
  run: string,
  audienceKey: string,
  runs: AudienceRuns,
  queue: ChangeQueue,
): Promise<QueuedAudience> {
  const diff = diffAudience(runs);
  let batches = 0;
  let pending: ChangeBatch[] = [];
  let changes: MembershipChange[] = [];
  const closeBatch = () => {
    pending.push({ run, audienceKey, batch: batches++, changes });
    changes = [];
  };
  const flush = async () => {
    if (pending.length > 0) await queue.send(pending);
    pending = [];
  };
  for await (const change of diff.changes) {
    changes.push(change);
    if (changes.length === CHANGES_PER_BATCH) closeBatch();
    if (pending.length === BATCHES_PER_SEND) await flush();
  }
  if (changes.length > 0) closeBatch();
  await flush();
  return { batches, diff: { ...diff.counts } };
}

/** What the writer leaves for one batch: its counts, and each change that still failed, with why. */
export interface BatchReceipt {
  readonly batch: number;
  readonly writes: ApplyCounts;
  readonly failures: readonly FailedChange[];
}

/**
 * Writes one batch through the port with the core's rate limit and throttling back-off
 * (applyChanges); what still fails after its attempts is returned, never thrown.
 */
export async function writeChangeBatch(
  batch: ChangeBatch,
  membership: AudienceMembership,
  options: ApplyOptions,
): Promise<BatchReceipt> {
  const failures: FailedChange[] = [];
  const writes = await applyChanges(
    audienceTarget(batch.audienceKey),
    (async function* () {
      yield* batch.changes;
    })(),
    membership,
    { keep: async (failed) => void failures.push(failed) },
    options,
  );
  return { batch: batch.batch, writes, failures };
}

/** The receipt of a batch that could not be written at all (every change failed for one reason). */
export function failedReceipt(batch: ChangeBatch, reason: string): BatchReceipt {
  return {
    batch: batch.batch,
    writes: { applied: 0, failed: batch.changes.length, throttled: 0, attempts: 0 },
    failures: batch.changes.map((change) => ({
      ...change,
      audienceKey: batch.audienceKey,
      reason,
      failure: 'transient' as const,
      attempts: 0,
    })),
  };
}
