import { UserFacingError } from '../errors';
import {
  type AthenaExport,
  athenaExport,
  PROPENSITY_MODELS,
  type PropensityModelName,
} from './athena-export';

/**
 * The names and places of one cloud scoring run, decided once at its start so that every step
 * (Athena, SageMaker, the publish Lambda) reads them from the state instead of recomputing them.
 */

export interface CloudRunSettings {
  /** The deployment's name prefix: SageMaker names start with `<prefix>-ps-`. */
  readonly namePrefix: string;
  readonly churnDays: number;
  readonly repurchaseDays: number;
  readonly cutoffCount: number;
  readonly cutoffStepDays: number;
  readonly workDatabase: string;
  readonly bucket: string;
}

export interface ModelRun {
  readonly model: PropensityModelName;
  readonly trainingJobName: string;
  readonly modelName: string;
  readonly scoringTransformJobName: string;
  readonly validationTransformJobName: string;
  readonly train: string;
  readonly validation: string;
  /** Training output (model.tar.gz under `<job>/output/`). */
  readonly modelOutput: string;
  readonly scored: string;
  readonly validated: string;
  readonly cutoffs: readonly string[];
}

export interface CloudRunPlan {
  readonly run: string;
  readonly asOf: string;
  readonly queries: {
    readonly features: string;
    readonly scoring: string;
    readonly churnTrain: string;
    readonly churnValidation: string;
    readonly repurchaseTrain: string;
    readonly repurchaseValidation: string;
  };
  readonly scoring: string;
  readonly churn: ModelRun;
  readonly repurchase: ModelRun;
  /**
   * What the run leaves behind, for its last step: the CTAS tables (Glue BatchDeleteTable; their
   * files are under `propensity/<run>/`, which a lifecycle rule of the bucket expires).
   */
  readonly cleanup: { readonly database: string; readonly tables: readonly string[] };
}

/** Everything the workflow writes besides scores, audiences and Athena results. */
export const PROPENSITY_WORK_PREFIX = 'propensity/';
/** SageMaker job and model names of a deployment start with `<namePrefix>-ps-`. */
export const sageMakerNamePrefix = (namePrefix: string) => `${namePrefix}-ps-`;

export function planCloudRun(
  input: { readonly startedAt: string; readonly asOf?: string },
  settings: CloudRunSettings,
): CloudRunPlan {
  const started = new Date(input.startedAt);
  if (Number.isNaN(started.getTime())) throw new Error(`bad execution start time ${input.startedAt}`);
  const asOf = input.asOf === undefined ? started : new Date(input.asOf);
  if (Number.isNaN(asOf.getTime())) {
    throw new UserFacingError(`asOf "${input.asOf}" is not an ISO date, e.g. 2026-12-01T00:00:00Z`);
  }
  // The run is the start instant, to the second: one run per execution, in names of ≤ 63 characters.
  const run = started.toISOString().slice(0, 19).replace(/:/g, '-');
  const stamp = run.replace(/-/g, '');
  const exported: AthenaExport = athenaExport({
    run,
    asOf,
    churnDays: settings.churnDays,
    repurchaseDays: settings.repurchaseDays,
    cutoffCount: settings.cutoffCount,
    cutoffStepDays: settings.cutoffStepDays,
    workDatabase: settings.workDatabase,
    bucket: settings.bucket,
    prefix: PROPENSITY_WORK_PREFIX,
  });
  const base = `s3://${settings.bucket}/${PROPENSITY_WORK_PREFIX}${run}/`;
  const modelRun = (model: PropensityModelName): ModelRun => {
    const name = `${sageMakerNamePrefix(settings.namePrefix)}${model}-${stamp}`;
    return {
      model,
      trainingJobName: name,
      modelName: name,
      scoringTransformJobName: `${name}-s`,
      validationTransformJobName: `${name}-v`,
      train: exported.models[model].train.location,
      validation: exported.models[model].validation.location,
      modelOutput: `${base}models/${model}/`,
      scored: `${base}transform/${model}/scoring/`,
      validated: `${base}transform/${model}/validation/`,
      cutoffs: exported.models[model].cutoffs,
    };
  };
  const [churn, repurchase] = PROPENSITY_MODELS.map(modelRun) as [ModelRun, ModelRun];
  return {
    run,
    asOf: asOf.toISOString(),
    queries: {
      features: exported.features.query,
      scoring: exported.scoring.query,
      churnTrain: exported.models.churn.train.query,
      churnValidation: exported.models.churn.validation.query,
      repurchaseTrain: exported.models.repurchase.train.query,
      repurchaseValidation: exported.models.repurchase.validation.query,
    },
    scoring: exported.scoring.location,
    churn,
    repurchase,
    cleanup: { database: settings.workDatabase, tables: exported.tables },
  };
}
