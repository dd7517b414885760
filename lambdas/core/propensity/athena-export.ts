import { scoringCutoffs } from './cutoffs';
import { FEATURE_NAMES, featuresQuery } from './features-sql';

/**
 * The propensity SQL in the shape the cloud workflow runs it: Athena CTAS statements over the same
 * `featuresQuery` that DuckDB runs offline. One CTAS materialises the feature table (Parquet) once;
 * the others read it and write the SageMaker inputs as headerless CSV:
 * - train and validation, per model: the label first, then FEATURE_NAMES (the built-in XGBoost's
 *   CSV format: "the target variable in the first column", no header);
 * - scoring: customer_id first, then FEATURE_NAMES, every CRM customer at the as-of date; the batch
 *   transform drops the ID on the way in (InputFilter) and joins it back (JoinSource=Input).
 *
 * Customers are split by a hash of their profile (80 % train, 20 % validation), never by row, so
 * the same person at two cutoffs is never on both sides; validation rows are the latest training
 * cutoff only, as offline. SQL NULL ("never": no purchase, no visit) becomes -1 in the CSVs: every
 * such feature is otherwise ≥ 0, so a tree splits "never" apart from every real value, and no
 * reader has to agree on how an empty CSV field is read.
 *
 * CTAS table properties: https://docs.aws.amazon.com/athena/latest/ug/create-table-as.html
 * (TEXTFILE is GZIP-compressed unless `write_compression = 'NONE'`; `external_location` must be empty).
 */

export const PROPENSITY_MODELS = ['churn', 'repurchase'] as const;
export type PropensityModelName = (typeof PROPENSITY_MODELS)[number];

/** Share of profiles held out of training to validate on (and to stop early on). */
export const VALIDATION_PERCENT = 20;

export interface AthenaExportOptions {
  /** The run ID: letters, digits, `-`, `_` (it names tables and S3 folders). */
  readonly run: string;
  readonly asOf: Date;
  readonly churnDays: number;
  readonly repurchaseDays: number;
  readonly cutoffCount: number;
  readonly cutoffStepDays: number;
  /** Glue database the CTAS tables are created in (not the trusted one). */
  readonly workDatabase: string;
  /** Where the files go: `s3://<bucket>/<prefix><run>/…`. */
  readonly bucket: string;
  readonly prefix: string;
}

export interface ModelExport {
  readonly train: { readonly query: string; readonly location: string };
  readonly validation: { readonly query: string; readonly location: string };
  /** ISO instants of the model's training cutoffs, latest first. */
  readonly cutoffs: readonly string[];
}

export interface AthenaExport {
  readonly features: { readonly query: string; readonly location: string };
  readonly scoring: { readonly query: string; readonly location: string };
  readonly models: Readonly<Record<PropensityModelName, ModelExport>>;
  /** Every Glue table the statements create (in the work database): what the run drops at its end. */
  readonly tables: readonly string[];
}

const RUN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/;
const IDENTIFIER = /^[a-z][a-z0-9_]{0,99}$/;

/** Every table a run creates starts with this (the clean-up's IAM grant is scoped to it). */
export const RUN_TABLE_PREFIX = 'propensity_';

/** A Glue table name for this run (lowercase letters, digits, `_`). */
export function runTableName(run: string, what: string): string {
  return `${RUN_TABLE_PREFIX}${run.toLowerCase().replace(/[^a-z0-9]/g, '')}_${what}`;
}

/** A feature column as the CSVs carry it: NULL ("never") as -1. */
const csvFeature = (name: string) => `COALESCE(CAST(${name} AS DOUBLE), -1)`;

export function athenaExport(options: AthenaExportOptions): AthenaExport {
  if (!RUN.test(options.run)) throw new Error(`run ${options.run}: letters, digits, '-' and '_' only`);
  if (!IDENTIFIER.test(options.workDatabase)) throw new Error(`bad Glue database ${options.workDatabase}`);
  if (!/^[a-z0-9.-]{3,63}$/.test(options.bucket)) throw new Error(`bad bucket ${options.bucket}`);
  const base = `s3://${options.bucket}/${options.prefix}${options.run}/`;
  const plan = scoringCutoffs(
    options.asOf,
    { churnDays: options.churnDays, repurchaseDays: options.repurchaseDays },
    options.cutoffCount,
    options.cutoffStepDays,
  );
  const featuresTable = `"${options.workDatabase}"."${runTableName(options.run, 'features')}"`;
  const tables: string[] = [];
  const ctas = (what: string, location: string, format: 'PARQUET' | 'CSV', select: string) => {
    tables.push(runTableName(options.run, what));
    const properties =
      format === 'PARQUET'
        ? `format = 'PARQUET', external_location = '${location}'`
        : `format = 'TEXTFILE', field_delimiter = ',', write_compression = 'NONE', external_location = '${location}'`;
    return `CREATE TABLE "${options.workDatabase}"."${runTableName(options.run, what)}"\nWITH (${properties})\nAS ${select}`;
  };

  const features = {
    location: `${base}features/`,
    query: '',
  };
  features.query = ctas(
    'features',
    features.location,
    'PARQUET',
    featuresQuery(
      { cutoffs: plan.cutoffs, churnDays: options.churnDays, repurchaseDays: options.repurchaseDays },
      'athena',
    ),
  );

  // The same 0-99 bucket for a profile in every query and every run.
  const bucketOfProfile = 'abs(mod(from_big_endian_64(xxhash64(to_utf8(profile_id))), 100))';
  const columns = FEATURE_NAMES.map(csvFeature).join(', ');
  const labels: Record<PropensityModelName, string> = {
    churn: 'CASE WHEN purchases_in_churn_window = 0 THEN 1 ELSE 0 END',
    repurchase: 'CASE WHEN purchases_in_repurchase_window > 0 THEN 1 ELSE 0 END',
  };
  const model = (name: PropensityModelName): ModelExport => {
    const indices = plan[name];
    const train = { location: `${base}train/${name}/`, query: '' };
    const validation = { location: `${base}validation/${name}/`, query: '' };
    train.query = ctas(
      `train_${name}`,
      train.location,
      'CSV',
      `SELECT ${labels[name]} AS label, ${columns}\nFROM ${featuresTable}\nWHERE cutoff_index IN (${indices.join(', ')}) AND ${bucketOfProfile} >= ${VALIDATION_PERCENT}`,
    );
    validation.query = ctas(
      `validation_${name}`,
      validation.location,
      'CSV',
      `SELECT ${labels[name]} AS label, ${columns}\nFROM ${featuresTable}\nWHERE cutoff_index = ${indices[0]} AND ${bucketOfProfile} < ${VALIDATION_PERCENT}`,
    );
    return { train, validation, cutoffs: indices.map((i) => plan.cutoffs[i]!.at.toISOString()) };
  };

  const scoring = { location: `${base}scoring/`, query: '' };
  scoring.query = ctas(
    'scoring',
    scoring.location,
    'CSV',
    `SELECT customer_id, ${columns}\nFROM ${featuresTable}\nWHERE cutoff_index = 0`,
  );
  const models = { churn: model('churn'), repurchase: model('repurchase') };
  return { features, scoring, models, tables };
}

/** Column of `purchases_ever` in a scoring CSV row (customer_id is column 0). */
export const SCORING_PURCHASES_EVER_COLUMN = 1 + FEATURE_NAMES.indexOf('purchases_ever');
