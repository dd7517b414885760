import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FEATURE_NAMES } from '../../lambdas/core/propensity/features-sql';

const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:test-audiences-propensity';

beforeEach(() => {
  s3.reset();
  sfn.reset();
  vi.resetModules();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('TRUSTED_BUCKET', 'trusted');
  vi.stubEnv('WORK_DATABASE', 'cdp_propensity');
  vi.stubEnv('NAME_PREFIX', 'cdp');
  vi.stubEnv('CHURN_DAYS', '90');
  vi.stubEnv('REPURCHASE_DAYS', '30');
  vi.stubEnv('STATE_MACHINE_ARN', ARN);
  vi.stubEnv('PROPENSITY_WINDOW_MINUTES', '60');
});

describe('start-propensity handler', () => {
  it('starts purchases ingested within one hour under one execution, which waits for the hour to end', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: `${ARN}:x`, startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const { handler } = await import('../../lambdas/handlers/start-propensity');
    const ingested = (time: string, dataset: string) => ({ time, detail: { dataset } });

    const first = await handler(ingested('2026-12-02T13:05:00Z', 'web/orders'));
    const second = await handler(ingested('2026-12-02T13:55:00Z', 'store/sales'));

    expect(first).toEqual({ execution: 'propensity-2026-12-02T13-00', result: 'started' });
    expect(second).toEqual({ execution: 'propensity-2026-12-02T13-00', result: 'already-started' });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    expect(input).toEqual({ name: 'propensity-2026-12-02T13-00', runAfter: '2026-12-02T14:00:30Z' });
  });
});

describe('plan-propensity handler', () => {
  it('plans the run from the execution start and the configured windows', async () => {
    const { handler } = await import('../../lambdas/handlers/plan-propensity');

    const plan = await handler({ startedAt: '2026-12-02T03:00:00.000Z', input: { trigger: 'schedule' } });

    expect(plan.run).toBe('2026-12-02T03-00-00');
    expect(plan.churn.trainingJobName).toBe('cdp-ps-churn-20261202T030000');
    expect(plan.churn.train).toBe('s3://trusted/propensity/2026-12-02T03-00-00/train/churn/');
    expect(plan.queries.features).toContain('"cdp_propensity"');
  });
});

describe('publish-propensity handler', () => {
  let written: Map<string, string>;
  const objects = new Map<string, string | Buffer>();
  /** A genuine 1.7-1 model artifact and the gains XGBoost reports for it (test/fixtures/xgboost/). */
  const fixtures = join(import.meta.dirname, '../fixtures/xgboost');
  const artifact = readFileSync(join(fixtures, 'model.tar.gz'));
  const servedGain = JSON.parse(readFileSync(join(fixtures, 'expected-gain.json'), 'utf8')).servedTrees
    .totalGain as Record<string, number>;
  const run = '2026-12-02T03-00-00';
  const base = `propensity/${run}/`;
  const scoringRow = (id: string, purchases: number) =>
    [id, ...FEATURE_NAMES.map((name) => (name === 'purchases_ever' ? purchases : 1))].join(',');

  beforeEach(() => {
    written = new Map();
    objects.clear();
    objects.set(`${base}transform/churn/scoring/part.out`, 'c1,0.9\nc2,0.2\nc3,0.7\n');
    objects.set(`${base}transform/repurchase/scoring/part.out`, 'c1,0.1\nc2,0.6\nc3,0.3\n');
    objects.set(`${base}transform/churn/validation/part.out`, '1,0.8\n0,0.3\n1,0.6\n0,0.1\n');
    objects.set(`${base}transform/repurchase/validation/part.out`, '0,0.8\n1,0.3\n1,0.6\n0,0.1\n');
    objects.set(
      `${base}scoring/part`,
      `${scoringRow('c1', 3)}\n${scoringRow('c2', 1)}\n${scoringRow('c3', 0)}\n`,
    );
    objects.set(`${base}models/churn/cdp-ps-churn-x/output/model.tar.gz`, artifact);
    objects.set(`${base}models/repurchase/cdp-ps-repurchase-x/output/model.tar.gz`, artifact);
    s3.on(ListObjectsV2Command).callsFake(async (input: { Prefix: string }) => ({
      Contents: [...objects.keys()]
        .filter((k) => k.startsWith(input.Prefix))
        .map((Key) => ({ Key, Size: objects.get(Key)!.length, LastModified: new Date() })),
    }));
    s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => ({
      Body: Readable.from([Buffer.from(objects.get(input.Key)!)]) as never,
    }));
    s3.on(PutObjectCommand).callsFake(async (input) => {
      const body = input.Body;
      written.set(
        input.Key,
        typeof body === 'string' ? body : Buffer.from(body as Uint8Array).toString('utf8'),
      );
      return {};
    });
  });

  const model = (name: string) => ({
    model: name,
    trainingJobName: `cdp-ps-${name}-x`,
    scored: `s3://trusted/${base}transform/${name}/scoring/`,
    validated: `s3://trusted/${base}transform/${name}/validation/`,
    cutoffs: ['2026-09-02T00:00:00.000Z'],
  });
  const event = () => ({
    executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:test-audiences-propensity:x',
    plan: {
      run,
      asOf: '2026-12-02T03:00:00.000Z',
      scoring: `s3://trusted/${base}scoring/`,
      churn: model('churn'),
      repurchase: model('repurchase'),
    },
    gate: {
      models: [
        { model: 'churn', auc: 0.8 },
        { model: 'repurchase', auc: 0.7 },
      ],
    },
    trained: ['churn', 'repurchase'].map((name) => ({
      model: name,
      trainingJobName: `cdp-ps-${name}-x`,
      finalMetrics: [],
      modelArtifacts: `s3://trusted/${base}models/${name}/cdp-ps-${name}-x/output/model.tar.gz`,
    })),
    churnDays: 90,
    repurchaseDays: 30,
  });

  it('writes both score files with a header, the report, and the win-back line among past buyers', async () => {
    vi.stubEnv('WINBACK_TOP_PERCENT', '50');
    const { handler } = await import('../../lambdas/handlers/publish-propensity');

    const events = await handler(event());

    expect(written.get(`scores/${run}/churn.csv`)).toBe('customer_id,score\nc1,0.9\nc2,0.2\nc3,0.7\n');
    const report = JSON.parse(written.get(`scores/${run}/report.json`)!);
    expect(report.models.map((m: { model: string; auc: number }) => [m.model, m.auc])).toEqual([
      ['churn', 1],
      ['repurchase', 0.5],
    ]);
    // c3 never bought: of c1 and c2, the top 50 % by churn risk is c1.
    const line = JSON.parse(written.get(`segments/propensity-${run}/winback.json.out`)!);
    expect(line.output.usersList).toEqual(['c1']);
    expect(events.scoresReady.scores[1]).toEqual({
      model: 'repurchase',
      location: { bucket: 'trusted', key: `scores/${run}/repurchase.csv` },
    });
    expect(events.winback).toMatchObject({ jobName: `propensity-${run}`, status: 'ACTIVE' });
  });

  it("reports each model's total gain per feature, read from its model.tar.gz, as shares", async () => {
    const { handler } = await import('../../lambdas/handlers/publish-propensity');

    await handler(event());

    const report = JSON.parse(written.get(`scores/${run}/report.json`)!);
    expect(report.importanceMethod).toContain('total_gain');
    const total = Object.values(servedGain).reduce((a, b) => a + b, 0);
    const expectedShares = Object.entries(servedGain)
      .map(([f, gain]) => [FEATURE_NAMES[Number(f.slice(1))], gain / total] as const)
      .sort((a, b) => b[1] - a[1]);
    const churn = report.models[0];
    expect(churn.featureImportanceError).toBeUndefined();
    expect(churn.featureImportance.map((f: { feature: string }) => f.feature)).toEqual(
      expectedShares.map(([feature]) => feature),
    );
    churn.featureImportance.forEach((f: { gainShare: number }, i: number) =>
      expect(f.gainShare).toBeCloseTo(expectedShares[i]![1], 6),
    );
    expect(churn).toMatchObject({ trees: 14, servedTrees: 9 });
  });

  it('publishes the scores with the reason in the report when a model artifact cannot be read', async () => {
    objects.set(`${base}models/repurchase/cdp-ps-repurchase-x/output/model.tar.gz`, 'not a tarball');
    const { handler } = await import('../../lambdas/handlers/publish-propensity');

    await handler(event());

    expect(written.get(`scores/${run}/repurchase.csv`)).toBe('customer_id,score\nc1,0.1\nc2,0.6\nc3,0.3\n');
    const report = JSON.parse(written.get(`scores/${run}/report.json`)!);
    expect(report.models[0].featureImportance.length).toBeGreaterThan(0);
    expect(report.models[1].featureImportance).toEqual([]);
    expect(report.models[1].featureImportanceError).toMatch(
      /models\/repurchase\/cdp-ps-repurchase-x\/output\/model.tar.gz is not a readable model.tar.gz/,
    );
  });

  it('refuses a transform output that is not customer_id,score and names the line, never the customer', async () => {
    objects.set(`${base}transform/churn/scoring/part.out`, 'c1,0.9\nc2,1.7\n');
    const { handler } = await import('../../lambdas/handlers/publish-propensity');

    await expect(handler(event())).rejects.toThrow(
      `${base}transform/churn/scoring/part.out line 2: the score is not a probability between 0 and 1; nothing was published`,
    );
    expect([...written.keys()].filter((k) => k.endsWith('report.json') || k.includes('segments/'))).toEqual(
      [],
    );
  });

  it('refuses a plan that points outside the trusted bucket', async () => {
    const { handler } = await import('../../lambdas/handlers/publish-propensity');
    const bad = event();
    bad.plan.scoring = 's3://elsewhere/x/';

    await expect(handler(bad)).rejects.toThrow(/is not in s3:\/\/trusted\//);
  });
});
