import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { TRACK_DETAIL_TYPE } from '../../lambdas/core/realtime/segment-envelope';
import { RELAY_BATCH_SIZE } from '../../lambdas/core/realtime/relay';
import { acknowledgeWildcard } from '../nag';
import { CdpFunction } from './cdp-function';
import { lambdaQueue } from './lambda-queue';
import type { Notifications } from './notifications';

/**
 * The SSM parameter holding the event tracker's tracking ID: the contract with the training
 * workflow, which creates (or reuses) the tracker for the dataset group and writes its ID here.
 */
export function trackingIdParameterName(namePrefix: string): string {
  return `/${namePrefix}-audiences/personalize/event-tracker/tracking-id`;
}

/** Each relay instance leaves at least this long between two PutEvents calls: ≤ 100 calls/s. */
export const MIN_CALL_INTERVAL_MS = 10;
export const METRIC_NAMESPACE = 'cdp-audiences';
export const UNSENDABLE_METRIC = 'RealtimeUnsendableEvents';

/** Props of the real-time relay. */
export interface RealtimeRelayProps {
  /** Resource name prefix (the tracking ID parameter's name derives from it). */
  readonly namePrefix: string;
  /** The partner event source Segment created, `aws.partner/segment.com/<source ID>`. */
  readonly partnerEventSource: string;
  /** Segment event name → Personalize event type; the rule matches these names only. */
  readonly eventTypes: Readonly<Record<string, string>>;
  /** Where the item ID is in a Segment message. */
  readonly itemIdPath: string;
  /** Relay instances that may run at once (each ≤ 100 PutEvents calls/s). */
  readonly reservedConcurrency: number;
  /** Alarms email through its topic. */
  readonly notifications: Notifications;
  /** What happens to the key and logs on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Live Segment events to Personalize: the partner event bus for Segment's source, a rule for the
 * mapped `track` events, an encrypted queue with a dead-letter queue, and the relay function that
 * sends them with PutEvents. Events that can never be sent land in the dead-letter queue with their
 * reason and are counted in a metric with an alarm. No public endpoint: Segment puts events on the
 * partner bus, inside the account.
 */
export class RealtimeRelay extends Construct {
  /** The partner event bus of Segment's source. */
  readonly bus: events.EventBus;
  /** The rule sending mapped track events to the queue. */
  readonly rule: events.Rule;
  /** Segment events waiting for the relay. */
  readonly queue: sqs.Queue;
  /** Events that can never be sent (with a `reason` attribute), and those that kept failing. */
  readonly deadLetterQueue: sqs.Queue;
  /** The relay function. */
  readonly relayFunction: CdpFunction;

  constructor(scope: Construct, id: string, props: RealtimeRelayProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // The bus's name is the partner event source's: EventBridge links them by name.
    this.bus = new events.EventBus(this, 'PartnerBus', { eventSourceName: props.partnerEventSource });
    this.rule = new events.Rule(this, 'TrackRule', {
      eventBus: this.bus,
      description: 'Segment track events the relay maps to Personalize event types',
      eventPattern: {
        source: [props.partnerEventSource],
        detailType: [TRACK_DETAIL_TYPE],
        detail: { event: Object.keys(props.eventTypes) },
      },
    });

    const key = new kms.Key(this, 'Key', {
      description: 'cdp-audiences real-time relay queues',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    const timeout = Duration.seconds(60);
    // A message that kept failing (tracker missing, throttled for minutes) ends in the dead letters too.
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = lambdaQueue(
      this,
      'Events',
      'DeadLetters',
      {
        key,
        functionTimeout: timeout,
        maxReceiveCount: 5,
        deadLetterReason:
          'This queue is the dead-letter queue of the relay queue; its depth and the unsendable-events metric are alarmed.',
      },
    ));
    // The queue policy CDK writes names this rule (aws:SourceArn); the key grant cannot: EventBridge's
    // KMS requests carry no aws:SourceAccount/aws:SourceArn, so such a condition would drop every event.
    key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.rule.addTarget(
      new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8 }),
    );

    const trackingIdParameter = ssm.StringParameter.fromStringParameterName(
      this,
      'TrackingId',
      trackingIdParameterName(props.namePrefix),
    );
    this.relayFunction = new CdpFunction(this, 'Relay', {
      handler: 'relay-events',
      description: 'Relays live Segment track events to the Personalize event tracker',
      timeout,
      environment: {
        EVENT_TYPES: JSON.stringify(props.eventTypes),
        ITEM_ID_PATH: props.itemIdPath,
        EVENT_VALUE: 'true',
        TRACKING_ID_PARAMETER: trackingIdParameter.parameterName,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        MIN_CALL_INTERVAL_MS: String(MIN_CALL_INTERVAL_MS),
      },
      // With each instance at ≤ 100 calls/s, this keeps the relay under the tracker's 1,000/s.
      reservedConcurrentExecutions: props.reservedConcurrency,
      logRemovalPolicy: props.removalPolicy,
    });
    const role = this.relayFunction.role!;
    trackingIdParameter.grantRead(role);
    this.queue.grantConsumeMessages(role);
    // Sending to a KMS-encrypted queue needs exactly these key actions (no ReEncrypt*, no wildcard).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PutEventsOnTheTracker',
        actions: ['personalize:PutEvents'],
        // Personalize's PutEvents page: a Lambda's role needs this action on Resource "*"
        // (https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_PutEvents.html). The region
        // condition keeps it to this stack's region; the tracking ID from SSM names the tracker.
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
      }),
    );
    acknowledgeWildcard(
      role,
      'Resource::*',
      'Personalize documents that a Lambda calling PutEvents needs personalize:PutEvents on Resource "*"; the statement is limited to this action and region.',
    );
    this.relayFunction.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: RELAY_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(2),
        reportBatchItemFailures: true,
        maxConcurrency: props.reservedConcurrency,
      }),
    );

    // --- events that can never be sent: a metric from the function's count, and alarms ----------
    const unsendable = new logs.MetricFilter(this, 'UnsendableFilter', {
      logGroup: this.relayFunction.logGroup,
      filterPattern: logs.FilterPattern.numberValue('$.unsendable', '>=', 0),
      metricNamespace: METRIC_NAMESPACE,
      metricName: UNSENDABLE_METRIC,
      metricValue: '$.unsendable',
      defaultValue: 0,
    });
    const alarmAction = new actions.SnsAction(props.notifications.topic);
    const unsendableAlarm = new cloudwatch.Alarm(this, 'UnsendableAlarm', {
      alarmName: `${props.notifications.alarmNamePrefix}RealtimeUnsendableEvents`,
      alarmDescription:
        'Live Segment events could not be sent to Personalize (unknown name, no item ID, over a limit); they are in the relay dead-letter queue with their reason',
      metric: unsendable.metric({ statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    unsendableAlarm.addAlarmAction(alarmAction);
    props.notifications.alarmOnQueueDepth(
      'RealtimeDeadLettersAlarm',
      this.deadLetterQueue,
      'Live Segment events wait in the relay dead-letter queue',
    );
  }
}
