import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStoreKeptBatches } from '../../../lambdas/adapters/object-store-kept-batches';
import { SegmentHttpSink } from '../../../lambdas/adapters/segment-http-sink';
import { SEGMENT_LIMITS } from '../../../lambdas/core/segment/limits';
import { syncScores } from '../../../lambdas/core/segment/sync-scores';
import { messageIdFor } from '../../../lambdas/core/segment/traits';
import { startSegmentSink, type SegmentSink } from '../../../lambdas/local/segment-sink';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';
import { memorySource, scoresCsv } from '../../core/segment/fakes';

const WRITE_KEY = 'wk_fault_test';
let sink: SegmentSink | undefined;

afterEach(async () => {
  await sink?.close();
});

describe('pushing scores through a faulty Segment', () => {
  it('delivers every messageId exactly once after de-duplication, through 500s, 429s and connection resets', async () => {
    // Prepare
    sink = await startSegmentSink({
      writeKey: WRITE_KEY,
      faults: { serverErrorRate: 0.2, rateLimitRate: 0.1, retryAfterSeconds: 0, resetRate: 0.05, seed: 7 },
    });
    const store = new MemoryObjectStore();
    const http = new SegmentHttpSink({
      writeKey: WRITE_KEY,
      endpoint: sink.url,
      concurrency: 4,
      requestsPerSecond: 1_000,
      retry: { baseDelayMs: 2, maxDelayMs: 20 },
    });
    const customers = 6_000;

    // Act
    const result = await syncScores({
      run: 'fault-run',
      scoredAt: '2026-05-01T10:00:00.000Z',
      sources: [memorySource('churn', 'churn.csv', scoresCsv(customers))],
      sink: http,
      kept: new ObjectStoreKeptBatches({ store }),
      limits: { ...SEGMENT_LIMITS, maxBatchEvents: 50 },
    });

    // Assess
    const stats = sink.stats();
    expect(result.counts).toMatchObject({ sent: customers, failed: 0, keptForReplay: 0 });
    expect(result.counts.retried).toBeGreaterThan(0);
    expect(stats.resets).toBeGreaterThan(0);
    expect(stats.uniqueEvents).toBe(customers);
    const expected = Array.from({ length: customers }, (_, index) =>
      messageIdFor(`c${index + 1}`, 'churn', 'fault-run'),
    );
    expect(expected.every((id) => sink!.messageIds().has(id))).toBe(true);
    expect(store.objects.size).toBe(0);
  });
});
