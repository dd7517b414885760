import { isHeldOut } from '../../core/activation/holdout';
import { FEATURE_NAMES } from '../../core/propensity/features-sql';
import type { FeatureTable } from '../../core/propensity/feature-table';
import {
  decileTable,
  type DecileRow,
  type FeatureImportance,
  gainShares,
  rocAuc,
} from '../../core/propensity/metrics';
import { DEFAULT_GBT_OPTIONS, type GbtOptions, predictGbt, trainGbt } from './gbt';

/**
 * Trains one propensity model on the rolling-cutoff examples of a feature table and scores the
 * as-of rows. Customers (profiles) are split by a hash of their ID, never by row, so the same
 * person at two cutoffs is never on both sides: 20 % validation (the AUC and tables of the
 * report, at the latest training cutoff), and of the rest 15 % for early stopping.
 */

export type ModelName = 'churn' | 'repurchase';

export interface ModelSpec {
  readonly name: ModelName;
  /** Training cutoffs (indices into the query's cutoffs), latest first. */
  readonly cutoffIndices: readonly number[];
  /** 1 when the row is a positive example. */
  readonly label: (table: FeatureTable, row: number) => 0 | 1;
}

export interface ModelReport {
  readonly model: ModelName;
  readonly auc: number;
  readonly validationCustomers: number;
  readonly trainingExamples: number;
  readonly positiveRate: number;
  readonly rounds: number;
  /** Validation customers in ten equal groups by score, highest first: mean score vs observed rate. */
  readonly calibration: readonly Pick<DecileRow, 'decile' | 'customers' | 'meanScore' | 'observedRate'>[];
  /** The same groups: observed rate / the overall rate. */
  readonly decileLift: readonly Pick<DecileRow, 'decile' | 'observedRate' | 'lift'>[];
  /** Share of the total split gain per feature, largest first. */
  readonly featureImportance: readonly FeatureImportance[];
}

export interface TrainedModel {
  readonly report: ModelReport;
  /** Probabilities for the given rows, in their order. */
  readonly score: (rows: readonly number[]) => Float64Array;
}

const VALIDATION_KEY = 'propensity-validation';
const EARLY_STOP_KEY = 'propensity-early-stopping';

/** True for the customers (profiles) kept out of training to measure the model. */
export function isValidationProfile(profileId: string): boolean {
  return isHeldOut(profileId, VALIDATION_KEY, 20);
}

/** Training examples per model unless TrainOptions says otherwise. */
export const DEFAULT_MAX_TRAINING_EXAMPLES = 400_000;

export interface TrainOptions {
  readonly gbt?: Partial<GbtOptions>;
  /** Cap on training examples (a deterministic sample by customer), to bound time on big data. */
  readonly maxTrainingExamples?: number;
}

function gather(table: FeatureTable, rows: readonly number[]): Float64Array[] {
  // Plain loops: TypedArray.from with a map function takes V8's slow generic path.
  return table.features.map((column) => {
    const out = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = column[rows[i]!]!;
    return out;
  });
}

export function trainPropensityModel(
  table: FeatureTable,
  spec: ModelSpec,
  options: TrainOptions = {},
): TrainedModel {
  const cutoffs = new Set(spec.cutoffIndices);
  const latest = spec.cutoffIndices[0];
  const maxExamples = options.maxTrainingExamples ?? DEFAULT_MAX_TRAINING_EXAMPLES;
  const seen = new Set<string>();
  const fit: number[] = [];
  const stop: number[] = [];
  const validation: number[] = [];
  for (let r = 0; r < table.rows; r++) {
    if (!cutoffs.has(table.cutoffIndex[r]!)) continue;
    // A profile with two CRM records is one example per cutoff.
    const key = `${table.profileIds[r]}\u0000${table.cutoffIndex[r]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const profile = table.profileIds[r]!;
    if (isValidationProfile(profile)) {
      if (table.cutoffIndex[r] === latest) validation.push(r);
    } else if (isHeldOut(profile, EARLY_STOP_KEY, 15)) stop.push(r);
    else fit.push(r);
  }
  const sampled =
    fit.length > maxExamples ? fit.filter((_, i) => (i * maxExamples) % fit.length < maxExamples) : fit;

  const examples = [...sampled, ...stop];
  const columns = gather(table, examples);
  const labels = new Uint8Array(examples.length);
  for (let i = 0; i < examples.length; i++) labels[i] = spec.label(table, examples[i]!);
  const index = (from: number, to: number) => {
    const out = new Int32Array(to - from);
    for (let i = 0; i < out.length; i++) out[i] = from + i;
    return out;
  };
  const model = trainGbt(columns, labels, index(0, sampled.length), index(sampled.length, examples.length), {
    ...DEFAULT_GBT_OPTIONS,
    ...options.gbt,
  });

  const score = (rows: readonly number[]) => predictGbt(model, gather(table, rows), rows.length);
  const validationScores = score(validation);
  const validationLabels = Uint8Array.from(validation, (r) => spec.label(table, r));
  const deciles = decileTable(validationScores, validationLabels);
  let positives = 0;
  for (let i = 0; i < sampled.length; i++) positives += labels[i]!;
  const featureImportance = gainShares(FEATURE_NAMES, model.gain);

  return {
    score,
    report: {
      model: spec.name,
      auc: rocAuc(validationScores, validationLabels),
      validationCustomers: validation.length,
      trainingExamples: sampled.length,
      positiveRate: positives / Math.max(1, sampled.length),
      rounds: model.rounds,
      calibration: deciles.map(({ decile, customers, meanScore, observedRate }) => ({
        decile,
        customers,
        meanScore,
        observedRate,
      })),
      decileLift: deciles.map(({ decile, observedRate, lift }) => ({ decile, observedRate, lift })),
      featureImportance,
    },
  };
}
