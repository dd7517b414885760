import { availableParallelism } from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UserFacingError } from '../../core/errors';
import { DEFAULT_MAX_BAD_SHARE } from '../../core/ingest/ingest-file';
import { runScoring, type ScoreRunResult } from '../propensity/score-run';
import { formatTable, n } from '../table';
import { type Console, ingestFolder } from './ingest';
import type { RegisterCommand } from './index';

/**
 * `cdp score <folder> --out <dir>`: the propensity workflow offline. Ingests the folder into
 * `<dir>` (unchanged files are skipped), computes the features on DuckDB with the SQL Athena runs,
 * trains the churn and repurchase models locally and writes `<dir>/scores/<run>/`.
 *
 * Exit status: 0 when scores were written; 1 when ingestion rejected a file or nothing could be scored.
 */

export interface ScoreOptions {
  readonly out: string;
  readonly asOf?: Date;
  readonly run?: string;
  readonly winbackTop?: number;
  readonly holdout?: number;
}

export const registerScore: RegisterCommand = (program) => {
  program
    .command('score')
    .description(
      'Churn and repurchase propensity scores for every CRM customer, trained on a landing-zone folder.',
    )
    .argument('<folder>', 'the landing folder (crm/, web/, store/), e.g. data/sample')
    .requiredOption('--out <dir>', 'where trusted/ and scores/<run>/ are written')
    .option(
      '--as-of <date>',
      'score as of this ISO date or time (default: the latest timestamp in the data)',
      isoDate,
    )
    .option('--run <id>', 'the run ID, the folder under scores/ (default: the as-of date)')
    .option(
      '--winback-top <percent>',
      'win-back audience: top share by churn risk among past buyers',
      percentOf,
      20,
    )
    .option(
      '--holdout <percent>',
      'share of the win-back audience kept out as a control group',
      percentOf,
      10,
    )
    .action(async (folder: string, options: ScoreOptions) => {
      process.exitCode = await score(folder, options, console);
    });
};

/** The datasets the features and identity resolution read: the only ones `cdp score` ingests. */
export const SCORED_DATASETS: ReadonlySet<string> = new Set([
  'crm/customers',
  'store/sales',
  'web/events',
  'web/orders',
]);

/** The stages runScoring reports, in order (ingest comes before them). */
const STAGES = [
  'features',
  'train churn',
  'score churn',
  'train repurchase',
  'score repurchase',
  'win-back audience',
];

function percentOf(value: string): number {
  const percent = Number(value);
  if (value.trim() === '' || !(percent >= 0 && percent <= 100))
    throw new InvalidArgumentError('expected a percentage from 0 to 100');
  return percent;
}

function isoDate(value: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an ISO date such as 2025-10-01');
  return date;
}

export async function score(folder: string, options: ScoreOptions, out: Console): Promise<number> {
  out.log(`[1/${STAGES.length + 1}] ingest`);
  const ingest = await ingestFolder(
    folder,
    // Only what the features and identity resolution read: Personalize and Pinpoint files would
    // cost ingestion time for nothing.
    // The files side by side, one worker thread each, as many as the machine has cores.
    {
      out: options.out,
      maxBadShare: DEFAULT_MAX_BAD_SHARE,
      phoneRegion: 'US',
      datasets: SCORED_DATASETS,
      workers: availableParallelism(),
    },
    out,
  );
  if (ingest.ignored.length > 0)
    out.log(`ingest: ${n(ingest.ignored.length)} file(s) scoring does not read left alone`);
  const rejected = ingest.outcomes.filter(
    (o) => o.status === 'rejected' && SCORED_DATASETS.has(o.dataset ?? ''),
  );
  if (rejected.length > 0) {
    out.error(`${rejected.map((o) => o.key).join(', ')} rejected: fix and run again; nothing was scored.`);
    return 1;
  }
  let result: ScoreRunResult;
  try {
    result = await runScoring({
      zoneDir: options.out,
      asOf: options.asOf,
      run: options.run,
      winbackTopPercent: options.winbackTop,
      holdoutPercent: options.holdout,
      onStage: (stage, seconds) =>
        out.log(`[${2 + STAGES.indexOf(stage)}/${STAGES.length + 1}] ${stage}: ${seconds.toFixed(1)} s`),
    });
  } catch (error) {
    if (error instanceof UserFacingError) {
      out.error(error.message);
      return 1;
    }
    throw error;
  }
  summarise(result, out);
  return 0;
}

function summarise(result: ScoreRunResult, out: Console): void {
  out.log(
    `Scored ${n(result.customersScored)} customers as of ${result.asOf.toISOString()} (run ${result.run}).`,
  );
  const rows = result.reports.map((r) => [
    r.model,
    Number.isNaN(r.auc) ? 'n/a' : r.auc.toFixed(3),
    n(r.validationCustomers),
    n(r.trainingExamples),
    `${(100 * r.positiveRate).toFixed(1)}%`,
    r.featureImportance
      .slice(0, 3)
      .map((f) => `${f.feature} ${(100 * f.gainShare).toFixed(0)}%`)
      .join(', '),
  ]);
  for (const line of formatTable(
    ['model', 'validation AUC', 'validation customers', 'training examples', 'positives', 'top features'],
    rows,
    new Set([1, 2, 3, 4]),
  ))
    out.log(line);
  out.log(`Scores and report: ${result.dir}`);
  const audience = result.winback.audiences[0];
  if (audience) {
    out.log(
      `Win-back audience ${audience.name}: ${n(audience.size)} customers targeted, ${n(audience.holdoutSize)} held out (${path.join(path.dirname(path.dirname(result.dir)), 'audiences', result.winback.jobName)})`,
    );
  } else out.log('Win-back audience: no customer has bought before, so it is empty.');
}
