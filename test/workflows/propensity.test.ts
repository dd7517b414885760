import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { readObject } from '../../lambdas/core/ports/object-store';
import { FEATURE_NAMES } from '../../lambdas/core/propensity/features-sql';
import { planCloudRun } from '../../lambdas/core/propensity/cloud-run';
import { publishedEvents, publishScores } from '../../lambdas/core/propensity/cloud-scores';
import { handler as gateHandler } from '../../lambdas/handlers/propensity-gate';
import { MemoryObjectStore } from '../adapters/segment/memory-object-store';
import { buildApp } from '../lib/synth';
import { definitionOf, runLocally, type LocalHandler as Handler, validateWithPaths } from './definition';

const BUCKET = 'trusted';
const STARTED = '2026-12-02T03:00:00.000Z';
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:test-audiences-propensity:x';
const PUBLISH_STATES = [
  'Publish scores ready',
  'Publish win-back audience',
  'Publish quality gate failure',
  'Publish propensity failure',
];
const CUSTOMERS = 40;

const keyOf = (uri: string) => uri.replace(`s3://${BUCKET}/`, '');
/** A genuine model.tar.gz of the 1.7-1 container's XGBoost (test/fixtures/xgboost/). */
const ARTIFACT = readFileSync(join(import.meta.dirname, '../fixtures/xgboost/model.tar.gz'));
const RUN_TABLES = [
  'features',
  'train_churn',
  'validation_churn',
  'train_repurchase',
  'validation_repurchase',
  'scoring',
];

/**
 * Stand-ins for Athena, SageMaker and the Lambdas, over one in-memory trusted bucket: the CTAS
 * writes rows in the format its query names, the transform applies the DataProcessing filters the
 * state passes it, so the publish step reads what the real services would leave.
 */
function cloud(trusted: MemoryObjectStore, auc: { churn: number; repurchase: number }) {
  const calls: string[] = [];
  /** The Glue tables that exist: the CTAS statements create them, the clean-up drops them. */
  const tables = new Set<string>();
  const dropRequests: { DatabaseName: string; TablesToDelete: string[] }[] = [];
  const features = (i: number) => FEATURE_NAMES.map((_, f) => (f === 0 ? i : i % 3)).join(',');
  const athena: Handler = async (input: { QueryString: string }) => {
    const location = /external_location = '([^']+)'/.exec(input.QueryString)![1]!;
    calls.push(`athena ${keyOf(location)}`);
    const created = /^CREATE TABLE "([a-z0-9_]+)"\."([a-z0-9_]+)"/.exec(input.QueryString)!;
    tables.add(`${created[1]}.${created[2]}`);
    if (location.endsWith('/features/')) return {};
    const scoring = location.endsWith('/scoring/');
    const rows = Array.from({ length: CUSTOMERS }, (_, i) =>
      scoring ? `c${String(i).padStart(3, '0')},${features(i)}` : `${i % 2},${features(i)}`,
    );
    await trusted.put(`${keyOf(location)}20261202_000000_00001_abcde`, `${rows.join('\n')}\n`);
    return {};
  };
  const train =
    (model: 'churn' | 'repurchase'): Handler =>
    async (input: { TrainingJobName: string; HyperParameters: Record<string, string> }) => {
      calls.push(`train ${model}`);
      expect(input.HyperParameters).toMatchObject({ objective: 'binary:logistic', eval_metric: 'auc' });
      const artifact = `propensity/x/models/${model}/model.tar.gz`;
      await trusted.put(artifact, ARTIFACT);
      return {
        TrainingJobName: input.TrainingJobName,
        TrainingJobStatus: 'Completed',
        FinalMetricDataList: [
          { MetricName: 'train:auc', Value: 0.99 },
          { MetricName: 'validation:auc', Value: auc[model] },
        ],
        ModelArtifacts: { S3ModelArtifacts: `s3://${BUCKET}/propensity/x/models/${model}/model.tar.gz` },
      };
    };
  const transform: Handler = async (input: {
    TransformInput: { DataSource: { S3DataSource: { S3Uri: string } } };
    TransformOutput: { S3OutputPath: string };
    DataProcessing: { InputFilter: string; JoinSource: string; OutputFilter: string };
  }) => {
    const source = keyOf(input.TransformInput.DataSource.S3DataSource.S3Uri);
    calls.push(`transform ${source}`);
    expect(input.DataProcessing).toEqual({
      InputFilter: '$[1:]',
      JoinSource: 'Input',
      OutputFilter: '$[0,-1]',
    });
    for await (const object of trusted.list(source)) {
      const text = (await readObject(trusted, object.key)).toString('utf8');
      const out = text
        .trim()
        .split('\n')
        .map((line) => {
          const columns = line.split(',');
          const score = 1 / (1 + Math.exp(-Number(columns[1]) / 10 + 2)); // the model sees $[1:]
          return [...columns, score.toFixed(6)]
            .filter((_, i, all) => i === 0 || i === all.length - 1)
            .join(',');
        });
      const name = object.key.split('/').pop()!;
      await trusted.put(`${keyOf(input.TransformOutput.S3OutputPath)}${name}.out`, `${out.join('\n')}\n`);
    }
    return {};
  };
  const handlers: Record<string, Handler> = {
    'Plan run': async (input: { startedAt: string; input: { asOf?: string } }) =>
      planCloudRun(
        { startedAt: input.startedAt, asOf: input.input.asOf },
        {
          namePrefix: 'cdp',
          churnDays: 90,
          repurchaseDays: 30,
          cutoffCount: 4,
          cutoffStepDays: 30,
          workDatabase: 'cdp_propensity',
          bucket: BUCKET,
        },
      ),
    'Compute features': athena,
    'Export churn training': athena,
    'Export churn validation': athena,
    'Export repurchase training': athena,
    'Export repurchase validation': athena,
    'Export scoring': athena,
    'Train churn': train('churn'),
    'Train repurchase': train('repurchase'),
    'Check quality': gateHandler,
    'Create churn model': async () => (calls.push('model churn'), {}),
    'Create repurchase model': async () => (calls.push('model repurchase'), {}),
    'Score churn': transform,
    'Validate churn': transform,
    'Score repurchase': transform,
    'Validate repurchase': transform,
    'Publish scores': async (input: any) => {
      const model = (m: any) => ({
        model: m.model,
        trainingJobName: m.trainingJobName,
        trainingAuc: input.gate.models.find((g: any) => g.model === m.model).auc,
        scoredPrefix: keyOf(m.scored),
        validatedPrefix: keyOf(m.validated),
        modelArtifact: keyOf(input.trained.find((t: any) => t.model === m.model).modelArtifacts),
        cutoffs: m.cutoffs,
      });
      const result = await publishScores(trusted, {
        run: input.plan.run,
        asOf: input.plan.asOf,
        churnDays: input.churnDays,
        repurchaseDays: input.repurchaseDays,
        scoringPrefix: keyOf(input.plan.scoring),
        models: [model(input.plan.churn), model(input.plan.repurchase)],
      });
      return publishedEvents(BUCKET, result, input.executionArn, new Date(STARTED));
    },
    // Glue BatchDeleteTable: a table that does not exist is an entry in Errors, not a failure.
    'Drop run tables': async (input: { DatabaseName: string; TablesToDelete: string[] }) => {
      calls.push('drop tables');
      dropRequests.push(input);
      const errors = [];
      for (const table of input.TablesToDelete) {
        if (!tables.delete(`${input.DatabaseName}.${table}`)) {
          errors.push({ TableName: table, ErrorDetail: { ErrorCode: 'EntityNotFoundException' } });
        }
      }
      return { Errors: errors };
    },
  };
  return { calls, handlers, tables, dropRequests };
}

const runTables = (run: string) =>
  RUN_TABLES.map((what) => `propensity_${run.toLowerCase().replace(/[^a-z0-9]/g, '')}_${what}`);

describe('propensity workflow, executed locally', () => {
  let definition: Record<string, unknown>;
  beforeAll(() => {
    definition = definitionOf(buildApp({ propensity: 'true' }).template, 'PropensityWorkflow');
  });

  const execute = (handlers: Record<string, Handler>, input: object = {}) =>
    runLocally(definition, input, {
      handlers,
      publishStates: PUBLISH_STATES,
      waitTimeOverrides: { 'Wait for the window to close': 0 },
      retryIntervalOverrides: { 'Drop run tables': 0 },
      context: { Execution: { Id: EXECUTION, StartTime: STARTED } },
    });

  it('passes asl-validator with its paths checked', () => {
    expect(() => validateWithPaths(definition)).not.toThrow();
  });

  it('scores both models, writes scores/<run>/, and publishes Scores Ready and the win-back audience', async () => {
    const trusted = new MemoryObjectStore();
    const { calls, handlers, tables, dropRequests } = cloud(trusted, { churn: 0.81, repurchase: 0.74 });

    const { outcome, published } = await execute(handlers, { runAfter: '2026-12-02T03:00:30Z' });

    expect(outcome).toBe('succeeded');
    expect(published.map((e) => e.detailType)).toEqual([
      EVENTS.propensityScoresReady.detailType,
      EVENTS.batchSegmentJobStateChange.detailType,
    ]);
    const ready = EVENTS.propensityScoresReady.schema.parse(published[0]!.detail);
    // The run is named after the execution's start (the local runner's clock).
    const run = ready.run;
    expect(run).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d$/);
    expect(ready.scores).toEqual([
      { model: 'churn', location: { bucket: BUCKET, key: `scores/${run}/churn.csv` } },
      { model: 'repurchase', location: { bucket: BUCKET, key: `scores/${run}/repurchase.csv` } },
    ]);
    const churn = (await readObject(trusted, `scores/${run}/churn.csv`)).toString('utf8').split('\n');
    expect(churn[0]).toBe('customer_id,score');
    expect(churn).toHaveLength(CUSTOMERS + 2); // header, rows, final newline
    expect(churn[1]).toMatch(/^c000,0\.\d+$/);
    const report = JSON.parse((await readObject(trusted, `scores/${run}/report.json`)).toString());
    expect(report.models.map((m: { trainingAuc: number }) => m.trainingAuc)).toEqual([0.81, 0.74]);
    expect(report.models[0].calibration).toHaveLength(10);
    const winback = EVENTS.batchSegmentJobStateChange.schema.parse(published[1]!.detail);
    expect(winback).toMatchObject({
      jobName: `propensity-${run}`,
      status: 'ACTIVE',
      output: { bucket: BUCKET, key: `segments/propensity-${run}/` },
    });
    const line = JSON.parse(
      (await readObject(trusted, `segments/propensity-${run}/winback.json.out`)).toString(),
    );
    // Past buyers are the customers whose purchases_ever column (i % 3) is above 0: 26 of 40; top 20 %.
    expect(line.output.usersList).toHaveLength(Math.ceil(26 * 0.2));
    expect(calls.filter((c) => c.startsWith('train'))).toEqual(['train churn', 'train repurchase']);
    expect(calls.filter((c) => c.startsWith('transform'))).toHaveLength(4);
    // The importance comes from the model artifact each training job left.
    expect(report.models[0].featureImportance.length).toBeGreaterThan(0);
    expect(report.models[0].featureImportanceError).toBeUndefined();
    // The six CTAS tables were created, then dropped once everything was published.
    expect(dropRequests.map((r) => r.DatabaseName)).toEqual(['cdp_propensity']);
    expect([...dropRequests[0]!.TablesToDelete].sort()).toEqual(runTables(run).sort());
    expect(tables.size).toBe(0);
    expect(calls.at(-1)).toBe('drop tables');
  });

  it('still succeeds and publishes when the tables cannot be dropped, after retrying', async () => {
    const trusted = new MemoryObjectStore();
    const { calls, handlers, tables } = cloud(trusted, { churn: 0.81, repurchase: 0.74 });
    handlers['Drop run tables'] = async () => {
      calls.push('drop tables');
      throw Object.assign(new Error('Glue is unavailable'), { name: 'States.TaskFailed' });
    };

    const { outcome, published } = await execute(handlers);

    expect(outcome).toBe('succeeded');
    expect(published.map((e) => e.detailType)).toEqual([
      EVENTS.propensityScoresReady.detailType,
      EVENTS.batchSegmentJobStateChange.detailType,
    ]);
    expect(calls.filter((c) => c === 'drop tables')).toHaveLength(4); // the call and three retries
    expect(tables.size).toBe(6);
  });

  it('reports a training job that FAILED as Workflow Failed with its reason, and publishes no scores', async () => {
    const trusted = new MemoryObjectStore();
    const { handlers, tables, dropRequests } = cloud(trusted, { churn: 0.8, repurchase: 0.8 });
    handlers['Train churn'] = async () => {
      throw Object.assign(
        new Error(
          '{"TrainingJobStatus":"Failed","FailureReason":"AlgorithmError: label column has values other than 0 and 1"}',
        ),
        { name: 'States.TaskFailed' },
      );
    };

    const { outcome, published } = await execute(handlers);

    expect(outcome).toBe('failed: PropensityFailed');
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.workflowFailed.detailType]);
    const detail = EVENTS.workflowFailed.schema.parse(published[0]!.detail);
    expect(detail.reason).toContain('States.TaskFailed');
    expect(detail.reason).toContain('AlgorithmError: label column');
    expect(detail.executionArn).toBe(EXECUTION);
    expect([...trusted.objects.keys()].filter((k) => k.startsWith('scores/'))).toEqual([]);
    // The failed run's tables are dropped before the failure is reported.
    expect(dropRequests).toHaveLength(1);
    expect(tables.size).toBe(0);
  });

  it('drops nothing when the run fails before it is planned, and still reports the failure', async () => {
    const trusted = new MemoryObjectStore();
    const { handlers, dropRequests } = cloud(trusted, { churn: 0.8, repurchase: 0.8 });
    handlers['Plan run'] = async () => {
      throw Object.assign(new Error('asOf "yesterday" is not an ISO date'), { name: 'UserFacingError' });
    };

    const { outcome, published } = await execute(handlers, { asOf: 'yesterday' });

    expect(outcome).toBe('failed: PropensityFailed');
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.workflowFailed.detailType]);
    expect(EVENTS.workflowFailed.schema.parse(published[0]!.detail).reason).toContain('not an ISO date');
    expect(dropRequests).toEqual([]);
  });

  it('refuses to publish when a model is below the AUC floor, and emails the figures', async () => {
    const trusted = new MemoryObjectStore();
    const { calls, handlers, tables, dropRequests } = cloud(trusted, { churn: 0.82, repurchase: 0.61 });

    const { outcome, published } = await execute(handlers);

    expect(outcome).toBe('succeeded');
    expect(published.map((e) => e.detailType)).toEqual([EVENTS.propensityQualityGateFailed.detailType]);
    const detail = EVENTS.propensityQualityGateFailed.schema.parse(published[0]!.detail);
    expect(detail.floor).toBe(0.65);
    expect(detail.models.map((m) => [m.model, m.auc, m.passed])).toEqual([
      ['churn', 0.82, true],
      ['repurchase', 0.61, false],
    ]);
    expect(detail.reason).toContain('repurchase');
    expect(calls.some((c) => c.startsWith('transform') || c.startsWith('model'))).toBe(false);
    expect(
      [...trusted.objects.keys()].filter((k) => k.startsWith('scores/') || k.startsWith('segments/')),
    ).toEqual([]);
    // Refused runs leave no tables either.
    expect(dropRequests).toHaveLength(1);
    expect(dropRequests[0]!.TablesToDelete).toHaveLength(6);
    expect(tables.size).toBe(0);
  });
});
