import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { IDENTITY_PREFIX, IDENTITY_SOURCES } from '../../lambdas/core/identity/identity-run';
import { CdpFunction } from './cdp-function';
import { catchEvery, CdpWorkflow } from './cdp-workflow';
import type { DataLake } from './data-lake';
import type { EventBus } from './event-bus';
import type { Notifications } from './notifications';

/** Every `Dataset Ingested` within this many minutes starts one identity run, at the window's end. */
export const IDENTITY_WINDOW_MINUTES = 5;

/** Props of the identity resolution. */
export interface IdentityResolutionProps {
  /** Sources are read from, and `trusted/identity/` written to, the trusted bucket. */
  readonly dataLake: DataLake;
  /** `Dataset Ingested` arrives on it; `Identities Resolved` is published on it. */
  readonly eventBus: EventBus;
  /** Dead-letter queue, alarms and emails. */
  readonly notifications: Notifications;
  /** What happens to logs on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * When CRM customers, store sales or web events are ingested, every identity in the trusted zone
 * is resolved again into `trusted/identity/` (identity_map, profiles, review.csv), existing
 * customer IDs kept, and `Identities Resolved` is published with the counts.
 *
 * Runs are debounced and single-flight: the events of one window start one execution (same name),
 * which waits for the window's end; the Lambda runs one invocation at a time (reserved concurrency
 * 1), so two runs never write the identity tables at once, and a later run sees every earlier file.
 */
export class IdentityResolution extends Construct {
  /** The identity workflow. */
  readonly stateMachine: sfn.StateMachine;
  /** Resolves the identities. */
  readonly resolveFunction: CdpFunction;
  /** Starts one run per window. */
  readonly startFunction: CdpFunction;

  constructor(scope: Construct, id: string, props: IdentityResolutionProps) {
    super(scope, id);
    const { dataLake, notifications, eventBus } = props;

    this.resolveFunction = new CdpFunction(this, 'Resolve', {
      handler: 'resolve-identities',
      description: 'Resolves customer identities in the trusted zone into profiles',
      // Identity holds every record (CRM row, receipt, device) in memory: 4 GB and 15 minutes bound
      // one run; `npm run bench:identity` measures time and memory per record count.
      memorySize: 4096,
      timeout: Duration.minutes(15),
      reservedConcurrentExecutions: 1,
      environment: { TRUSTED_BUCKET: dataLake.trusted.bucketName },
      logRemovalPolicy: props.removalPolicy,
    });
    const role = this.resolveFunction.role!;
    for (const source of IDENTITY_SOURCES) {
      dataLake.grantTrustedPrefix(role, `trusted/${source}/`, { list: false, write: false });
    }
    dataLake.grantTrustedPrefix(role, IDENTITY_PREFIX, { list: false, write: true });
    // Lists the source folders, and asks whether last run's identity map exists.
    dataLake.grantListZone('trusted', role);

    const wait = new sfn.Wait(this, 'Wait for the window to close', {
      time: sfn.WaitTime.timestampPath('$.runAfter'),
    });
    const resolve = new tasks.LambdaInvoke(this, 'Resolve identities', {
      lambdaFunction: this.resolveFunction,
      payload: sfn.TaskInput.fromObject({ window: sfn.JsonPath.stringAt('$.name') }),
      payloadResponseOnly: true,
      resultPath: '$.resolved',
      retryOnServiceExceptions: true,
    });
    // Another run holds the one slot: wait for it (at most about two hours) rather than race it.
    resolve.addRetry({
      errors: ['Lambda.TooManyRequestsException'],
      interval: Duration.minutes(1),
      backoffRate: 2,
      maxDelay: Duration.minutes(15),
      maxAttempts: 12,
    });
    const publish = eventBus
      .publishTask(
        this,
        'Publish identities',
        EVENTS.identitiesResolved.detailType,
        sfn.TaskInput.fromJsonPathAt('$.resolved'),
      )
      .next(new sfn.Succeed(this, 'Resolved'));
    const crashed = eventBus
      .publishTask(
        this,
        'Publish identity failure',
        EVENTS.workflowFailed.detailType,
        sfn.TaskInput.fromObject({
          workflow: 'Identity resolution',
          executionArn: sfn.JsonPath.executionId,
          reason: sfn.JsonPath.format(
            'The identity run stopped on {}. The identity tables of the previous run are unchanged; the next ingested file starts a new run.',
            sfn.JsonPath.stringAt('$.failure.Error'),
          ),
        }),
      )
      .next(
        new sfn.Fail(this, 'Identity failed', {
          error: 'IdentityFailed',
          cause: 'See the Workflow Failed event',
        }),
      );
    catchEvery(resolve, crashed, '$.failure');

    this.stateMachine = new CdpWorkflow(this, 'Workflow', {
      name: 'identity',
      definition: wait.next(resolve).next(publish),
      // The window, the wait for another run's slot (≈ 2 h), and the run itself.
      timeout: Duration.hours(4),
      invokes: [this.resolveFunction],
      notifications,
      alarmDescription: 'An identity resolution workflow failed',
      removalPolicy: props.removalPolicy,
    });

    this.startFunction = new CdpFunction(this, 'Start', {
      handler: 'start-identity',
      description: 'Starts one identity run per window of Dataset Ingested events',
      environment: {
        STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        IDENTITY_WINDOW_MINUTES: String(IDENTITY_WINDOW_MINUTES),
      },
      deadLetterQueue: notifications.deadLetterQueue,
      logRemovalPolicy: props.removalPolicy,
    });
    this.stateMachine.grantStartExecution(this.startFunction);
    // A re-delivered file wrote nothing, so it changes no identity.
    eventBus
      .addRule('IdentityStartRule', [EVENTS.datasetIngested], {
        dataset: [...IDENTITY_SOURCES],
        alreadyIngested: [false],
      })
      .addTarget(
        new targets.LambdaFunction(this.startFunction, {
          deadLetterQueue: notifications.deadLetterQueue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(6),
        }),
      );
  }
}
