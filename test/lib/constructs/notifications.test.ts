import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE, NOTIFIED_EVENTS } from '../../../lambdas/core/events/catalog';
import { buildApp } from '../synth';

describe('Notifications', () => {
  it('subscribes the configured email to the topic', () => {
    const { template } = buildApp({ email: 'growth@example.com' });

    template.hasParameter('NotificationEmail', {
      Default: 'growth@example.com',
      AllowedPattern: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: { Ref: 'NotificationEmail' },
    });
  });

  it('lets synth run without an email but makes deploy ask for one', () => {
    const { template } = buildApp({ email: undefined });

    const parameter = template.findParameters('NotificationEmail').NotificationEmail;
    expect(parameter.Default).toBeUndefined();
    expect(parameter.Description).toMatch('-c email=');
  });

  it('encrypts the topic with a rotating customer-managed key and refuses plain HTTP', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationsKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('routes every succeeded and failed outcome on the bus to the formatter', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': NOTIFIED_EVENTS.map((e) => e.detailType) },
      Targets: [
        Match.objectLike({
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationsDeadLetters'), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 4 },
        }),
      ],
    });
  });

  it('emails a failed Personalize segment job', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['Batch Segment Job State Change'], detail: { status: ['FAILED'] } },
    });
  });

  it('alarms on the dead-letter queue into the same topic', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^NotificationsTopic') }],
    });
  });

  it('lets the formatter publish to its topic and dead-letter what it fails on, nothing else', () => {
    const { template } = buildApp();

    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^NotificationsFormatterRole') }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(
      statements
        .map((s) => s.Action)
        .flat()
        .sort(),
    ).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sns:Publish',
      'sqs:SendMessage',
    ]);
  });

  it('sends events the formatter failed on to the dead-letter queue', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: {
        TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NotificationsDeadLetters'), 'Arn'] },
      },
    });
  });

  it('runs the formatter on Node.js 24 on arm64', () => {
    const { template } = buildApp();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({ TOPIC_ARN: { Ref: Match.stringLikeRegexp('^NotificationsTopic') } }),
      },
    });
  });
});
