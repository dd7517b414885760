import { describe, expect, it } from 'vitest';
import { athenaExport, runTableName } from '../../../lambdas/core/propensity/athena-export';
import { planCloudRun } from '../../../lambdas/core/propensity/cloud-run';
import { FEATURE_NAMES } from '../../../lambdas/core/propensity/features-sql';

const options = {
  run: '2026-12-02T03-00-00',
  asOf: new Date('2026-12-01T00:00:00Z'),
  churnDays: 90,
  repurchaseDays: 30,
  cutoffCount: 4,
  cutoffStepDays: 30,
  workDatabase: 'cdp_propensity',
  bucket: 'trusted-bucket',
  prefix: 'propensity/',
};

describe('the Athena export of the propensity SQL', () => {
  it('materialises the one feature query (Athena dialect) as Parquet in the run folder', () => {
    const { features } = athenaExport(options);

    expect(features.location).toBe('s3://trusted-bucket/propensity/2026-12-02T03-00-00/features/');
    expect(features.query).toMatch(/^CREATE TABLE "cdp_propensity"."propensity_20261202t030000_features"/);
    expect(features.query).toContain("format = 'PARQUET'");
    expect(features.query).toContain('to_unixtime(');
    expect(features.query).not.toContain('epoch(');
  });

  it('writes training CSVs with the label first and no header, uncompressed, for the model cutoffs', () => {
    const { models } = athenaExport(options);

    const train = models.churn.train.query;
    expect(train).toContain("format = 'TEXTFILE', field_delimiter = ',', write_compression = 'NONE'");
    expect(train).toMatch(
      /SELECT CASE WHEN purchases_in_churn_window = 0 THEN 1 ELSE 0 END AS label, COALESCE/,
    );
    expect(train.match(/COALESCE\(CAST\(/g)).toHaveLength(FEATURE_NAMES.length);
    // Churn trains on cutoffs 90 days and more before the as-of date.
    expect(models.churn.cutoffs[0]).toBe('2026-09-02T00:00:00.000Z');
    expect(models.repurchase.cutoffs[0]).toBe('2026-11-01T00:00:00.000Z');
  });

  it('splits by profile: training and validation take complementary hash buckets, validation the latest cutoff only', () => {
    const { models } = athenaExport(options);

    expect(models.repurchase.train.query).toMatch(
      /WHERE cutoff_index IN \([\d, ]+\) AND abs\(mod\(.*profile_id.*\)\) >= 20/,
    );
    expect(models.repurchase.validation.query).toMatch(
      /WHERE cutoff_index = \d+ AND abs\(mod\(.*profile_id.*\)\) < 20/,
    );
  });

  it('writes the scoring CSV with the customer ID first, at the as-of date (cutoff 0)', () => {
    const { scoring } = athenaExport(options);

    expect(scoring.query).toMatch(/AS SELECT customer_id, COALESCE\(CAST\(tenure_days AS DOUBLE\), -1\)/);
    expect(scoring.query).toContain('WHERE cutoff_index = 0');
  });

  it('refuses a run ID that could break out of a name or path', () => {
    expect(() => athenaExport({ ...options, run: "x'; DROP TABLE" })).toThrow(/letters, digits/);
    expect(runTableName('A-b_1', 'scoring')).toBe('propensity_ab1_scoring');
  });
});

describe('the cloud run plan', () => {
  const settings = {
    namePrefix: 'cdp',
    churnDays: 90,
    repurchaseDays: 30,
    cutoffCount: 4,
    cutoffStepDays: 30,
    workDatabase: 'cdp_propensity',
    bucket: 'trusted-bucket',
  };

  it('names the run after the execution start and keeps SageMaker names within 63 characters', () => {
    const plan = planCloudRun(
      { startedAt: '2026-12-02T03:00:00.123Z' },
      { ...settings, namePrefix: 'a'.repeat(20) },
    );

    expect(plan.run).toBe('2026-12-02T03-00-00');
    expect(plan.asOf).toBe('2026-12-02T03:00:00.123Z');
    for (const name of [plan.repurchase.trainingJobName, plan.repurchase.validationTransformJobName]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/);
    }
  });

  it('takes an as-of date from the execution input, and refuses one that is not a date', () => {
    expect(
      planCloudRun({ startedAt: '2026-12-02T03:00:00Z', asOf: '2026-11-01T00:00:00Z' }, settings).asOf,
    ).toBe('2026-11-01T00:00:00.000Z');
    expect(() => planCloudRun({ startedAt: '2026-12-02T03:00:00Z', asOf: 'last monday' }, settings)).toThrow(
      /not an ISO date/,
    );
  });
});
