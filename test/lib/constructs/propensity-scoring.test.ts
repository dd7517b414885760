import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CdpAudiencesStack } from '../../../lib/cdp-audiences-stack';
import { parseConfig } from '../../../lib/config';
import { beforeAll, describe, expect, it } from 'vitest';
import { xgboostImage } from '../../../lib/constructs/propensity-images';
import { definitionOf } from '../../workflows/definition';
import { buildApp, unacknowledgedNagFindings } from '../synth';
import { allowedPairs } from './iam-statements';

describe('the XGBoost image by region', () => {
  it('pins sagemaker-xgboost 1.7-1 from the account of each region, never latest', () => {
    expect(xgboostImage('eu-west-1')).toBe(
      '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    );
    expect(xgboostImage('us-east-1')).toBe(
      '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    );
    expect(xgboostImage('ap-southeast-2')).toBe(
      '783357654285.dkr.ecr.ap-southeast-2.amazonaws.com/sagemaker-xgboost:1.7-1',
    );
  });

  it('uses the .com.cn domain in the China regions', () => {
    expect(xgboostImage('cn-north-1')).toBe(
      '450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1',
    );
  });

  it('looks the account up from the same table at deploy time in a region-agnostic stack', () => {
    const flags = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')).context;
    const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
    const stack = new CdpAudiencesStack(app, 'agnostic', {
      config: parseConfig({ email: 'ops@example.com', propensity: 'true' }),
    });

    const mappings = Template.fromStack(stack).findMappings('*');
    const table = Object.values(mappings).find((m) => m['eu-west-1']?.account);
    expect(table?.['eu-west-1']).toEqual({ account: '141502667606' });
    expect(table?.['us-east-1']).toEqual({ account: '683313688378' });
  });

  it('refuses a region it has no image for, naming the fix', () => {
    expect(() => xgboostImage('xx-nowhere-1')).toThrow(
      /no SageMaker XGBoost image for region "xx-nowhere-1"/,
    );
  });
});

describe('propensity scoring construct', () => {
  let app: ReturnType<typeof buildApp>['app'];
  let template: Template;
  let states: Record<string, any>;
  beforeAll(() => {
    ({ app, template } = buildApp({
      propensity: 'true',
      propensitySchedule: 'weekly',
      propensityOnIngest: 'true',
      propensityWorkRetentionDays: '3',
    }));
    const definition = definitionOf(template, 'PropensityWorkflow') as { States: Record<string, any> };
    // Branch states of the Parallel states, flattened.
    const flatten = (all: Record<string, any>): [string, any][] =>
      Object.entries(all).flatMap(([name, s]) => [
        [name, s] as [string, any],
        ...((s.Branches ?? []) as { States: Record<string, any> }[]).flatMap((b) => flatten(b.States)),
      ]);
    states = Object.fromEntries(flatten(definition.States));
  });

  it('has no unacknowledged cdk-nag finding, schedule and ingest start included', () => {
    expect(unacknowledgedNagFindings(app)).toEqual([]);
  });

  it('trains with the XGBoost image of the stack region, binary:logistic, AUC and early stopping, .sync', () => {
    const train = states['Train churn'];
    expect(train.Resource).toMatch(/:states:::sagemaker:createTrainingJob\.sync$/);
    expect(train.Parameters.AlgorithmSpecification.TrainingImage).toBe(
      '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1',
    );
    expect(train.Parameters.HyperParameters).toMatchObject({
      objective: 'binary:logistic',
      eval_metric: 'auc',
      early_stopping_rounds: '20',
    });
    expect(train.Parameters.InputDataConfig.map((c: { ChannelName: string }) => c.ChannelName)).toEqual([
      'train',
      'validation',
    ]);
  });

  it('runs the CTAS statements with .sync in the propensity workgroup', () => {
    const features = states['Compute features'];
    expect(features.Resource).toMatch(/:states:::athena:startQueryExecution\.sync$/);
    expect(features.Parameters.WorkGroup).toBe('cdp-propensity');
    expect(features.Parameters['QueryString.$']).toBe('$.plan.queries.features');
  });

  it('transforms with DataProcessing so each output line is customer_id,score', () => {
    const score = states['Score churn'];
    expect(score.Resource).toMatch(/:states:::sagemaker:createTransformJob\.sync$/);
    expect(score.Parameters.DataProcessing).toEqual({
      InputFilter: '$[1:]',
      JoinSource: 'Input',
      OutputFilter: '$[0,-1]',
    });
    expect(score.Parameters.TransformInput).toMatchObject({ ContentType: 'text/csv', SplitType: 'Line' });
  });

  it('encrypts the Athena results with the data lake key and enforces the workgroup settings', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          OutputLocation: Match.anyValue(),
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataLakeKey'), 'Arn'] },
          },
        },
      }),
    });
  });

  it('lets only this account and its own SageMaker jobs assume the SageMaker role (confused deputy)', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('^SageMaker training and batch transform'),
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'sagemaker.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111122223333' },
              ArnLike: {
                'aws:SourceArn': [
                  'arn:aws:sagemaker:eu-west-1:111122223333:training-job/cdp-ps-*',
                  'arn:aws:sagemaker:eu-west-1:111122223333:transform-job/cdp-ps-*',
                  'arn:aws:sagemaker:eu-west-1:111122223333:model/cdp-ps-*',
                ],
              },
            },
          }),
        ],
      },
    });
  });

  it('limits the SageMaker role to propensity/ in the trusted bucket, the data lake key and its logs', () => {
    const pairs = allowedPairs(template, 'PropensitySageMakerRole');
    const s3 = pairs.filter((p) => p.startsWith('s3:'));
    expect(s3.length).toBeGreaterThan(0);
    for (const pair of s3) expect(pair).toMatch(/ DataLakeTrusted(\/propensity\/\*)?$/);
    expect(s3.filter((p) => p.startsWith('s3:PutObject'))).toEqual([
      's3:PutObject DataLakeTrusted/propensity/*',
    ]);
    const kms = pairs.filter((p) => p.startsWith('kms:'));
    for (const pair of kms) expect(pair).toMatch(/ DataLakeKey$/);
    const other = pairs.filter((p) => !p.startsWith('s3:') && !p.startsWith('kms:'));
    for (const pair of other)
      expect(pair).toMatch(
        /^(logs:\S+ arn:aws:logs:.*:log-group:\/aws\/sagemaker\/\*|cloudwatch:PutMetricData \*)/,
      );
  });

  it('lets the workflow create transform jobs only under its own name prefix', () => {
    const pairs = allowedPairs(template, 'PropensityWorkflowRole');
    expect(pairs).toContain(
      'sagemaker:CreateTransformJob arn:aws:sagemaker:eu-west-1:111122223333:transform-job/cdp-ps-*',
    );
    expect(pairs.filter((p) => p.startsWith('iam:PassRole'))).toEqual([
      expect.stringMatching(/ PropensitySageMakerRole$/),
    ]);
  });

  it('drops the run tables with Glue BatchDeleteTable, allowed on the propensity database and its run tables only', () => {
    const drop = states['Drop run tables'];
    expect(drop.Resource).toMatch(/:states:::aws-sdk:glue:batchDeleteTable$/);
    expect(drop.Parameters).toEqual({
      'DatabaseName.$': '$.plan.cleanup.database',
      'TablesToDelete.$': '$.plan.cleanup.tables',
    });
    const pairs = allowedPairs(template, 'PropensityWorkflowRole');
    // (The CDK Athena task grants its own Glue actions on the trusted database: not the clean-up's.)
    expect(pairs.filter((p) => p.startsWith('glue:BatchDeleteTable') && !/CatalogDatabase/.test(p))).toEqual([
      'glue:BatchDeleteTable arn:aws:glue:eu-west-1:111122223333:catalog',
      'glue:BatchDeleteTable arn:aws:glue:eu-west-1:111122223333:catalog',
      'glue:BatchDeleteTable arn:aws:glue:eu-west-1:111122223333:database/cdp_propensity',
      'glue:BatchDeleteTable arn:aws:glue:eu-west-1:111122223333:table/cdp_propensity/propensity_*',
    ]);
    // Published, refused and failed runs all pass through the clean-up.
    for (const pass of ['Run published', 'Run refused', 'Run failed']) {
      expect(states[pass].Next).toBe('Tables to drop?');
    }
  });

  it('expires propensity/ and the Athena results after the configured days, and keeps scores/', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    const trusted = Object.entries(buckets).find(([id]) => id.startsWith('DataLakeTrusted'))![1];
    const rules = trusted.Properties.LifecycleConfiguration.Rules as {
      Id: string;
      Prefix?: string;
      ExpirationInDays?: number;
    }[];
    expect(rules.filter((r) => r.Id.startsWith('expire-propensity'))).toEqual([
      expect.objectContaining({ Prefix: 'propensity/', ExpirationInDays: 3, Status: 'Enabled' }),
      expect.objectContaining({
        Prefix: 'athena-results/propensity/',
        ExpirationInDays: 3,
        Status: 'Enabled',
      }),
    ]);
    expect(rules.filter((r) => r.ExpirationInDays !== undefined && !r.Prefix)).toEqual([]);
    expect(rules.filter((r) => r.Prefix?.startsWith('scores'))).toEqual([]);
  });

  it('lets the publish function read the model artifacts under propensity/ but write only scores/ and segments/', () => {
    const pairs = allowedPairs(template, 'PropensityPublish');
    expect(pairs).toContain('s3:GetObject DataLakeTrusted/propensity/*');
    expect(pairs.filter((p) => p.startsWith('s3:PutObject'))).toEqual([
      's3:PutObject DataLakeTrusted/scores/*',
      's3:PutObject DataLakeTrusted/segments/propensity-*',
    ]);
  });

  it('schedules weekly runs with EventBridge Scheduler when asked', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 ? * MON *)',
      State: Match.absent(),
    });
  });

  it('starts a debounced run on ingested purchases only, not on a re-delivered file', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['cdp.audiences'],
        'detail-type': ['Dataset Ingested'],
        detail: { dataset: ['web/orders', 'store/sales'], alreadyIngested: [false] },
      },
    });
  });
});
