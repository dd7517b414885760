import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../synth';
import { definitionOf } from '../../workflows/definition';
import { allowedPairs } from './iam-statements';

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

  it('lets the build function read segment output, the suppression list and its salt, and write audience files, nothing else', () => {
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
      's3:ListBucket',
      's3:PutObject',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const resourcesOf = (action: string) =>
      JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
    expect(resourcesOf('s3:GetObject')).toContain('/segments/*');
    expect(resourcesOf('s3:GetObject')).toContain('/audiences/*');
    expect(resourcesOf('s3:PutObject')).toContain('/audiences/*');
    expect(resourcesOf('s3:PutObject')).not.toContain('/segments/*');
    expect(resourcesOf('s3:GetObject')).toContain('/privacy/suppressed/*');
    expect(resourcesOf('secretsmanager:GetSecretValue')).toContain('PrivacySalt');
    expect(statements.filter((s) => s.Action === 's3:ListBucket').map((s) => s.Condition)).toEqual([
      { StringLike: { 's3:prefix': ['segments/*'] } },
      { StringLike: { 's3:prefix': ['privacy/suppressed/*'] } },
    ]);
  });

  it('gives Pinpoint a role that reads only the audience files and is assumable only by this project', () => {
    const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'd'.repeat(32) });

    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'pinpoint.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111122223333' },
              ArnLike: {
                'aws:SourceArn': `arn:aws:mobiletargeting:eu-west-1:111122223333:apps/${'d'.repeat(32)}*`,
              },
            },
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

  it('never creates a Pinpoint project, since none can be created after the end of support', () => {
    // Prepare, Act
    const pinpointApp = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'c'.repeat(32) });
    const s3App = buildApp({ audienceDestination: 's3' });

    // Assess
    expect(pinpointApp.template.findResources('AWS::Pinpoint::App')).toEqual({});
    expect(s3App.template.findResources('AWS::Pinpoint::App')).toEqual({});
  });

  it('refuses the pinpoint destination without an existing project, naming the alternatives', () => {
    expect(() => buildApp({ audienceDestination: 'pinpoint' })).toThrow(
      /pinpointApplicationId" is required with audienceDestination=pinpoint: Pinpoint ended .* 2026-10-30.*audienceDestination=s3/,
    );
  });

  it('warns at synth that Pinpoint reached end of support and names the s3 and connect-customer-profiles destinations', () => {
    // Prepare
    const { stack } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'c'.repeat(32) });

    // Act
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('end'));

    // Assess
    expect(warnings.map((w) => w.entry.data)).toEqual([
      expect.stringMatching(/2026-10-30.*audienceDestination=s3.*connect-customer-profiles/),
    ]);
    expect(
      Annotations.fromStack(buildApp().stack).findWarning('*', Match.stringLikeRegexp('Pinpoint')),
    ).toEqual([]);
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

  it('lets the workflow read the map item files and write the map results, under those prefixes only', () => {
    // Prepare
    const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'e'.repeat(32) });

    // Act
    const s3Pairs = allowedPairs(template, 'ActivationWorkflowRole').filter((p) => p.startsWith('s3:'));

    // Assess
    expect(s3Pairs.sort()).toEqual([
      's3:AbortMultipartUpload DataLakeTrusted/audiences/_map-results/*',
      's3:GetObject DataLakeTrusted/audiences/_map-items/*',
      's3:GetObject DataLakeTrusted/audiences/_map-results/*',
      's3:ListMultipartUploadParts DataLakeTrusted/audiences/_map-results/*',
      's3:PutObject DataLakeTrusted/audiences/_map-results/*',
    ]);
    expect(
      allowedPairs(template, 'ActivationOutcomeRole')
        .filter((p) => p.startsWith('s3:'))
        .sort(),
    ).toEqual([
      's3:GetObject DataLakeTrusted/audiences/_map-items/*',
      's3:GetObject DataLakeTrusted/audiences/_map-results/*',
    ]);
  });

  it("reads both maps' items from S3 and writes their results to S3, so neither list is in the state", () => {
    // Prepare
    const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'e'.repeat(32) });

    // Act
    const { States: states } = definitionOf(template, 'ActivationWorkflow') as {
      States: Record<string, any>;
    };

    // Assess
    expect(states['Build each part'].ItemReader.Parameters['Key.$']).toBe('$.build.parts.key');
    expect(states['Import each audience'].ItemReader.Parameters['Key.$']).toBe('$.build.audienceList.key');
    for (const map of [states['Build each part'], states['Import each audience']]) {
      expect(map.ItemReader.Resource).toMatch(/:states:::s3:getObject$/);
      expect(map.ItemReader.ReaderConfig).toEqual({ InputType: 'JSON' });
      expect(map.ResultWriter.Resource).toMatch(/:states:::s3:putObject$/);
      expect(map.ResultWriter.Parameters.Prefix).toBe('audiences/_map-results');
      expect(map.ItemsPath).toBeUndefined();
    }
  });
});
