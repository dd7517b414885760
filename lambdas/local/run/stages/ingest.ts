import { EVENTS, MAX_PROBLEMS_IN_EVENT } from '../../../core/events/catalog';
import { UserFacingError } from '../../../core/errors';
import { ingestFolder } from '../../commands/ingest';
import type { RunContext, StageReport } from '../run-context';

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
  for (const outcome of result.outcomes) {
    if (outcome.status === 'already-ingested') continue;
    rows += outcome.rowsIn;
    bad += outcome.bad;
    const counts = {
      rowsIn: outcome.rowsIn,
      good: outcome.good,
      bad: outcome.bad,
      duplicates: outcome.duplicates,
    };
    const firstProblems = outcome.firstProblems
      .slice(0, MAX_PROBLEMS_IN_EVENT)
      .map(({ line, column, reason }) => ({ line, column, reason }));
    const report = outcome.report ? context.location(outcome.report) : undefined;
    if (outcome.status === 'rejected') {
      context.publish(EVENTS.datasetRejected, {
        dataset: outcome.dataset,
        source: context.location(outcome.key),
        reason: outcome.reason,
        counts,
        report,
        firstProblems,
      });
      // The reason already names the file (and the line, when one line broke it).
      throw new UserFacingError(outcome.reason);
    }
    context.publish(EVENTS.datasetIngested, {
      dataset: outcome.dataset,
      source: context.location(outcome.key),
      counts,
      output: context.location(outcome.output),
      report,
      firstProblems,
    });
    for (const problem of outcome.firstProblems.slice(0, 3)) {
      warnings.push(
        `${outcome.key} line ${problem.line}${problem.column ? `, ${problem.column}` : ''}: ${problem.reason} (row quarantined)`,
      );
    }
  }
  const identity = result.identity!;
  context.publish(EVENTS.identitiesResolved, {
    records: identity.records,
    bySource: identity.bySource,
    profiles: identity.profiles,
    merges: identity.merges,
    reviewPairs: identity.reviewPairs,
    sharedDevices: identity.sharedDevices,
    keptIds: identity.keptIds,
    identityMap: context.location(identity.outputs.identityMap),
    profilesTable: context.location(identity.outputs.profiles),
    review: context.location(identity.outputs.review),
  });
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
