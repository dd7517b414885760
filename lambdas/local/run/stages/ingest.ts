import { EVENTS } from '../../../core/events/catalog';
import { identitiesResolvedOf } from '../../../core/identity/identity-event';
import { ingestEventOf } from '../../../core/ingest/ingest-events';
import { UserFacingError } from '../../../core/errors';
import { ingestFolder } from '../../commands/ingest';
import { LOCAL_BUCKET, type RunContext, type StageReport } from '../run-context';

export interface IngestStageOptions {
  readonly maxBadShare: number;
  readonly phoneRegion: import('libphonenumber-js').CountryCode;
}

/**
 * Stage 1: ingestion and identity, exactly as `cdp ingest` runs them, with the events the cloud
 * would emit. A rejected file stops the run; quarantined rows below the threshold are warnings.
 */
export async function ingestStage(context: RunContext, options: IngestStageOptions): Promise<StageReport> {
  const silent = { log: () => undefined, error: () => undefined };
  const result = await ingestFolder(
    context.folder,
    { out: context.dir, ingestDate: context.now().toISOString().slice(0, 10), ...options },
    silent,
  );
  const warnings: string[] = [];
  let rows = 0;
  let bad = 0;
  const buckets = { landing: LOCAL_BUCKET, trusted: LOCAL_BUCKET, quarantine: LOCAL_BUCKET };
  for (const outcome of result.outcomes) {
    // The same event the cloud's ingest step decides on, with the run's folder as every bucket.
    context.publishBuilt(ingestEventOf(outcome, buckets));
    if (outcome.status === 'already-ingested') continue;
    // The reason already names the file (and the line, when one line broke it).
    if (outcome.status === 'rejected') throw new UserFacingError(outcome.reason);
    rows += outcome.rowsIn;
    bad += outcome.bad;
    for (const problem of outcome.firstProblems.slice(0, 3)) {
      warnings.push(
        `${outcome.key} line ${problem.line}${problem.column ? `, ${problem.column}` : ''}: ${problem.reason} (row quarantined)`,
      );
    }
  }
  const identity = result.identity!;
  context.publish(EVENTS.identitiesResolved, identitiesResolvedOf(identity, LOCAL_BUCKET));
  context.facts.set('ingest', result);
  return {
    summary: `${result.outcomes.length} files, ${rows.toLocaleString('en-US')} rows, ${bad} quarantined; ${identity.records.toLocaleString('en-US')} records -> ${identity.profiles.toLocaleString('en-US')} profiles`,
    counts: {
      files: result.outcomes.length,
      rows,
      quarantined: bad,
      records: identity.records,
      profiles: identity.profiles,
      reviewPairs: identity.reviewPairs,
    },
    warnings,
  };
}
