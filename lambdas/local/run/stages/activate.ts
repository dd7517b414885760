import { EVENTS } from '../../../core/events/catalog';
import type { BuildResult } from '../../../core/destinations/activation-outcome';
import { activationOutcome } from '../../../core/destinations/activation-outcome';
import { buildPart, mergeParts, outputParts, type JobTarget } from '../../../core/destinations/build-job';
import { localSuppressedIds } from '../../privacy-suppression';
import { LOCAL_BUCKET, type RunContext, type StageReport } from '../run-context';

export interface ActivateStageOptions {
  readonly holdoutPercent: number;
}

/** The audiences one job became, for the report. */
export interface JobAudiences {
  readonly jobName: string;
  readonly result: BuildResult;
}

/**
 * Stage 4: activation, as the cloud's build step runs it for the `s3` destination, for every batch
 * segment job that ended ACTIVE: import CSVs, hold-outs and `manifest.json` under `audiences/<job>/`,
 * then the `Audiences Imported` (or failed) event its outcome step would emit.
 */
export async function activateStage(
  context: RunContext,
  options: ActivateStageOptions,
): Promise<StageReport> {
  const target: JobTarget = {
    store: context.zones,
    bucket: LOCAL_BUCKET,
    prefix: 'audiences/',
    holdoutPercent: options.holdoutPercent,
    suppressed: await localSuppressedIds(context.zones, context.dir),
  };
  const jobs = context.events
    .filter((e) => e.detailType === EVENTS.batchSegmentJobStateChange.detailType)
    .map((e) => EVENTS.batchSegmentJobStateChange.schema.parse(e.detail))
    .filter((job) => job.status === 'ACTIVE');
  const built: JobAudiences[] = [];
  let audiences = 0;
  let users = 0;
  let held = 0;
  const warnings: string[] = [];
  for (const job of jobs) {
    const source = { store: context.zones, bucket: LOCAL_BUCKET };
    const parts = await outputParts(context.zones, LOCAL_BUCKET, job.output.key);
    const results: BuildResult[] = [];
    for (const key of parts) {
      const { totals: _totals, ...result } = await buildPart(
        job.jobName,
        { ...source, key },
        target,
        parts.length > 1,
      );
      results.push(result);
    }
    const result = parts.length > 1 ? await mergeParts(job.jobName, results, target) : results[0]!;
    const outcome = activationOutcome({
      jobName: job.jobName,
      destination: 's3',
      region: 'local',
      build: result,
    });
    context.publishBuilt(outcome);
    if (outcome.detailType === EVENTS.audienceImportFailed.detailType)
      warnings.push(`${job.jobName}: ${outcome.detail.reason}`);
    if (result.skippedLines > 0)
      warnings.push(
        `${job.jobName}: ${result.skippedLines} line(s) of the job output skipped (see its manifest)`,
      );
    built.push({ jobName: job.jobName, result });
    audiences += result.audiences.length;
    users += result.audiences.reduce((sum, a) => sum + a.size, 0);
    held += result.audiences.reduce((sum, a) => sum + a.holdoutSize, 0);
  }
  const previous = (context.facts.get('audiences') as JobAudiences[] | undefined) ?? [];
  context.facts.set('audiences', [...previous, ...built]);
  return {
    summary: `${audiences} audiences from ${jobs.length} job(s): ${users.toLocaleString('en-US')} users targeted, ${held.toLocaleString('en-US')} held out`,
    counts: { jobs: jobs.length, audiences, users, holdout: held },
    warnings,
  };
}
