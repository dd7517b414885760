import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EVENTS, NOTIFIED_EVENTS } from '../../lambdas/core/events/catalog';
import { CdpFunction } from './cdp-function';
import type { EventBus } from './event-bus';

/** Props of the notifications. */
export interface NotificationsProps {
  /** The bus whose "… Succeeded"/"… Failed" events become emails. */
  readonly eventBus: EventBus;
  /** Who is emailed (may be a CloudFormation parameter token). */
  readonly email: string;
  /** What happens to the key and logs on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One encrypted SNS topic with the configured email subscribed. A small Lambda turns bus
 * events into readable emails; CloudWatch alarms (failed executions, DLQ depth) feed the same topic.
 */
export class Notifications extends Construct {
  /** The topic every email goes through. */
  readonly topic: sns.Topic;
  /** Events the formatter could not handle after retries. */
  readonly deadLetterQueue: sqs.Queue;
  /** Every alarm's name starts with it; the topic lets only these alarms publish. */
  readonly alarmNamePrefix: string;
  private readonly alarmAction: actions.SnsAction;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);

    const key = new kms.Key(this, 'Key', {
      description: 'cdp-audiences notifications topic and queue',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    const stack = Stack.of(this);
    // Every alarm of the stack is named `<stack>-…`, so one ARN pattern names them all.
    this.alarmNamePrefix = `${stack.stackName}-`;
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: `${this.alarmNamePrefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    // CloudWatch alarms publish to the encrypted topic with this key, on behalf of our alarms only.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'cdp-audiences',
      masterKey: key,
      enforceSSL: true,
    });
    // The topic's policy holds only the SSL-only Deny otherwise, and a service principal is not
    // covered by the account's IAM policies: without this Allow every alarm action is refused.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowOurAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    this.alarmAction = new actions.SnsAction(this.topic);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // EventBridge sends to the encrypted dead-letter queue with this key. The queue policy CDK
    // writes names each rule (aws:SourceArn); the key grant cannot: EventBridge's KMS requests
    // carry no aws:SourceAccount/aws:SourceArn, so such a condition would drop every event.
    key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the notification rule target; its depth is alarmed.',
    });

    const formatter = new CdpFunction(this, 'Formatter', {
      handler: 'notify',
      description: 'Turns cdp-audiences events into readable emails',
      environment: { TOPIC_ARN: this.topic.topicArn },
      // The rule's dead-letter queue takes events EventBridge could not hand over; this one takes
      // those the function itself failed on (SNS or KMS refusing), so no outcome email is lost.
      deadLetterQueue: this.deadLetterQueue,
      logRemovalPolicy: props.removalPolicy,
    });
    // Publishing to an encrypted topic needs exactly these two key actions (no wildcard).
    formatter.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    key.grant(formatter, 'kms:Decrypt', 'kms:GenerateDataKey');

    const target = new targets.LambdaFunction(formatter, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 4,
      maxEventAge: Duration.hours(6),
    });
    props.eventBus.addRule('OutcomeRule', NOTIFIED_EVENTS).addTarget(target);
    props.eventBus
      .addRule('SegmentJobFailedRule', [EVENTS.batchSegmentJobStateChange], { status: ['FAILED'] })
      .addTarget(target);

    this.alarmOnQueueDepth(
      'DeadLettersAlarm',
      this.deadLetterQueue,
      'Notification events could not be emailed',
    );
    this.alarm(
      'FormatterErrorsAlarm',
      formatter.metricErrors({ period: Duration.minutes(5) }),
      'The notification formatter failed',
    );
  }

  /** Emails when a workflow execution fails, times out or is aborted. */
  alarmOnFailedExecutions(id: string, stateMachine: sfn.StateMachine, description: string): cloudwatch.Alarm {
    const failed = new cloudwatch.MathExpression({
      // A period without executions has no data point; FILL keeps the sum defined.
      expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
      usingMetrics: {
        failed: stateMachine.metricFailed(),
        timedOut: stateMachine.metricTimedOut(),
        aborted: stateMachine.metricAborted(),
      },
      period: Duration.minutes(5),
    });
    return this.alarm(id, failed, description);
  }

  /** Emails when messages wait in a dead-letter queue. */
  alarmOnQueueDepth(id: string, queue: sqs.IQueue, description: string): cloudwatch.Alarm {
    return this.alarm(
      id,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      description,
    );
  }

  private alarm(id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.alarmNamePrefix}${id}`,
      metric,
      alarmDescription: description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.alarmAction);
    return alarm;
  }
}
