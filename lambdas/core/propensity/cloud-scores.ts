import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { UserFacingError } from '../errors';
import { type DetailOf, EVENTS } from '../events/catalog';
import type { ObjectStore } from '../ports/object-store';
import { type PropensityModelName, SCORING_PURCHASES_EVER_COLUMN, VALIDATION_PERCENT } from './athena-export';
import { FEATURE_NAMES } from './features-sql';
import { decileTable, type FeatureImportance, gainShares, rocAuc } from './metrics';
import { DEFAULT_WINBACK_TOP_PERCENT, winbackSegmentLine, type WinbackCandidate } from './winback';
import { parseXgboostBinary, sumOverTrees, xgboostModelFromArtifact } from './xgboost-model';

/**
 * What the cloud run publishes once the quality gate passed, from the batch transform outputs:
 * - `scores/<run>/<model>.csv`: `customer_id,score` with a header (what the Segment sync reads);
 * - `scores/<run>/report.json`: AUC, calibration and decile lift per model, in the shape `cdp score`
 *   writes, measured on the validation customers the transform scored, and the feature importance
 *   (total gain per feature) read from the training job's model artifact (`./xgboost-model.ts`);
 * - the win-back audience as one batch segment output line under `segments/propensity-<run>/`,
 *   which the activation workflow builds (hold-out, destination, email) as it builds a Personalize one.
 */

export interface CloudModel {
  readonly model: PropensityModelName;
  readonly trainingJobName: string;
  /** The validation AUC the training job reported (the gate's figure). */
  readonly trainingAuc: number;
  /** Transform output of the scoring CSV: `customer_id,score` lines in `.out` files. */
  readonly scoredPrefix: string;
  /** Transform output of the validation CSV: `label,score` lines in `.out` files. */
  readonly validatedPrefix: string;
  /** The training job's `model.tar.gz` (its key in the bucket). */
  readonly modelArtifact: string;
  readonly cutoffs: readonly string[];
}

export interface PublishRequest {
  readonly run: string;
  readonly asOf: string;
  readonly churnDays: number;
  readonly repurchaseDays: number;
  readonly models: readonly CloudModel[];
  /** The scoring CSV (customer_id, features…) the transform read: for who bought before. */
  readonly scoringPrefix: string;
  readonly winbackTopPercent?: number;
}

export interface PublishResult {
  readonly run: string;
  readonly customersScored: number;
  readonly scores: { readonly model: PropensityModelName; readonly key: string }[];
  readonly report: string;
  /** Per model, whether its importance was read from the artifact, or why not. */
  readonly importance: { readonly model: PropensityModelName; readonly error?: string }[];
  /** The `.out` file of the win-back audience, and its job name for the activation workflow. */
  readonly winback: { readonly jobName: string; readonly prefix: string; readonly key: string };
}

export const SCORES_PREFIX = 'scores/';
export const WINBACK_SEGMENTS_PREFIX = 'segments/';

/** Every record of the headerless CSV files under a prefix (`.out` files only, if asked), in key order. */
async function* csvRecords(
  store: ObjectStore,
  prefix: string,
  outOnly: boolean,
): AsyncGenerator<{ record: string[]; file: string; line: number }> {
  let files = 0;
  for await (const object of store.list(prefix)) {
    if (outOnly && !object.key.endsWith('.out')) continue;
    if (object.size === 0) continue;
    files += 1;
    const parser = parse({ relax_column_count: true, skip_empty_lines: true, info: true });
    const parsing = pipeline(await store.get(object.key), parser);
    parsing.catch(() => undefined); // The same error ends the iteration below.
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      yield { record, file: object.key, line: info.lines };
    }
  }
  if (files === 0) throw new UserFacingError(`no output file under ${prefix}`);
}

const badRow = (file: string, line: number, why: string) =>
  new UserFacingError(`${file} line ${line}: ${why}; nothing was published`);

function score(text: string | undefined, file: string, line: number): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !(value >= 0 && value <= 1)) {
    throw badRow(file, line, 'the score is not a probability between 0 and 1');
  }
  return value;
}

export const IMPORTANCE_METHOD =
  "share of the total split gain per feature (XGBoost's total_gain), summed over the trees the batch transform predicts with (best_ntree_limit), read from the training job's model artifact (xgboost-model in model.tar.gz, XGBoost 1.7 binary format) in the publish Lambda: the same measure the local model reports, at no extra job. SageMaker Clarify (SHAP) would also explain single scores, but costs a processing job per model and run.";

type Importance =
  | { readonly featureImportance: FeatureImportance[]; readonly trees: number; readonly servedTrees: number }
  | { readonly featureImportance: []; readonly featureImportanceError: string };

/**
 * Total gain per feature from a model artifact, as shares. A model that cannot be read costs the
 * report its importance (with the reason), not the run its scores.
 */
async function importanceOf(store: ObjectStore, key: string): Promise<Importance> {
  try {
    const model = parseXgboostBinary(await xgboostModelFromArtifact(await store.get(key), key));
    if (model.numFeature !== FEATURE_NAMES.length) {
      throw new UserFacingError(
        `${key}: the model has ${model.numFeature} features, the feature SQL ${FEATURE_NAMES.length}`,
      );
    }
    return {
      featureImportance: gainShares(FEATURE_NAMES, sumOverTrees(model, 'treeGains')),
      trees: model.trees,
      servedTrees: model.servedTrees,
    };
  } catch (error) {
    return { featureImportance: [], featureImportanceError: (error as Error).message };
  }
}

export async function publishScores(store: ObjectStore, request: PublishRequest): Promise<PublishResult> {
  const dir = `${SCORES_PREFIX}${request.run}/`;
  const scores: PublishResult['scores'] = [];
  const churn = new Map<string, number>();
  let customersScored = 0;
  const models = [];
  const importance: PublishResult['importance'] = [];
  for (const m of request.models) {
    const key = `${dir}${m.model}.csv`;
    let rows = 0;
    async function* lines(): AsyncGenerator<string> {
      yield 'customer_id,score\n';
      for await (const { record, file, line } of csvRecords(store, m.scoredPrefix, true)) {
        if (record.length !== 2 || !record[0]) throw badRow(file, line, 'not a customer_id,score row');
        const value = score(record[1], file, line);
        if (m.model === 'churn') churn.set(record[0], value);
        rows += 1;
        yield `${record[0]},${record[1]}\n`;
      }
    }
    await store.put(key, Readable.from(lines()), { contentType: 'text/csv' });
    scores.push({ model: m.model, key });
    customersScored = Math.max(customersScored, rows);

    const labels: number[] = [];
    const predicted: number[] = [];
    for await (const { record, file, line } of csvRecords(store, m.validatedPrefix, true)) {
      if (record.length !== 2 || (record[0] !== '0' && record[0] !== '1'))
        throw badRow(file, line, 'not a label,score row');
      labels.push(Number(record[0]));
      predicted.push(score(record[1], file, line));
    }
    const deciles = decileTable(predicted, labels);
    models.push({
      model: m.model,
      trainingJobName: m.trainingJobName,
      auc: rocAuc(predicted, labels),
      trainingAuc: m.trainingAuc,
      validationCustomers: labels.length,
      positiveRate: labels.reduce((a, b) => a + b, 0) / Math.max(1, labels.length),
      trainingCutoffs: m.cutoffs,
      calibration: deciles.map(({ decile, customers, meanScore, observedRate }) => ({
        decile,
        customers,
        meanScore,
        observedRate,
      })),
      decileLift: deciles.map(({ decile, observedRate, lift }) => ({ decile, observedRate, lift })),
      ...(await importanceOf(store, m.modelArtifact)),
    });
    const read = models.at(-1)!;
    importance.push(
      'featureImportanceError' in read
        ? { model: m.model, error: read.featureImportanceError }
        : { model: m.model },
    );
  }

  const report = `${dir}report.json`;
  await store.put(
    report,
    `${JSON.stringify(
      {
        run: request.run,
        asOf: request.asOf,
        customersScored,
        windows: { churnDays: request.churnDays, repurchaseDays: request.repurchaseDays },
        engine: 'Amazon Athena (features) and the SageMaker built-in XGBoost (training, batch transform)',
        importanceMethod: IMPORTANCE_METHOD,
        validation: `${VALIDATION_PERCENT}% of profiles, chosen by a hash of their ID, held out of training; measured at the latest training cutoff by a batch transform of the validation CSV`,
        models,
      },
      null,
      2,
    )}\n`,
    { contentType: 'application/json' },
  );

  // Who bought before, from the scoring CSV the transform read: customer_id, features…
  const candidates: WinbackCandidate[] = [];
  for await (const { record } of csvRecords(store, request.scoringPrefix, false)) {
    const id = record[0];
    const churnScore = id === undefined ? undefined : churn.get(id);
    if (id === undefined || churnScore === undefined) continue;
    candidates.push({
      customerId: id,
      churnScore,
      purchasedBefore: Number(record[SCORING_PURCHASES_EVER_COLUMN]) > 0,
    });
  }
  const jobName = `propensity-${request.run}`;
  const prefix = `${WINBACK_SEGMENTS_PREFIX}${jobName}/`;
  const key = `${prefix}winback.json.out`;
  await store.put(
    key,
    winbackSegmentLine(candidates, request.winbackTopPercent ?? DEFAULT_WINBACK_TOP_PERCENT),
  );
  return { run: request.run, customersScored, scores, report, importance, winback: { jobName, prefix, key } };
}

export interface PublishedEvents {
  readonly scoresReady: DetailOf<typeof EVENTS.propensityScoresReady>;
  readonly winback: DetailOf<typeof EVENTS.batchSegmentJobStateChange>;
}

/**
 * The two events of a published run: `Propensity Scores Ready` (the Segment sync starts on it) and,
 * for the win-back audience, the `Batch Segment Job State Change` the activation workflow starts on,
 * so it is built, held out, delivered and emailed exactly as a Personalize audience is.
 */
export function publishedEvents(
  bucket: string,
  result: PublishResult,
  executionArn: string,
  scoredAt: Date,
): PublishedEvents {
  return {
    scoresReady: EVENTS.propensityScoresReady.schema.parse({
      run: result.run,
      scoredAt: scoredAt.toISOString(),
      scores: result.scores.map((s) => ({ model: s.model, location: { bucket, key: s.key } })),
    }),
    winback: EVENTS.batchSegmentJobStateChange.schema.parse({
      jobName: result.winback.jobName,
      jobArn: executionArn,
      status: 'ACTIVE',
      output: { bucket, key: result.winback.prefix },
    }),
  };
}
