import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../../lambdas/core/training/stack-outputs';
import { buildApp, unacknowledgedNagFindings } from '../synth';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
  Principal?: unknown;
};

let built: ReturnType<typeof buildApp>;
/** Every statement of the policies attached to a role whose logical ID starts with `rolePrefix`. */
function statementsOf(rolePrefix: string, app = built): Statement[] {
  const policies = app.template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref.startsWith(rolePrefix)),
    )
    .flatMap((policy) => app.stack.resolve(policy.Properties.PolicyDocument.Statement) as Statement[]);
}
const actions = (s: Statement) => [s.Action].flat();
const resources = (s: Statement) =>
  [s.Resource].flat().map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));

beforeAll(() => {
  built = buildApp();
});

describe('PersonalizeTraining', () => {
  it('lets the state machine call only the Personalize actions it uses, each on an ARN type, never personalize:* or *', () => {
    const personalize = statementsOf('TrainingWorkflowRole').filter((s) =>
      actions(s).some((a) => a.startsWith('personalize:')),
    );

    expect(personalize.length).toBeGreaterThan(0);
    expect(personalize.flatMap(actions).filter((a) => a.includes('*'))).toEqual([]);
    for (const statement of personalize) {
      expect(resources(statement)).not.toContain('*');
      for (const resource of resources(statement)) expect(resource).toMatch(/:personalize:/);
    }
    expect(personalize.flatMap(actions)).toEqual(
      expect.arrayContaining([
        'personalize:CreateDatasetGroup',
        'personalize:CreateDatasetImportJob',
        'personalize:DescribeSolutionVersion',
        'personalize:GetSolutionMetrics',
        'personalize:CreateBatchSegmentJob',
      ]),
    );
  });

  it('passes the Personalize role to Personalize only', () => {
    const passRole = statementsOf('TrainingWorkflowRole').filter((s) => actions(s).includes('iam:PassRole'));

    expect(passRole).toHaveLength(1);
    expect(passRole[0]!.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'personalize.amazonaws.com' },
    });
  });

  it('lets Personalize’s role read the imports and queries and write only the segments, in the trusted zone', () => {
    const statements = statementsOf('TrainingPersonalizeRole');
    const s3 = statements.filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    const writes = s3.filter((s) => actions(s).includes('s3:PutObject'));

    expect(s3.flatMap(resources).every((r) => r.includes('DataLakeTrusted'))).toBe(true);
    expect(writes.flatMap(resources)).toEqual([expect.stringMatching(/\/segments\/\*/)]);
    expect(s3.flatMap(resources).join(' ')).toMatch(/\/personalize\/\*.*\/segment-queries\/\*/);
    const role = Object.values(built.template.findResources('AWS::IAM::Role')).find((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('personalize.amazonaws.com'),
    );
    expect(role?.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '111122223333' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:personalize:eu-west-1:111122223333:*' },
    });
  });

  it('lets the personalize.amazonaws.com principal read the training imports through the bucket policy, for this account only', () => {
    const policies = built.template.findResources('AWS::S3::BucketPolicy');
    const statements = Object.values(policies).flatMap(
      (p) => built.stack.resolve(p.Properties.PolicyDocument.Statement) as Statement[],
    );
    const read = statements.find(
      (s) =>
        JSON.stringify(s.Principal).includes('personalize.amazonaws.com') &&
        actions(s).includes('s3:GetObject'),
    );

    expect(resources(read!).join(' ')).toMatch(/\/personalize\/\*/);
    expect(JSON.stringify(read!.Condition)).toContain('aws:SourceAccount');
    expect(JSON.stringify(read!.Condition)).toContain('aws:SourceArn');
  });

  it('exports the landing bucket and the training workflow as the stack outputs cdp train reads', () => {
    built.template.hasOutput(STACK_OUTPUTS.landingBucket, {
      Value: { Ref: Match.stringLikeRegexp('^DataLakeLanding') },
    });
    built.template.hasOutput(STACK_OUTPUTS.trainingStateMachine, {
      Value: { Ref: Match.stringLikeRegexp('^TrainingWorkflow') },
    });
  });

  it('starts only on training.json under personalize/<group>/ in the landing bucket', () => {
    const rules = built.template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'] } },
    });
    const training = Object.entries(rules).filter(([id]) => id.startsWith('Training'));

    expect(training).toHaveLength(1);
    expect(training[0]![1].Properties.EventPattern.detail.object).toEqual({
      key: [{ wildcard: 'personalize/*/training.json' }],
    });
    expect(Stack.of(built.stack).resolve(training[0]![1].Properties.EventPattern.detail.bucket.name)).toEqual(
      [{ Ref: expect.stringMatching(/^DataLakeLanding/) }],
    );
  });
});

describe('PersonalizeTraining with the real-time relay on', () => {
  let withRelay: ReturnType<typeof buildApp>;
  beforeAll(() => {
    withRelay = buildApp({ segmentPartnerEventSource: 'aws.partner/segment.com/AbC123xyz' });
  });

  it('lets the state machine write only the tracking ID parameter, and manage event trackers by ARN type', () => {
    const statements = statementsOf('TrainingWorkflowRole', withRelay);
    const ssm = statements.filter((s) => actions(s).some((a) => a.startsWith('ssm:')));
    const trackers = statements.filter((s) => actions(s).some((a) => a.includes('EventTracker')));

    expect(ssm.flatMap(actions)).toEqual(['ssm:PutParameter']);
    expect(ssm.flatMap(resources)).toEqual([
      'arn:aws:ssm:eu-west-1:111122223333:parameter/cdp-audiences/personalize/event-tracker/tracking-id',
    ]);
    expect(trackers.flatMap(actions).sort()).toEqual([
      'personalize:CreateEventTracker',
      'personalize:DescribeEventTracker',
      'personalize:ListEventTrackers',
    ]);
    expect(trackers.flatMap(resources).join(' ')).toContain(':event-tracker/*');
    expect(trackers.flatMap(resources)).not.toContain('*');
  });

  it('grants no SSM or event tracker action when the relay is off', () => {
    const statements = statementsOf('TrainingWorkflowRole');

    expect(
      statements.flatMap(actions).filter((a) => a.startsWith('ssm:') || a.includes('EventTracker')),
    ).toEqual([]);
  });

  it('finds no unacknowledged cdk-nag violation', () => {
    expect(unacknowledgedNagFindings(withRelay.app)).toEqual([]);
  });
});
