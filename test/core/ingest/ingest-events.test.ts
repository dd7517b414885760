import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../../lambdas/core/events/catalog';
import { ingestEventOf } from '../../../lambdas/core/ingest/ingest-events';
import type { IngestOutcome } from '../../../lambdas/core/ingest/ingest-file';

const buckets = { landing: 'landing-b', trusted: 'trusted-b', quarantine: 'quarantine-b' };
const counts = { rowsIn: 100, good: 97, bad: 2, duplicates: 1 };

describe('ingestEventOf', () => {
  it('publishes an ingested file as Dataset Ingested with its counts and full S3 locations', () => {
    const outcome: IngestOutcome = {
      status: 'ingested',
      dataset: 'web/orders',
      key: 'web/orders.csv',
      output: 'trusted/web/orders/ingest_date=2026-12-02/orders-abc.parquet',
      report: 'quarantine/web/orders.csv/report.csv',
      firstProblems: [{ line: 12, column: 'amount', value: 'ten', reason: 'is not a number' }],
      ...counts,
    };

    const event = ingestEventOf(outcome, buckets);

    expect(event.status).toBe('ingested');
    expect(event.detailType).toBe(EVENTS.datasetIngested.detailType);
    expect(event.detail).toEqual({
      dataset: 'web/orders',
      source: { bucket: 'landing-b', key: 'web/orders.csv' },
      counts,
      output: { bucket: 'trusted-b', key: outcome.output },
      report: { bucket: 'quarantine-b', key: 'quarantine/web/orders.csv/report.csv' },
      alreadyIngested: false,
      firstProblems: [{ line: 12, column: 'amount', reason: 'is not a number' }],
    });
  });

  it('never carries a cell value into the event: it stays in the quarantine report', () => {
    const outcome: IngestOutcome = {
      status: 'rejected',
      dataset: 'crm/customers',
      key: 'crm/customers.csv',
      reason: 'too many bad rows',
      firstProblems: [
        { line: 3, column: 'email', value: 'masha.kelley@', reason: 'is not an email address' },
      ],
      ...counts,
    };

    expect(JSON.stringify(ingestEventOf(outcome, buckets))).not.toContain('masha');
  });

  it('publishes a rejected file as Dataset Rejected with the reason and at most the first ten problems', () => {
    const outcome: IngestOutcome = {
      status: 'rejected',
      dataset: 'store/sales',
      key: 'store/sales.csv',
      reason: 'store/sales.csv: 40 of 100 rows (40.0 %) are invalid',
      report: 'quarantine/store/sales.csv/report.csv',
      firstProblems: Array.from({ length: 12 }, (_, i) => ({ line: i + 2, reason: 'bad' })),
      ...counts,
    };

    const event = ingestEventOf(outcome, buckets);

    expect(event.detailType).toBe(EVENTS.datasetRejected.detailType);
    expect(event.detail).toMatchObject({
      dataset: 'store/sales',
      reason: outcome.reason,
      report: { bucket: 'quarantine-b', key: 'quarantine/store/sales.csv/report.csv' },
    });
    expect(event.detail.firstProblems).toHaveLength(10);
  });

  it('rejects a key no dataset is declared for without naming a dataset', () => {
    const event = ingestEventOf(
      { status: 'rejected', key: 'crm/notes.txt', reason: 'no dataset', firstProblems: [], ...counts },
      buckets,
    );

    expect(event.detail).not.toHaveProperty('dataset');
    expect(EVENTS.datasetRejected.schema.safeParse(event.detail).success).toBe(true);
  });

  it('publishes a re-delivered file as Dataset Ingested flagged already ingested, with no counts, pointing at the first output', () => {
    const event = ingestEventOf(
      {
        status: 'already-ingested',
        dataset: 'crm/customers',
        key: 'crm/customers.csv',
        output: 'trusted/crm/customers/ingest_date=2026-12-01/customers-abc.parquet',
      },
      buckets,
    );

    expect(event.status).toBe('already-ingested');
    expect(event.detail).toMatchObject({
      alreadyIngested: true,
      counts: { rowsIn: 0, good: 0, bad: 0, duplicates: 0 },
      output: {
        bucket: 'trusted-b',
        key: 'trusted/crm/customers/ingest_date=2026-12-01/customers-abc.parquet',
      },
    });
  });
});
