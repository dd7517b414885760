import { describe, expect, it } from 'vitest';
import { ObjectStoreKeptBatches } from '../../../lambdas/adapters/object-store-kept-batches';
import { SEGMENT_LIMITS } from '../../../lambdas/core/segment/limits';
import { replayKept } from '../../../lambdas/core/segment/replay';
import { syncScores } from '../../../lambdas/core/segment/sync-scores';
import { collect, MemoryObjectStore } from '../../adapters/segment/memory-object-store';
import { memorySource, RecordingSink, scoresCsv } from './fakes';

const SCORED_AT = '2026-05-01T10:00:00.000Z';
const limits = { ...SEGMENT_LIMITS, maxBatchEvents: 100 };

/** A run where every batch failed, so everything is kept. */
async function runThatKeptEverything(csv: string) {
  const store = new MemoryObjectStore();
  const kept = new ObjectStoreKeptBatches({ store });
  const down = new RecordingSink(() => ({
    delivered: false,
    attempts: 3,
    reason: 'Segment answered HTTP 503',
    status: 503,
  }));
  const result = await syncScores({
    run: 'run-1',
    scoredAt: SCORED_AT,
    sources: [memorySource('churn', 'churn.csv', csv)],
    sink: down,
    kept,
    limits,
  });
  return { store, kept, result, down };
}

describe('replayKept', () => {
  it('re-sends every kept batch with the same messageIds and marks each one replayed', async () => {
    // Prepare
    const { store, kept, down } = await runThatKeptEverything(scoresCsv(250));
    const up = new RecordingSink();

    // Act
    const result = await replayKept({ kept, sink: up, prefix: 'failed/run-1/', limits });

    // Assess
    expect(result).toEqual({
      counts: { sent: 250, retried: 0, failed: 0, keptForReplay: 0 },
      replayed: 3,
      remaining: [],
    });
    expect(
      up
        .events()
        .map((event) => event.messageId)
        .sort(),
    ).toEqual(
      down
        .events()
        .map((event) => event.messageId)
        .sort(),
    );
    expect([...store.objects.keys()].filter((key) => key.endsWith('.replayed'))).toHaveLength(3);
  });

  it('skips batches already replayed', async () => {
    // Prepare
    const { kept } = await runThatKeptEverything(scoresCsv(150));
    await replayKept({ kept, sink: new RecordingSink(), prefix: 'failed/', limits });
    const second = new RecordingSink();

    // Act
    const result = await replayKept({ kept, sink: second, prefix: 'failed/', limits });

    // Assess
    expect(result.replayed).toBe(0);
    expect(second.batches).toHaveLength(0);
  });

  it('leaves a batch kept, with the new reason, when the replay fails again', async () => {
    // Prepare
    const { kept } = await runThatKeptEverything(scoresCsv(50));
    const stillDown = new RecordingSink(() => ({
      delivered: false,
      attempts: 11,
      reason: 'gave up after 11 attempts: HTTP 500',
      status: 500,
    }));

    // Act
    const result = await replayKept({ kept, sink: stillDown, prefix: 'failed/', limits });

    // Assess
    expect(result.counts).toEqual({ sent: 0, retried: 10, failed: 50, keptForReplay: 50 });
    expect(result.remaining).toEqual([
      {
        key: expect.stringMatching(/^failed\/run-1\/.+\.json$/),
        reason: 'gave up after 11 attempts: HTTP 500',
      },
    ]);
    expect(await collect(kept.pending('failed/'))).toHaveLength(1);
  });

  it('keeps an event over 32 KB kept instead of sending it to be refused', async () => {
    // Prepare: a file kept by an earlier version, which kept oversized events for replay
    const kept = new ObjectStoreKeptBatches({ store: new MemoryObjectStore() });
    const huge = JSON.stringify({
      type: 'identify',
      userId: 'x'.repeat(33_000),
      messageId: 'm1',
      timestamp: SCORED_AT,
      traits: {},
    });
    await kept.keep({ run: 'r', batchId: 'event-m1', reason: 'over the limit', events: [huge] });
    const sink = new RecordingSink();

    // Act
    const result = await replayKept({ kept, sink, prefix: 'failed/', limits });

    // Assess
    expect(sink.batches).toHaveLength(0);
    expect(result.remaining[0]?.reason).toMatch(/over Segment's 32000-byte limit per event/);
  });
});
