import { beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { MAX_SYNC_INVOCATIONS } from '../../lib/constructs/segment-sync';
import { buildApp } from '../lib/synth';
import { definitionOf, runLocally, type LocalHandler as Handler } from './definition';

const detail = {
  run: 'run-42',
  scoredAt: '2026-11-23T10:00:00Z',
  scores: [{ model: 'churn', location: { bucket: 'trusted', key: 'scores/run-42/churn.csv' } }],
};
const counts = (sent: number, keptForReplay = 0) => ({
  sent,
  retried: 3,
  failed: keptForReplay,
  keptForReplay,
});
const pushed = (over: object) => ({
  run: 'run-42',
  done: true,
  counts: counts(1000),
  invalidRows: 0,
  invalidRowSamples: [],
  replayPrefix: { bucket: 'trusted', key: 'failed/run-42/' },
  ...over,
});

describe('segment sync workflow, executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(buildApp().template, 'SegmentSyncWorkflow');
  });

  async function run(push: Handler, input: object = { 'detail-type': 'Propensity Scores Ready', detail }) {
    const { outcome, published } = await runLocally(definition, input, {
      handlers: { 'Push scores': push },
      publishStates: ['Publish synced', 'Publish kept batches', 'Publish stopped', 'Publish invalid event'],
    });
    expect(published).toHaveLength(1);
    return { outcome, ...published[0]! };
  }

  it('publishes Segment Sync Succeeded with the counts when one invocation finishes the run', async () => {
    const { outcome, detailType, detail: d } = await run(async () => pushed({}));

    expect(outcome).toBe('succeeded');
    expect(detailType).toBe(EVENTS.segmentSyncSucceeded.detailType);
    expect(EVENTS.segmentSyncSucceeded.schema.parse(d)).toMatchObject({
      run: 'run-42',
      counts: counts(1000),
    });
  });

  it('continues from the cursor until the run is done', async () => {
    const requests: any[] = [];
    const cursor = { source: 0, byte: 5000, line: 100, counts: counts(99), invalidRows: 0 };
    const push: Handler = async (input) => {
      requests.push(input);
      return requests.length < 3
        ? pushed({ done: false, next: { ...detail, cursor: { ...cursor, line: requests.length * 100 } } })
        : pushed({});
    };

    const { detailType } = await run(push);

    expect(detailType).toBe(EVENTS.segmentSyncSucceeded.detailType);
    expect(requests).toHaveLength(3);
    expect(requests[0]).toEqual(detail);
    expect(requests[2].cursor.line).toBe(200);
  });

  it('reports kept batches as a failure with the count and where they are', async () => {
    const { outcome, detailType, detail: d } = await run(async () => pushed({ counts: counts(990, 10) }));

    expect(outcome).toBe('succeeded');
    expect(detailType).toBe(EVENTS.segmentSyncFailed.detailType);
    expect(EVENTS.segmentSyncFailed.schema.parse(d)).toMatchObject({
      reason: '10 events could not be delivered after retries; nothing is lost, they are kept for replay.',
      replayPrefix: { bucket: 'trusted', key: 'failed/run-42/' },
    });
  });

  it('reports a crashed push with the failure for the email, and fails the execution for the alarm', async () => {
    const crash: Handler = async () => {
      throw Object.assign(new Error('churn.csv line 4: score "high" is not a number'), {
        name: 'UserFacingError',
      });
    };

    const { outcome, detailType, detail: d } = await run(crash);

    expect(outcome).toBe('failed: SegmentSyncFailed');
    expect(detailType).toBe(EVENTS.segmentSyncFailed.detailType);
    expect(d.failure).toEqual({
      error: 'UserFacingError',
      cause: 'churn.csv line 4: score "high" is not a number',
    });
  });

  it('answers a hand-written event without a run with an email that says what is missing', async () => {
    let pushed = false;
    const {
      outcome,
      detailType,
      detail: d,
    } = await run(
      async () => {
        pushed = true;
        return pushed;
      },
      { detail: { scores: detail.scores } },
    );

    expect(outcome).toBe('succeeded');
    expect(pushed).toBe(false);
    expect(detailType).toBe(EVENTS.segmentSyncFailed.detailType);
    expect(d.reason).toContain('needs detail.run (text)');
  });

  it('stops a run that never finishes after a bounded number of invocations', async () => {
    let invocations = 0;
    const never: Handler = async () => {
      invocations += 1;
      return pushed({
        done: false,
        next: { ...detail, cursor: { source: 0, byte: 1, line: 1, counts: counts(1), invalidRows: 0 } },
      });
    };

    const { detail: d } = await run(never);

    expect(invocations).toBe(MAX_SYNC_INVOCATIONS);
    expect(d.failure.error).toBe('SyncTooLong');
  });
});
