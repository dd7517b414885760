import { randomBytes } from 'node:crypto';
import { EVENTS } from '../../../core/events/catalog';
import { UserFacingError } from '../../../core/errors';
import { syncScores } from '../../../core/segment/sync-scores';
import { ObjectStoreKeptBatches } from '../../../adapters/object-store-kept-batches';
import { objectStoreScoreSource } from '../../../adapters/score-sources';
import { SegmentHttpSink } from '../../../adapters/segment-http-sink';
import { localSuppressedIds } from '../../privacy-suppression';
import { startSegmentSink } from '../../segment-sink';
import type { Progress, RunContext, StageReport } from '../run-context';
import type { ScoreRunResult } from './score';

/**
 * Stage 6: the Segment sync, over real HTTP to the local Segment endpoint started in-process (it
 * enforces /v1/batch's limits and de-duplicates by messageId, as Segment does). Reports what the
 * endpoint received; batches it refused are kept under `failed/<run>/` as in the cloud.
 */
export async function syncStage(context: RunContext, progress: Progress): Promise<StageReport> {
  const scores = context.facts.get('scores') as ScoreRunResult | undefined;
  if (!scores)
    throw new UserFacingError('the Segment sync needs the score stage: run it with --stages score,sync');
  const writeKey = randomBytes(12).toString('hex');
  const endpoint = await startSegmentSink({ writeKey });
  try {
    const sink = new SegmentHttpSink({
      writeKey,
      endpoint: endpoint.url,
      concurrency: 4,
      requestsPerSecond: 500,
    });
    const sources = (['churn', 'repurchase'] as const).map((model) =>
      objectStoreScoreSource(context.zones, `scores/${scores.run}/${model}.csv`, model, `${model}.csv`),
    );
    progress.start(scores.customersScored * 2, 'events');
    const result = await syncScores({
      run: scores.run,
      scoredAt: context.now().toISOString(),
      sources,
      sink,
      kept: new ObjectStoreKeptBatches({ store: context.zones }),
      suppressed: await localSuppressedIds(context.zones, context.dir),
      onProgress: ({ counts }) => progress.update(counts.sent + counts.failed),
    });
    const received = endpoint.stats();
    const detail = { run: scores.run, counts: result.counts, invalidRows: result.invalidRows };
    if (result.counts.failed > 0 || result.invalidRows > 0) {
      context.publish(EVENTS.segmentSyncFailed, {
        ...detail,
        reason: `${result.counts.failed} event(s) not delivered and ${result.invalidRows} invalid row(s); see failed/${scores.run}/`,
        replayPrefix: context.location(`failed/${scores.run}/`),
      });
      throw new UserFacingError(
        `Segment sync: ${result.counts.failed} event(s) kept for replay under failed/${scores.run}/`,
      );
    }
    context.publish(EVENTS.segmentSyncSucceeded, detail);
    context.facts.set('sync', { sent: result.counts.sent, requests: received.requests });
    return {
      summary: `${result.counts.sent.toLocaleString('en-US')} identify events sent in ${received.requests} request(s); the local Segment endpoint holds ${received.uniqueEvents.toLocaleString('en-US')} distinct events`,
      counts: { sent: result.counts.sent, requests: received.requests, received: received.uniqueEvents },
    };
  } finally {
    await endpoint.close();
  }
}
