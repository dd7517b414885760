import { describe, expect, it } from 'vitest';
import { ObjectStoreKeptBatches } from '../../../lambdas/adapters/object-store-kept-batches';
import { SegmentAuthError } from '../../../lambdas/adapters/segment-http-sink';
import { SEGMENT_LIMITS } from '../../../lambdas/core/segment/limits';
import { syncScores, type SyncOptions, type SyncResult } from '../../../lambdas/core/segment/sync-scores';
import { messageIdFor } from '../../../lambdas/core/segment/traits';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';
import { memorySource, RecordingSink, scoresCsv } from './fakes';

const SCORED_AT = '2026-05-01T10:00:00.000Z';
const SMALL_BATCHES = { ...SEGMENT_LIMITS, maxBatchEvents: 100 };

function setUp(sink = new RecordingSink()) {
  const store = new MemoryObjectStore();
  const kept = new ObjectStoreKeptBatches({ store, now: () => new Date(SCORED_AT) });
  const base = { run: 'run-1', scoredAt: SCORED_AT, sink, kept, limits: SMALL_BATCHES };
  return { sink, store, kept, base };
}

describe('syncScores', () => {
  it('sends one identify per valid row of each model file, with only that model’s traits', async () => {
    // Prepare
    const { sink, base } = setUp();
    const sources = [
      memorySource('churn', 'churn.csv', 'customer_id,score\nc1,0.91\n'),
      memorySource('repurchase', 'repurchase.csv', 'customer_id,score\nc1,0.15\n'),
    ];

    // Act
    const result = await syncScores({ ...base, sources });

    // Assess
    expect(sink.events()).toEqual([
      expect.objectContaining({
        userId: 'c1',
        messageId: messageIdFor('c1', 'churn', 'run-1', {
          churn_propensity: 0.91,
          churn_propensity_decile: 10,
          propensity_scored_at: SCORED_AT,
        }),
        traits: { churn_propensity: 0.91, churn_propensity_decile: 10, propensity_scored_at: SCORED_AT },
      }),
      expect.objectContaining({
        userId: 'c1',
        messageId: messageIdFor('c1', 'repurchase', 'run-1', {
          repurchase_propensity: 0.15,
          repurchase_propensity_decile: 2,
          propensity_scored_at: SCORED_AT,
        }),
        traits: {
          repurchase_propensity: 0.15,
          repurchase_propensity_decile: 2,
          propensity_scored_at: SCORED_AT,
        },
      }),
    ]);
    expect(result).toMatchObject({
      done: true,
      counts: { sent: 2, retried: 0, failed: 0, keptForReplay: 0 },
      invalidRows: 0,
    });
  });

  it('reports every invalid row with its file and line, and sends the valid ones', async () => {
    // Prepare
    const { sink, base } = setUp();
    const reported: string[] = [];
    const sources = [memorySource('churn', 'churn.csv', 'customer_id,score\nc1,0.5\nc2,abc\n,0.1\nc4,0.4\n')];

    // Act
    const result = await syncScores({
      ...base,
      sources,
      onInvalidRow: (row) => reported.push(`${row.source} line ${row.line}: ${row.reason}`),
    });

    // Assess
    expect(reported).toEqual([
      "churn.csv line 3: score 'abc' is not a number between 0 and 1",
      'churn.csv line 4: customer_id is empty',
    ]);
    expect(result.invalidRows).toBe(2);
    expect(result.invalidRowSamples).toHaveLength(2);
    expect(sink.events().map((event) => event.userId)).toEqual(['c1', 'c4']);
  });

  it('keeps a batch the sink could not deliver, with the reason, and counts its events as failed and kept', async () => {
    // Prepare
    const failFirst = new RecordingSink((_, index) =>
      index === 0
        ? { delivered: false, attempts: 11, reason: 'gave up after 11 attempts: HTTP 503', status: 503 }
        : { delivered: true, attempts: 1 },
    );
    const { store, base } = setUp(failFirst);

    // Act
    const result = await syncScores({
      ...base,
      sources: [memorySource('churn', 'churn.csv', scoresCsv(250))],
    });

    // Assess
    expect(result.counts).toEqual({ sent: 150, retried: 10, failed: 100, keptForReplay: 100 });
    const keys = [...store.objects.keys()];
    expect(keys).toEqual([`failed/run-1/${failFirst.batches[0]!.id}.json`]);
    const kept = JSON.parse(store.text(keys[0]!));
    expect(kept).toMatchObject({
      run: 'run-1',
      reason: 'gave up after 11 attempts: HTTP 503',
      status: 503,
      eventCount: 100,
    });
    expect(kept.events).toHaveLength(100);
  });

  it('reports a row whose event would be over 32 KB as invalid with its line and the limit, and keeps nothing', async () => {
    // Prepare
    const { sink, store, base } = setUp();
    const huge = 'x'.repeat(33_000);

    // Act
    const result = await syncScores({
      ...base,
      sources: [memorySource('churn', 'churn.csv', `customer_id,score\nc1,0.1\n${huge},0.2\nc3,0.3\n`)],
    });

    // Assess
    expect(result.counts).toEqual({ sent: 2, retried: 0, failed: 0, keptForReplay: 0 });
    expect(sink.events().map((event) => event.userId)).toEqual(['c1', 'c3']);
    expect(result.invalidRowSamples).toEqual([
      {
        source: 'churn.csv',
        line: 3,
        reason: expect.stringMatching(
          /^its Segment event would be 33,\d{3} bytes, over Segment's limit of 32,000 bytes per event/,
        ),
      },
    ]);
    expect(result.invalidRowSamples[0]!.reason).not.toContain('xxxx');
    expect(store.objects.size).toBe(0);
  });

  it('refuses the whole run before sending anything when one of its files has a quote that is never closed', async () => {
    // Prepare
    const { sink, base } = setUp();
    const rows = scoresCsv(1_000).split('\n');
    rows.splice(501, 0, '"C-unterminated,0.5');
    const sources = [
      memorySource('churn', 'churn.csv', scoresCsv(10)),
      memorySource('repurchase', 'repurchase.csv', rows.join('\n')),
    ];

    // Act
    const run = syncScores({ ...base, sources });

    // Assess
    await expect(run).rejects.toThrow(
      /nothing was pushed.*\n {2}repurchase\.csv line 502: a quoted field opens on this line and runs over the next 500 line\(s\).*none of its 1,001 data line\(s\) were pushed/s,
    );
    expect(sink.batches).toHaveLength(0);
  });

  it('counts retries in requests, not in the events they carried', async () => {
    // Prepare
    const thirdAttempt = new RecordingSink(() => ({ delivered: true, attempts: 3 }));
    const { base } = setUp(thirdAttempt);

    // Act
    const result = await syncScores({
      ...base,
      sources: [memorySource('churn', 'churn.csv', scoresCsv(250))],
    });

    // Assess
    expect(result.counts).toEqual({ sent: 250, retried: 6, failed: 0, keptForReplay: 0 });
  });

  it('stops when asked and resumes from its cursor without losing or repeating a row', async () => {
    // Prepare
    const { sink, base } = setUp();
    const sources = [
      memorySource('churn', 'churn.csv', scoresCsv(2_000)),
      memorySource('repurchase', 'repurchase.csv', scoresCsv(1_500)),
    ];
    let rowsThisInvocation = 0;
    const shouldStop = () => ++rowsThisInvocation % 700 === 0;
    const options: SyncOptions = { ...base, sources, shouldStop };

    // Act
    const results: SyncResult[] = [];
    let result = await syncScores(options);
    results.push(result);
    while (!result.done) {
      rowsThisInvocation = 0;
      result = await syncScores({ ...options, cursor: JSON.parse(JSON.stringify(result.cursor)) });
      results.push(result);
    }

    // Assess
    expect(results.length).toBeGreaterThan(4);
    const ids = sink.events().map((event) => event.messageId);
    expect(ids).toHaveLength(3_500);
    expect(new Set(ids).size).toBe(3_500);
    expect(result.counts).toEqual({ sent: 3_500, retried: 0, failed: 0, keptForReplay: 0 });
  });

  it('never has more batches in flight than its window', async () => {
    // Prepare
    const { sink, base } = setUp();

    // Act
    await syncScores({ ...base, window: 3, sources: [memorySource('churn', 'churn.csv', scoresCsv(2_000))] });

    // Assess
    expect(sink.batches).toHaveLength(20);
    expect(sink.peakInFlight).toBe(3);
  });

  it('stops the run when Segment refuses the write key, once what is in flight has settled', async () => {
    // Prepare
    const refusing = new RecordingSink(() => {
      throw new SegmentAuthError(401);
    });
    const { base } = setUp(refusing);

    // Act
    const run = syncScores({ ...base, sources: [memorySource('churn', 'churn.csv', scoresCsv(5_000))] });

    // Assess
    await expect(run).rejects.toThrow('Segment refused the write key (HTTP 401)');
    expect(refusing.batches.length).toBeLessThan(50);
  });
});
