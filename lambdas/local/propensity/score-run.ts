import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { objectStoreSink } from '../../core/activation/audience-sink';
import type { ActivationManifest } from '../../core/activation/manifest';
import { UserFacingError } from '../../core/errors';
import { buildWinbackAudience } from '../../core/propensity/winback';
import { LocalObjectStore } from '../../adapters/local-object-store';
import { FEATURE_NAMES } from '../../core/propensity/features-sql';
import { type FeatureTable, rowsOfCutoff } from '../../core/propensity/feature-table';
import { scoringCutoffs } from '../../core/propensity/cutoffs';
import { DuckDbFeatures } from './duckdb-features';
import {
  DEFAULT_MAX_TRAINING_EXAMPLES,
  type ModelReport,
  type ModelSpec,
  trainPropensityModel,
  type TrainOptions,
} from './train-model';

/**
 * The propensity pipeline after ingestion: features on DuckDB, the two models trained locally,
 * `scores/<run>/churn.csv`, `repurchase.csv` and `report.json` written under the output folder,
 * the same files the cloud workflow writes to the trusted zone.
 */

export interface ScoreRunOptions {
  /** The folder holding `trusted/` (as `cdp ingest` writes it); scores go under it too. */
  readonly zoneDir: string;
  /** Default: the latest purchase or web-event timestamp. */
  readonly asOf?: Date;
  /** Default: the as-of date, YYYY-MM-DD. */
  readonly run?: string;
  readonly churnDays?: number;
  readonly repurchaseDays?: number;
  /** Training cutoffs per model, `cutoffStepDays` apart. */
  readonly cutoffCount?: number;
  readonly cutoffStepDays?: number;
  readonly train?: TrainOptions;
  /** Win-back audience: the top share by churn risk among past buyers (default 20). */
  readonly winbackTopPercent?: number;
  /** Its hold-out control group, percent (default 10, as activation's). */
  readonly holdoutPercent?: number;
  /** One line per stage, with its time. */
  readonly onStage?: (stage: string, seconds: number) => void;
}

export interface ScoreRunResult {
  readonly run: string;
  readonly asOf: Date;
  readonly dir: string;
  readonly customersScored: number;
  readonly reports: readonly ModelReport[];
  /** The win-back audience's manifest, written under `audiences/propensity-<run>/`. */
  readonly winback: ActivationManifest;
  readonly seconds: Readonly<Record<string, number>>;
  /** CPU seconds per stage (user + system, every thread of the process, DuckDB's included). */
  readonly cpuSeconds: Readonly<Record<string, number>>;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Writes a file beside its final name, then renames it: a reader never sees half a file. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.partial`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

function scoresCsv(table: FeatureTable, rows: readonly number[], scores: Float64Array): string {
  const lines = ['customer_id,score'];
  rows.forEach((r, i) => lines.push(`${table.customerIds[r]},${scores[i]!.toFixed(6)}`));
  return `${lines.join('\n')}\n`;
}

export async function runScoring(options: ScoreRunOptions): Promise<ScoreRunResult> {
  const seconds: Record<string, number> = {};
  const cpuSeconds: Record<string, number> = {};
  const stage = async <T>(name: string, work: () => Promise<T> | T): Promise<T> => {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const result = await work();
    seconds[name] = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    cpuSeconds[name] = (used.user + used.system) / 1e6;
    options.onStage?.(name, seconds[name]);
    return result;
  };
  const churnDays = options.churnDays ?? 90;
  const repurchaseDays = options.repurchaseDays ?? 30;
  const count = options.cutoffCount ?? 4;
  const stepDays = options.cutoffStepDays ?? 30;

  const engine = await DuckDbFeatures.open(options.zoneDir);
  try {
    const asOf = options.asOf ?? (await engine.latestTimestamp());
    if (!asOf) throw new UserFacingError('no purchase or web event to score from: the as-of date is unknown');
    const run = options.run ?? asOf.toISOString().slice(0, 10);
    if (!RUN_ID.test(run)) throw new UserFacingError(`--run ${run}: use letters, digits, '.', '_' and '-'`);

    // One query computes every cutoff: index 0 is the as-of date, then each model's training cutoffs.
    const plan = scoringCutoffs(asOf, { churnDays, repurchaseDays }, count, stepDays);
    const { cutoffs } = plan;
    // Each model trains on at most maxTrainingExamples rows: on big data only a share of the
    // customers' training-cutoff rows is read at all (every customer is still scored).
    const budget = options.train?.maxTrainingExamples ?? DEFAULT_MAX_TRAINING_EXAMPLES;
    const customers = await engine.crmRecords();
    const trainingShare = Math.min(1, budget / Math.max(1, customers * count));
    const table = await stage('features', () =>
      engine.featureTable({ cutoffs, churnDays, repurchaseDays }, trainingShare),
    );
    const specs: ModelSpec[] = [
      {
        name: 'churn',
        cutoffIndices: plan.churn,
        label: (t, r) => (t.purchasesInChurnWindow[r] === 0 ? 1 : 0),
      },
      {
        name: 'repurchase',
        cutoffIndices: plan.repurchase,
        label: (t, r) => (t.purchasesInRepurchaseWindow[r]! > 0 ? 1 : 0),
      },
    ];
    const scoreRows = rowsOfCutoff(table, 0);
    const dir = path.join(options.zoneDir, 'scores', run);
    const reports: ModelReport[] = [];
    let churn: Float64Array = new Float64Array(0);
    for (const spec of specs) {
      const model = await stage(`train ${spec.name}`, () => trainPropensityModel(table, spec, options.train));
      const scores = await stage(`score ${spec.name}`, async () => {
        const s = model.score(scoreRows);
        await writeAtomically(path.join(dir, `${spec.name}.csv`), scoresCsv(table, scoreRows, s));
        return s;
      });
      if (spec.name === 'churn') churn = scores;
      reports.push(model.report);
    }
    const report = {
      run,
      asOf: asOf.toISOString(),
      customersScored: scoreRows.length,
      windows: { churnDays, repurchaseDays },
      trainingCutoffs: {
        churn: plan.churn.map((i) => cutoffs[i]!.at.toISOString()),
        repurchase: plan.repurchase.map((i) => cutoffs[i]!.at.toISOString()),
      },
      importanceMethod:
        'share of the total split gain per feature, summed over the trees of the local gradient-boosted model (the same measure as XGBoost total_gain)',
      /** Share of customers whose training-cutoff rows were read (1 unless the data is big). */
      trainingCustomerShare: trainingShare,
      validation:
        '20% of the customers read at the training cutoffs, chosen by a hash of their ID, held out of training; measured at the latest training cutoff',
      models: reports,
    };
    await writeAtomically(path.join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);

    const purchasesEver = table.features[FEATURE_NAMES.indexOf('purchases_ever')]!;
    const jobName = `propensity-${run}`;
    const winback = await stage('win-back audience', () =>
      buildWinbackAudience(
        scoreRows.map((r, i) => ({
          customerId: table.customerIds[r]!,
          churnScore: churn[i]!,
          purchasedBefore: purchasesEver[r]! > 0,
        })),
        objectStoreSink(new LocalObjectStore({ root: options.zoneDir }), `audiences/${jobName}/`),
        { jobName, topPercent: options.winbackTopPercent, holdoutPercent: options.holdoutPercent ?? 10 },
      ),
    );
    return { run, asOf, dir, customersScored: scoreRows.length, reports, winback, seconds, cpuSeconds };
  } finally {
    engine.close();
  }
}
