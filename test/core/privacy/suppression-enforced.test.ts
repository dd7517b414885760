import { describe, expect, it } from 'vitest';
import { ObjectStoreKeptBatches } from '../../../lambdas/adapters/object-store-kept-batches';
import { buildAudiences } from '../../../lambdas/core/activation/build-audiences';
import { SuppressionList } from '../../../lambdas/core/privacy/suppression';
import { hashIdentifier } from '../../../lambdas/core/privacy/subject';
import { syncScores } from '../../../lambdas/core/segment/sync-scores';
import { MemoryObjectStore } from '../../adapters/segment/memory-object-store';
import { chunksOf, jsonLines, memorySink, usersListLine } from '../activation/fixtures';
import { memorySource, RecordingSink } from '../segment/fakes';

const salt = Buffer.alloc(32, 3);
const erased = new SuppressionList(salt, new Set([hashIdentifier(salt, 'id', 'u2')]));
const suppressed = (id: string) => erased.has('id', id);

describe('the suppression list', () => {
  it('keeps an erased user out of every audience file, hold-out included', async () => {
    // Prepare
    const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
    const sink = memorySink();

    // Act
    const manifest = await buildAudiences(
      chunksOf(jsonLines(usersListLine('ITEMS.genres = "Action"', users)), 1 << 16),
      sink,
      {
        jobName: 'weekly',
        source: 'queries.json.out',
        holdoutPercent: 50,
        suppressed,
      },
    );

    // Assess
    const files = [manifest.audiences[0]!.files.import, manifest.audiences[0]!.files.holdout!];
    const written = files.flatMap((file) => sink.text(file).trim().split('\n').slice(1));
    expect(written.sort()).toEqual(users.filter((u) => u !== 'u2').sort());
  });

  it('never sends an erased customer to Segment', async () => {
    // Prepare
    const sink = new RecordingSink();
    const kept = new ObjectStoreKeptBatches({ store: new MemoryObjectStore(), now: () => new Date(0) });

    // Act
    await syncScores({
      run: 'run-1',
      scoredAt: '2026-05-01T10:00:00.000Z',
      sources: [memorySource('churn', 'churn.csv', 'customer_id,score\nu1,0.5\nu2,0.9\nu3,0.1\n')],
      sink,
      kept,
      suppressed,
    });

    // Assess
    expect(sink.events().map((e) => e.userId)).toEqual(['u1', 'u3']);
  });

  it('drops a row when any of its ID, email or phone columns is erased', () => {
    const list = new SuppressionList(salt, new Set([hashIdentifier(salt, 'email', 'ann@example.com')]));
    const columns = [
      { name: 'receipt_id', type: { name: 'id' } },
      { name: 'email', type: { name: 'email' } },
    ];
    expect(list.suppressesRow(columns, ['R1', 'ann@example.com'])).toBe(true);
    expect(list.suppressesRow(columns, ['R2', 'bob@example.com'])).toBe(false);
  });
});
