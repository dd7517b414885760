/**
 * The two contenders of bench/segment.bench.ts, each run in its own child process (so peak RSS
 * is per contender). Both read the same CSV with the same parser and build the same identify
 * events; only the sending differs: our batcher + sender, or @segment/analytics-node.
 */
import { Analytics } from '@segment/analytics-node';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalObjectStore } from '../lambdas/adapters/local-object-store';
import { ObjectStoreKeptBatches } from '../lambdas/adapters/object-store-kept-batches';
import { fileScoreSource } from '../lambdas/adapters/score-sources';
import { SegmentHttpSink } from '../lambdas/adapters/segment-http-sink';
import { replayKept } from '../lambdas/core/segment/replay';
import { readScoreRows } from '../lambdas/core/segment/score-rows';
import { syncScores } from '../lambdas/core/segment/sync-scores';
import { buildIdentify } from '../lambdas/core/segment/traits';

export interface ContenderInput {
  readonly endpoint: string;
  readonly writeKey: string;
  readonly file: string;
  readonly run: string;
  readonly scoredAt: string;
  /** Ours: requests in flight; the library: events enqueued ahead of acknowledgement ÷ flushAt. */
  readonly concurrency: number;
  readonly requestsPerSecond: number;
  readonly libraryFlushAt: number;
}

export interface ContenderResult {
  readonly elapsedMs: number;
  readonly events: number;
  readonly failed: number;
  readonly kept: number;
  readonly replayRounds: number;
  readonly peakRssMb: number;
}

/** Our pipeline, as the Lambda runs it; kept batches (if any) are replayed until none remain. */
export async function runOurs(input: ContenderInput): Promise<ContenderResult> {
  const started = performance.now();
  const sink = new SegmentHttpSink({
    writeKey: input.writeKey,
    endpoint: input.endpoint,
    concurrency: input.concurrency,
    requestsPerSecond: input.requestsPerSecond,
  });
  const keptDir = await mkdtemp(path.join(tmpdir(), 'segment-bench-kept-'));
  const kept = new ObjectStoreKeptBatches({ store: new LocalObjectStore({ root: keptDir }) });
  const result = await syncScores({
    run: input.run,
    scoredAt: input.scoredAt,
    sources: [fileScoreSource(input.file, 'churn')],
    sink,
    kept,
    window: input.concurrency * 2,
  });
  let rounds = 0;
  let remaining = result.counts.keptForReplay;
  while (remaining > 0 && rounds < 5) {
    rounds += 1;
    remaining = (await replayKept({ kept, sink, prefix: 'failed/' })).remaining.length;
  }
  await rm(keptDir, { recursive: true, force: true });
  return {
    elapsedMs: performance.now() - started,
    events: result.counts.sent,
    failed: result.counts.failed,
    kept: result.counts.keptForReplay,
    replayRounds: rounds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

/**
 * @segment/analytics-node at its best: full batches (flushAt as high as its batch size allows),
 * a flush interval that never fires before a batch fills, and at most `concurrency` batches
 * awaiting acknowledgement so the queue does not hold the whole file.
 */
export async function runLibrary(input: ContenderInput): Promise<ContenderResult> {
  const started = performance.now();
  const analytics = new Analytics({
    writeKey: input.writeKey,
    host: input.endpoint,
    flushAt: input.libraryFlushAt,
    flushInterval: 1_000,
    maxRetries: 10,
    httpRequestTimeout: 15_000,
  });
  const window = input.libraryFlushAt * input.concurrency;
  let outstanding = 0;
  let failed = 0;
  let acknowledged = 0;
  let wake: (() => void) | undefined;
  const settle = (error?: unknown): void => {
    outstanding -= 1;
    if (error) failed += 1;
    else acknowledged += 1;
    if (outstanding < window / 2) wake?.();
  };
  const rows = readScoreRows(createReadStream(input.file, { highWaterMark: 256 * 1024 }));
  for await (const row of rows) {
    if (row.kind !== 'score') continue;
    const event = buildIdentify({ ...row, model: 'churn', run: input.run, scoredAt: input.scoredAt });
    outstanding += 1;
    analytics.identify(
      { userId: event.userId, messageId: event.messageId, timestamp: event.timestamp, traits: event.traits },
      settle,
    );
    if (outstanding >= window) await new Promise<void>((resolve) => (wake = resolve));
  }
  await analytics.closeAndFlush({ timeout: 600_000 });
  return {
    elapsedMs: performance.now() - started,
    events: acknowledged,
    failed,
    kept: 0,
    replayRounds: 0,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
