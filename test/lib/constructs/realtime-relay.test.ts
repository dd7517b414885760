import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp, unacknowledgedNagFindings } from '../synth';

const SOURCE = 'aws.partner/segment.com/AbC123xyz';
const withRelay = (more: Record<string, unknown> = {}) =>
  buildApp({ segmentPartnerEventSource: SOURCE, ...more });

describe('RealtimeRelay', () => {
  it('creates nothing real-time when segmentPartnerEventSource is unset', () => {
    const { template, stack } = buildApp();

    expect(stack.realtimeRelay).toBeUndefined();
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(JSON.stringify(template.toJSON())).not.toContain('personalize:PutEvents');
  });

  it("creates the partner event bus for Segment's source", () => {
    const { template } = withRelay();

    template.hasResourceProperties('AWS::Events::EventBus', { Name: SOURCE, EventSourceName: SOURCE });
  });

  it('matches only track events with the configured names', () => {
    const { template } = withRelay({
      realtimeEventTypes: '{"Video Watched":"watch","Order Completed":"Purchase"}',
    });

    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^RealtimeRelayPartnerBus') },
      EventPattern: {
        source: [SOURCE],
        'detail-type': ['track'],
        detail: { event: ['Video Watched', 'Order Completed'] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RealtimeRelayEvents'), 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RealtimeRelayDeadLetters'), 'Arn'] },
          },
        }),
      ],
    });
  });

  it('sends to a KMS-encrypted queue with a dead-letter queue, consumed with partial batch failures', () => {
    const { template } = withRelay();

    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RealtimeRelayKey'), 'Arn'] },
      VisibilityTimeout: 360,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RealtimeRelayDeadLetters'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 100,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('lets only EventBridge in this account send to the queue, over TLS', () => {
    const { template } = withRelay();

    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^RealtimeRelayEvents') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
          }),
        ]),
      },
    });
  });

  it('sizes the reserved concurrency under the tracker quota, and refuses more than 10', () => {
    const { template } = withRelay({ realtimeReservedConcurrency: '10' });

    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Personalize event tracker'),
      ReservedConcurrentExecutions: 10,
      Environment: { Variables: Match.objectLike({ MIN_CALL_INTERVAL_MS: '10' }) },
    });
    expect(() => withRelay({ realtimeReservedConcurrency: '11' })).toThrow(/at most 10/);
  });

  it('grants PutEvents alone, in this region, and reads the tracking ID from its SSM parameter only', () => {
    const { template } = withRelay({ namePrefix: 'acme' });

    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RealtimeRelayRelayRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['ssm:GetParameter']),
            Resource:
              'arn:aws:ssm:eu-west-1:111122223333:parameter/acme-audiences/personalize/event-tracker/tracking-id',
          }),
          {
            Sid: 'PutEventsOnTheTracker',
            Effect: 'Allow',
            Action: 'personalize:PutEvents',
            Resource: '*',
            Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TRACKING_ID_PARAMETER: '/acme-audiences/personalize/event-tracker/tracking-id',
        }),
      },
    });
  });

  it('counts events that can never be sent, and alarms on them and on the dead-letter queue', () => {
    const { template } = withRelay();

    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.unsendable >= 0 }',
      MetricTransformations: [
        Match.objectLike({ MetricName: 'RealtimeUnsendableEvents', MetricValue: '$.unsendable' }),
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RealtimeUnsendableEvents',
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^NotificationsTopic') }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('RealtimeDeadLettersAlarm$'),
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RealtimeRelayDeadLetters'), 'QueueName'] },
        },
      ],
    });
  });

  it('refuses a partner event source that is not Segment’s', () => {
    expect(() => withRelay({ segmentPartnerEventSource: 'aws.partner/other.com/x' })).toThrow(
      /segmentPartnerEventSource/,
    );
  });

  it('finds no unacknowledged cdk-nag violation', () => {
    const { app } = withRelay();

    expect(unacknowledgedNagFindings(app)).toEqual([]);
  });
});
