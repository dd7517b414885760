import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStoreKeptBatches } from '../../../lambdas/adapters/object-store-kept-batches';
import { SegmentHttpSink } from '../../../lambdas/adapters/segment-http-sink';
import { SEGMENT_LIMITS } from '../../../lambdas/core/segment/limits';
import { syncScores } from '../../../lambdas/core/segment/sync-scores';
import { buildIdentify } from '../../../lambdas/core/segment/traits';
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
    const expected = Array.from(
      { length: customers },
      (_, index) =>
        buildIdentify({
          customerId: `c${index + 1}`,
          score: (index % 100) / 100,
          model: 'churn',
          run: 'fault-run',
          scoredAt: '2026-05-01T10:00:00.000Z',
        }).messageId,
    );
    expect(expected.every((id) => sink!.messageIds().has(id))).toBe(true);
    expect(store.objects.size).toBe(0);
  });
});

describe('re-sending a run to Segment', () => {
  const push = (target: SegmentSink, csv: string) =>
    syncScores({
      run: 'weekly-run',
      scoredAt: '2026-05-01T10:00:00.000Z',
      sources: [memorySource('churn', 'churn.csv', csv)],
      sink: new SegmentHttpSink({ writeKey: WRITE_KEY, endpoint: target.url, requestsPerSecond: 1_000 }),
      kept: new ObjectStoreKeptBatches({ store: new MemoryObjectStore() }),
    });

  it('is de-duplicated when identical, while a corrected score file gets through', async () => {
    // Prepare
    sink = await startSegmentSink({ writeKey: WRITE_KEY });
    const original = 'customer_id,score\nc1,0.10\nc2,0.20\nc3,0.30\n';
    const corrected = 'customer_id,score\nc1,0.10\nc2,0.25\nc3,0.35\n';

    // Act
    await push(sink, original);
    await push(sink, original);
    const afterRepeat = sink.stats();
    await push(sink, corrected);

    // Assess
    expect(afterRepeat).toMatchObject({ events: 6, uniqueEvents: 3, duplicateEvents: 3 });
    // c1 is unchanged and dropped again; c2 and c3 carry new scores and are accepted.
    expect(sink.stats()).toMatchObject({ events: 9, uniqueEvents: 5, duplicateEvents: 4 });
  });
});
