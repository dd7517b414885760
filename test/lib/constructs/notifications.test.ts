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

  it('lets CloudWatch publish to the topic on behalf of this stack’s alarms only, past the SSL-only Deny', () => {
    // Prepare
    const { template } = buildApp();
    const ourAlarms = Match.objectLike({
      StringEquals: { 'aws:SourceAccount': '111122223333' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:test-audiences-*' },
    });

    // Act
    const topicPolicies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    const statements = topicPolicies.flatMap((p) => p.Properties.PolicyDocument.Statement);

    // Assess
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: expect.stringMatching(/^NotificationsTopic/) },
      }),
    );
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: ourAlarms }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: ourAlarms,
          }),
        ]),
      },
    });
  });

  it('names every alarm under the stack prefix and points its only action at the topic', () => {
    // Prepare
    const { template } = buildApp({ audienceDestination: 'pinpoint', pinpointApplicationId: 'a'.repeat(32) });

    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

    // Assess
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmName).toMatch(/^test-audiences-/);
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^NotificationsTopic/) }]);
    }
  });

  it('lets EventBridge dead-letter into the encrypted queue only from the stack’s own rules', () => {
    // Prepare
    const { template } = buildApp();

    // Act
    const queuePolicy = Object.values(template.findResources('AWS::SQS::QueuePolicy'))[0]!;
    const allows = queuePolicy.Properties.PolicyDocument.Statement.filter(
      (s: { Effect: string }) => s.Effect === 'Allow',
    );
    const rules = Object.keys(template.findResources('AWS::Events::Rule'));

    // Assess
    expect(allows.map((s: { Condition: unknown }) => s.Condition)).toEqual(
      expect.arrayContaining(
        rules.map((rule) => ({ ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } })),
      ),
    );
    for (const allow of allows) expect(allow.Principal).toEqual({ Service: 'events.amazonaws.com' });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });
});
