import { MAX_TRAINING_PROBLEMS_IN_EVENT } from '../events/catalog';
import { csvEncoder } from '../ingest/csv-rows';
import { readDatasetRows } from '../ingest/read-rows';
import { type ObjectStore, readObjectText } from '../ports/object-store';
import { planTrainingRun, type RunTarget, type TrainingPlan } from './plan-run';
import { preflightTraining, type PreflightProblem } from './preflight';
import { datasetForSchema, TRAINING_DATASETS, type TrainingDataset } from './schema-datasets';
import { queriesFile, splitJobs } from './split-jobs';
import { parseTrainingConfig, TrainingConfigError, type TrainingConfig } from './training-config';

export interface PrepareRequest extends Omit<RunTarget, 'run'> {
  /** The training.json key in the landing zone: `personalize/<group>/training.json`. */
  readonly key: string;
  /** Its ETag: names the run, so a re-delivered event finds the same run. */
  readonly etag: string;
  readonly maxBadShare?: number;
}

export type PrepareResult =
  | { readonly ok: true; readonly plan: TrainingPlan; readonly skippedRows: number }
  | {
      readonly ok: false;
      readonly datasetGroup?: string;
      readonly run: string;
      readonly reason: string;
      readonly problems: readonly Omit<PreflightProblem, 'severity'>[];
      readonly moreProblems: number;
    };

/** The run ID: 8 hex characters of the ETag (a multipart ETag's `-<parts>` dropped). */
export function runOf(etag: string): string {
  return etag
    .replace(/[^0-9a-f]/gi, '')
    .toLowerCase()
    .slice(0, 8)
    .padEnd(8, '0');
}

/**
 * The first step of a training run, before any Personalize call: reads training.json, runs the
 * pre-flight on the CSVs beside it, writes the good rows of each to the trusted zone
 * (`personalize/<group>/<run>/`) for Personalize to import, writes each batch segment job's
 * queries file, and names every resource (the plan). Anything that stops training comes back as
 * `ok: false` with every problem, so the failure email can list them.
 */
export async function prepareTrainingRun(
  stores: { readonly landing: ObjectStore; readonly trusted: ObjectStore },
  request: PrepareRequest,
): Promise<PrepareResult> {
  const run = runOf(request.etag);
  const prefix = request.key.slice(0, request.key.lastIndexOf('/') + 1);
  let config: TrainingConfig;
  try {
    const text = await readObjectText(stores.landing, request.key);
    config = parseTrainingConfig(text, 'training.json').config;
  } catch (error) {
    if (!(error instanceof TrainingConfigError)) throw error;
    return failure(
      run,
      undefined,
      'training.json is not valid',
      error.issues.map((issue) => ({
        file: 'training.json',
        where: issue.path || '(top level)',
        reason: issue.message,
      })),
    );
  }
  const group = config.datasetGroup.name;
  const preflight = await preflightTraining(stores.landing, config, {
    prefix,
    ...(request.maxBadShare === undefined ? {} : { maxBadShare: request.maxBadShare }),
  });
  if (!preflight.ok) {
    const errors = preflight.problems.filter((p) => p.severity === 'error');
    return failure(
      run,
      group,
      `the pre-flight found ${errors.length} problem(s); no Personalize resource was created`,
      errors,
    );
  }

  const copies = `personalize/${group}/${run}/`;
  const present: TrainingDataset[] = [];
  for (const dataset of TRAINING_DATASETS) {
    const key = `${prefix}${dataset}.csv`;
    if (!(await stores.landing.head(key))) continue;
    present.push(dataset);
    await stores.trusted.put(`${copies}${dataset}.csv`, goodRowsCsv(stores.landing, key, dataset, config), {
      contentType: 'text/csv',
    });
  }
  for (const part of splitJobs(config, run)) {
    await stores.trusted.put(`segment-queries/${part.jobName}/queries.json`, queriesFile(part), {
      contentType: 'application/json',
    });
  }
  const plan = planTrainingRun(config, present, { ...request, run }, copies);
  const skippedRows = preflight.counts.files.reduce((sum, file) => sum + file.bad, 0);
  return { ok: true, plan, skippedRows };
}

/** The good rows of a landing CSV, re-encoded (epoch seconds, trimmed cells): what Personalize imports. */
async function* goodRowsCsv(
  store: ObjectStore,
  key: string,
  dataset: TrainingDataset,
  config: TrainingConfig,
): AsyncGenerator<Uint8Array> {
  const definition = datasetForSchema(dataset, config.schemas[dataset].fields);
  let encoder: ReturnType<typeof csvEncoder> | undefined;
  let batch: (string | number | Date | null)[][] = [];
  for await (const record of readDatasetRows(await store.get(key), definition, key)) {
    if (record.kind === 'header') {
      encoder = csvEncoder(record.columns.map((column) => column.name));
    } else if (record.kind === 'row') {
      batch.push([...record.values]);
      if (batch.length >= 5000) {
        yield* encoder!.encode(batch);
        batch = [];
      }
    }
  }
  if (encoder) {
    yield* encoder.encode(batch);
    yield* encoder.finish();
  }
}

function failure(
  run: string,
  datasetGroup: string | undefined,
  reason: string,
  problems: readonly PreflightProblem[] | readonly Omit<PreflightProblem, 'severity'>[],
): PrepareResult {
  const listed = problems
    .slice(0, MAX_TRAINING_PROBLEMS_IN_EVENT)
    .map(({ file, line, where, reason: why }) => ({
      file,
      reason: why,
      ...(line ? { line } : {}),
      ...(where ? { where } : {}),
    }));
  return {
    ok: false,
    run,
    ...(datasetGroup ? { datasetGroup } : {}),
    reason,
    problems: listed,
    moreProblems: problems.length - listed.length,
  };
}

/**
 * The execution name of the run a training.json upload starts: from its key and ETag, so a
 * re-delivered S3 event (same key, same content) cannot start a second run. Step Functions names
 * take at most 80 characters of letters, digits, - and _.
 */
export function executionNameOf(key: string, etag: string): string {
  const where = key
    .replace(/\/?training\.json$/i, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${where.slice(-(80 - 10))}-${runOf(etag)}`.replace(/^-/, '');
}
