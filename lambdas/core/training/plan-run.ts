import { createHash } from 'node:crypto';
import type { TrainingDataset } from './schema-datasets';
import { splitJobs } from './split-jobs';
import type { SchemaField, TrainingConfig } from './training-config';

/** Where the run is, so the plan can name the ARNs Personalize derives from names. */
export interface RunTarget {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** The trusted bucket: validated copies, job inputs and outputs. */
  readonly trustedBucket: string;
  /** Identifies the run: 8 hex characters of the training.json ETag. */
  readonly run: string;
}

export interface DatasetPlan {
  readonly datasetType: 'Interactions' | 'Items' | 'Users';
  /** The dataset group's domain: a domain group's schemas are created with it. */
  readonly domain?: string;
  readonly schemaName: string;
  readonly schemaArn: string;
  /** The Avro schema, as CreateSchema takes it. */
  readonly schema: string;
  readonly datasetName: string;
  readonly datasetArn: string;
  readonly importJobName: string;
  readonly importJobArn: string;
  /** The validated copy in the trusted zone. */
  readonly dataLocation: string;
}

export interface JobPlan {
  readonly jobName: string;
  readonly jobArn: string;
  readonly inputKey: string;
  readonly input: string;
  readonly outputKey: string;
  readonly output: string;
  readonly numResults: number;
  readonly filterArn?: string;
}

/** Every Personalize resource of a run, named and with its ARN: what the workflow creates or reuses. */
export interface TrainingPlan {
  readonly run: string;
  /** Where the copies, job inputs and outputs are. */
  readonly trustedBucket: string;
  readonly datasetGroup: { readonly name: string; readonly arn: string; readonly domain?: string };
  readonly datasets: readonly DatasetPlan[];
  readonly solution: {
    readonly name: string;
    readonly arn: string;
    readonly recipeArn: string;
    readonly performAutoTraining: boolean;
    readonly performHPO: boolean;
  };
  readonly jobs: readonly JobPlan[];
  readonly recipe: TrainingConfig['recipe'];
  /** The dataset group's event tracker (real-time relay): created when the group has none. */
  readonly eventTracker: { readonly name: string };
  /** The USER_PERSONALIZATION solution behind the recommendations campaign (when that is on). */
  readonly recommendations: {
    readonly solutionName: string;
    readonly solutionArn: string;
    readonly recipeArn: string;
  };
}

/** Batch segment job input, one folder per job; batch segment output. The data lake lets Personalize reach exactly these. */
export const SEGMENT_QUERIES_PREFIX = 'segment-queries/';
export const SEGMENT_OUTPUT_PREFIX = 'segments/';
/** The validated copies Personalize imports: `personalize/<group>/<run>/<dataset>.csv`. */
export const PERSONALIZE_IMPORT_PREFIX = 'personalize/';

/** The real-time recommendations recipe (USER_PERSONALIZATION). */
export const RECOMMENDATIONS_RECIPE = 'aws-user-personalization-v2';

const DATASET_TYPE = { interactions: 'Interactions', items: 'Items', users: 'Users' } as const;

const hash8 = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 8);

/** The Avro record CreateSchema takes for a dataset's fields. */
export function avroSchema(dataset: TrainingDataset, fields: readonly SchemaField[]): string {
  return JSON.stringify({
    type: 'record',
    name: DATASET_TYPE[dataset],
    namespace: 'com.amazonaws.personalize.schema',
    fields: fields.map((field) => ({
      name: field.name,
      type: field.nullable ? ['null', field.type] : field.type,
      ...(field.categorical ? { categorical: true } : {}),
      ...(field.textual ? { textual: true } : {}),
    })),
    version: '1.0',
  });
}

/**
 * Names every resource of a run. Names are stable for the same config, so a re-run finds (and
 * reuses) what exists: a schema's name carries a hash of its fields (a changed schema gets a new
 * name; Personalize schemas cannot change), the solution's a hash of the recipe and options.
 * Import and batch segment jobs carry the run, as each run makes new ones.
 */
export function planTrainingRun(
  config: TrainingConfig,
  datasets: readonly TrainingDataset[],
  target: RunTarget,
  /** Where the validated copies are, in the trusted bucket: `personalize/<group>/<run>/`. */
  copiesPrefix: string,
): TrainingPlan {
  const arn = (resource: string) =>
    `arn:${target.partition}:personalize:${target.region}:${target.account}:${resource}`;
  const group = config.datasetGroup.name;
  const recipeArn = `arn:${target.partition}:personalize:::recipe/${config.recipe}`;
  const solutionName = `${group}-seg-${hash8([config.recipe, config.solution])}`;
  return {
    run: target.run,
    trustedBucket: target.trustedBucket,
    recipe: config.recipe,
    datasetGroup: {
      name: group,
      arn: arn(`dataset-group/${group}`),
      ...(config.datasetGroup.domain ? { domain: config.datasetGroup.domain } : {}),
    },
    datasets: datasets.map((dataset) => {
      const schema = avroSchema(dataset, config.schemas[dataset].fields);
      // A domain schema is another schema: the domain joins the hash (a custom one keeps its old name).
      const domain = config.datasetGroup.domain;
      const schemaName = `${group}-${dataset}-${hash8(domain ? [domain, schema] : schema)}`;
      const importJobName = `${group}-${dataset}-${target.run}`;
      const datasetType = DATASET_TYPE[dataset];
      return {
        datasetType,
        ...(domain ? { domain } : {}),
        schemaName,
        schemaArn: arn(`schema/${schemaName}`),
        schema,
        datasetName: `${group}-${dataset}`,
        datasetArn: arn(`dataset/${group}/${datasetType.toUpperCase()}`),
        importJobName,
        importJobArn: arn(`dataset-import-job/${importJobName}`),
        dataLocation: `s3://${target.trustedBucket}/${copiesPrefix}${dataset}.csv`,
      };
    }),
    solution: {
      name: solutionName,
      arn: arn(`solution/${solutionName}`),
      recipeArn,
      performAutoTraining: config.solution.performAutoTraining,
      performHPO: config.solution.performHPO,
    },
    eventTracker: { name: `${group}-tracker` },
    recommendations: {
      solutionName: `${group}-recs`,
      solutionArn: arn(`solution/${group}-recs`),
      recipeArn: `arn:${target.partition}:personalize:::recipe/${RECOMMENDATIONS_RECIPE}`,
    },
    jobs: splitJobs(config, target.run).map((part) => {
      const inputKey = `${SEGMENT_QUERIES_PREFIX}${part.jobName}/queries.json`;
      const outputKey = `${SEGMENT_OUTPUT_PREFIX}${part.jobName}/`;
      return {
        jobName: part.jobName,
        jobArn: arn(`batch-segment-job/${part.jobName}`),
        inputKey,
        input: `s3://${target.trustedBucket}/${inputKey}`,
        outputKey,
        output: `s3://${target.trustedBucket}/${outputKey}`,
        numResults: part.numResults,
        ...(part.filterArn ? { filterArn: part.filterArn } : {}),
      };
    }),
  };
}
