import { type DetailOf, EVENTS, MAX_PROBLEMS_IN_EVENT } from '../events/catalog';
import type { IngestOutcome } from './ingest-file';

/** The three buckets ingestion touches, by name, so events carry full locations. */
export interface IngestBuckets {
  readonly landing: string;
  readonly trusted: string;
  readonly quarantine: string;
}

/** What the ingest step hands the workflow: the event to publish, decided here, and the status to branch on. */
export type IngestEvent =
  | {
      readonly status: 'ingested' | 'already-ingested';
      readonly detailType: typeof EVENTS.datasetIngested.detailType;
      readonly detail: DetailOf<typeof EVENTS.datasetIngested>;
    }
  | {
      readonly status: 'rejected';
      readonly detailType: typeof EVENTS.datasetRejected.detailType;
      readonly detail: DetailOf<typeof EVENTS.datasetRejected>;
    };

const NO_COUNTS = { rowsIn: 0, good: 0, bad: 0, duplicates: 0 };

/**
 * The event an ingest outcome is published as. Problems keep their line, column and reason only:
 * the cell values stay in the quarantine report, out of events, emails and logs.
 */
export function ingestEventOf(outcome: IngestOutcome, buckets: IngestBuckets): IngestEvent {
  const source = { bucket: buckets.landing, key: outcome.key };
  if (outcome.status === 'already-ingested') {
    return {
      status: outcome.status,
      detailType: EVENTS.datasetIngested.detailType,
      detail: EVENTS.datasetIngested.schema.parse({
        dataset: outcome.dataset,
        source,
        counts: NO_COUNTS,
        output: { bucket: buckets.trusted, key: outcome.output },
        alreadyIngested: true,
      }),
    };
  }
  const counts = {
    rowsIn: outcome.rowsIn,
    good: outcome.good,
    bad: outcome.bad,
    duplicates: outcome.duplicates,
    // Erased subjects' rows dropped: a count only, never who.
    ...(outcome.suppressed ? { suppressed: outcome.suppressed } : {}),
  };
  const firstProblems = outcome.firstProblems
    .slice(0, MAX_PROBLEMS_IN_EVENT)
    .map(({ line, column, reason }) => ({ line, ...(column ? { column } : {}), reason }));
  const report = outcome.report ? { report: { bucket: buckets.quarantine, key: outcome.report } } : {};
  if (outcome.status === 'rejected') {
    return {
      status: 'rejected',
      detailType: EVENTS.datasetRejected.detailType,
      detail: EVENTS.datasetRejected.schema.parse({
        ...(outcome.dataset ? { dataset: outcome.dataset } : {}),
        source,
        reason: outcome.reason,
        counts,
        ...report,
        firstProblems,
      }),
    };
  }
  return {
    status: 'ingested',
    detailType: EVENTS.datasetIngested.detailType,
    detail: EVENTS.datasetIngested.schema.parse({
      dataset: outcome.dataset,
      source,
      counts,
      output: { bucket: buckets.trusted, key: outcome.output },
      ...report,
      alreadyIngested: false,
      firstProblems,
    }),
  };
}
