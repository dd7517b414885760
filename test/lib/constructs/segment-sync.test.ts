import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../synth';

describe('SegmentSync', () => {
  it('lets only the push function read the Segment write key', () => {
    const { template } = buildApp({ segmentWriteKeySecretName: 'acme/segment' });

    // The privacy Lambda reads its own salt secret; only the push function reads the write key.
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter(
      (policy) =>
        JSON.stringify(policy.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue') &&
        JSON.stringify(policy.Properties.PolicyDocument).includes('acme/segment'),
    );
    expect(readers).toHaveLength(1);
    expect(readers[0]!.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^SegmentSyncPushRole/) }]);
    expect(JSON.stringify(readers[0]!.Properties.PolicyDocument)).toContain(':secret:acme/segment-??????');
  });

  it('passes the secret name, never a value, and the region to the function', () => {
    const { template } = buildApp({ segmentWriteKeySecretName: 'acme/segment', segmentRegion: 'eu' });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SEGMENT_WRITE_KEY_SECRET_NAME: 'acme/segment',
          SEGMENT_REGION: 'eu',
          KEPT_BATCHES_PREFIX: '',
        }),
      },
    });
  });

  it('passes a configured Segment endpoint to the function, and none by default', () => {
    // Prepare, Act
    const custom = buildApp({ segmentEndpoint: 'https://segment.example.com' }).template;
    const plain = buildApp().template;

    // Assess
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SEGMENT_ENDPOINT: 'https://segment.example.com' }) },
    });
    plain.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ SEGMENT_ENDPOINT: Match.absent(), SEGMENT_REGION: 'us' }),
      },
    });
  });

  it('reserves the configured concurrency for the push function, so runs cannot stampede Segment', () => {
    // Prepare, Act
    const byDefault = buildApp().template;
    const configured = buildApp({ segmentReservedConcurrency: '3' }).template;

    // Assess
    byDefault.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SEGMENT_REGION: 'us' }) },
      ReservedConcurrentExecutions: 2,
    });
    configured.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SEGMENT_REGION: 'us' }) },
      ReservedConcurrentExecutions: 3,
    });
  });

  it('reads only score files and keeps failed batches only under failed/', () => {
    const { template } = buildApp();

    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^SegmentSyncPushRole') }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement) as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const writes = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0]!.Resource)).toContain('/failed/*');
    const reads = statements
      .filter((s) => [s.Action].flat().includes('s3:GetObject'))
      .map((s) => JSON.stringify(s.Resource));
    expect(reads.every((r) => r.includes('/scores/*') || r.includes('/failed/*'))).toBe(true);
  });

  it('starts the sync on Propensity Scores Ready with a dead-letter queue', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['Propensity Scores Ready'] },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^SegmentSyncWorkflow') },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('alarms on failed sync executions into the notifications topic', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'A Segment sync workflow failed',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^NotificationsTopic') }],
    });
  });
});
