import pLimit from 'p-limit';
import type { KeptBatchStore } from '../ports/kept-batch-store';
import type { TraitSink } from '../ports/trait-sink';
import { BatchBuilder } from './batcher';
import { SEGMENT_LIMITS, type SegmentLimits } from './limits';
import { addCounts, ZERO_COUNTS, type EventBatch, type IdentifyEvent, type SyncCounts } from './types';

export interface ReplayOptions {
  readonly kept: KeptBatchStore;
  readonly sink: TraitSink;
  /** Which kept batches: `failed/` for all, `failed/<run>/` for one run. */
  readonly prefix: string;
  readonly limits?: SegmentLimits;
  /** Kept files replayed at once. Default 4. */
  readonly concurrency?: number;
}

export interface ReplayResult {
  /** `failed` and `keptForReplay` count the events still kept after this replay. */
  readonly counts: SyncCounts;
  /** Kept files now delivered and marked replayed. */
  readonly replayed: number;
  /** Kept files still pending, with the reason they are. */
  readonly remaining: readonly { readonly key: string; readonly reason: string }[];
}

/**
 * Re-sends kept batches. Each one goes back through the batcher, so an event over a Segment
 * limit stays kept (with its reason) instead of being sent to be refused. A file is marked
 * replayed only when every one of its events was delivered; otherwise it stays as it was, and
 * since messageIds are deterministic, re-sending the part that did go through is harmless.
 */
export async function replayKept(options: ReplayOptions): Promise<ReplayResult> {
  let counts = ZERO_COUNTS;
  let replayed = 0;
  const remaining: { key: string; reason: string }[] = [];
  const limit = pLimit(options.concurrency ?? 4);
  const replayOne = async (key: string): Promise<void> => {
    const kept = await options.kept.read(key);
    const builder = new BatchBuilder(options.limits ?? SEGMENT_LIMITS);
    const batches: EventBatch[] = [];
    const reasons: string[] = [];
    let undeliverable = 0;
    for (const json of kept.events) {
      const output = builder.add(JSON.parse(json) as IdentifyEvent);
      batches.push(...output.batches);
      if (output.rejected) {
        undeliverable += 1;
        reasons.push(output.rejected.reason);
      }
    }
    const last = builder.flush();
    if (last) batches.push(last);
    const outcomes = await Promise.all(batches.map((batch) => options.sink.send(batch)));
    outcomes.forEach((outcome, index) => {
      const count = batches[index]!.events.length;
      if (outcome.attempts > 1) counts = addCounts(counts, { ...ZERO_COUNTS, retried: outcome.attempts - 1 });
      if (outcome.delivered) counts = addCounts(counts, { ...ZERO_COUNTS, sent: count });
      else {
        undeliverable += count;
        reasons.push(outcome.reason);
      }
    });
    if (undeliverable === 0) {
      await options.kept.markReplayed(key);
      replayed += 1;
    } else {
      counts = addCounts(counts, { ...ZERO_COUNTS, failed: undeliverable, keptForReplay: undeliverable });
      remaining.push({ key, reason: reasons[0]! });
    }
  };
  const keys: string[] = [];
  for await (const key of options.kept.pending(options.prefix)) keys.push(key);
  await Promise.all(keys.map((key) => limit(replayOne, key)));
  remaining.sort((a, b) => a.key.localeCompare(b.key));
  return { counts, replayed, remaining };
}
