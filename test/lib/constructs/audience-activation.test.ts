import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../synth';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

function statementsOf(template: ReturnType<typeof buildApp>['template'], rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }] },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat()).sort();

describe('AudienceActivation', () => {
  it('starts the workflow only for completed segment jobs on the custom bus, with a dead-letter queue', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^EventBus') },
      EventPattern: { 'detail-type': ['Batch Segment Job State Change'], detail: { status: ['ACTIVE'] } },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^ActivationWorkflow') },
          DeadLetterConfig: Match.anyValue(),
          RetryPolicy: { MaximumRetryAttempts: 4 },
        }),
      ],
    });
  });

  it('lets the build function read segment output and write audience files, nothing else', () => {
    const { template } = buildApp();

    const statements = statementsOf(template, 'ActivationBuildRole');
    expect(actionsOf(statements)).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const resourcesOf = (action: string) =>
      JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
    expect(resourcesOf('s3:GetObject')).toContain('/segments/*');
    expect(resourcesOf('s3:GetObject')).toContain('/audiences/*');
    expect(resourcesOf('s3:PutObject')).toContain('/audiences/*');
    expect(resourcesOf('s3:PutObject')).not.toContain('/segments/*');
    expect(statements.find((s) => s.Action === 's3:ListBucket')?.Condition).toEqual({
      StringLike: { 's3:prefix': ['segments/*'] },
    });
  });

  it('gives Pinpoint a role that reads only the audience files and is assumable only from this account', () => {
    const { template } = buildApp({ audienceDestination: 'pinpoint' });

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'pinpoint.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
          }),
        ],
      },
    });
    const statements = statementsOf(template, 'ActivationPinpointImportRole');
    expect(actionsOf(statements)).toEqual(['kms:Decrypt', 's3:GetObject', 's3:ListBucket']);
    expect(JSON.stringify(statements.find((s) => s.Action === 's3:GetObject')?.Resource)).toContain(
      '/audiences/*',
    );
  });

  it('lets the workflow start and read Pinpoint import jobs of its project and pass only the import role to Pinpoint', () => {
    const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'b'.repeat(32) });

    const statements = statementsOf(template, 'ActivationWorkflowRole');
    const create = statements.find((s) => s.Action === 'mobiletargeting:CreateImportJob');
    expect(JSON.stringify(create?.Resource)).toContain(`apps/${'b'.repeat(32)}`);
    const passRole = statements.find((s) => s.Action === 'iam:PassRole');
    expect(passRole?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'pinpoint.amazonaws.com' },
    });
    expect(passRole?.Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^ActivationPinpointImportRole/), 'Arn'],
    });
  });

  it('creates a Pinpoint project only when the destination is pinpoint and none is given', () => {
    expect(
      Object.keys(buildApp({ audienceDestination: 'pinpoint' }).template.findResources('AWS::Pinpoint::App')),
    ).toHaveLength(1);
    expect(
      buildApp({
        audienceDestination: 'pinpoint',
        pinpointApplicationId: 'c'.repeat(32),
      }).template.findResources('AWS::Pinpoint::App'),
    ).toEqual({});
    expect(buildApp({ audienceDestination: 's3' }).template.findResources('AWS::Pinpoint::App')).toEqual({});
  });

  it('bounds the workflow, traces it, and alarms when an execution fails', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('TimeoutSeconds');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('activation workflow failed'),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^NotificationsTopic') }],
    });
  });

  it('sizes the build function for a CPU-bound stream: one vCPU, 15 minutes', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1769,
      Timeout: 900,
      Environment: { Variables: Match.objectLike({ AUDIENCES_PREFIX: 'audiences/', HOLDOUT_PERCENT: '10' }) },
    });
  });
});
