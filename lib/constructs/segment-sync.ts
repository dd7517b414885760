import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { acknowledgeWildcardArn } from '../nag';
import { CdpFunction } from './cdp-function';
import { catchEvery, CdpWorkflow } from './cdp-workflow';
import type { DataLake } from './data-lake';
import type { EventBus } from './event-bus';
import type { Notifications } from './notifications';

/** Score files are read from, and failed batches kept under, these prefixes of the trusted bucket. */
export const SCORES_PREFIX = 'scores/';
export const FAILED_BATCHES_PREFIX = 'failed/';
/** Each invocation stops 2 minutes before its 15-minute limit and hands back a cursor; this bounds the loop (≈ 43 h). */
export const MAX_SYNC_INVOCATIONS = 200;

/** Props of the Segment sync. */
export interface SegmentSyncProps {
  /** Scores are read from, and failed batches kept in, the trusted bucket. */
  readonly dataLake: DataLake;
  /** `Propensity Scores Ready` arrives on it; the outcome is published on it. */
  readonly eventBus: EventBus;
  /** Alarms and emails. */
  readonly notifications: Notifications;
  /** Name of the Secrets Manager secret holding the Segment write key. */
  readonly writeKeySecretName: string;
  /** Segment's ingestion region. */
  readonly region: 'us' | 'eu';
  /** A base URL that overrides the region's host (custom domain, proxy). */
  readonly endpoint?: string;
  /** Push functions that may run at once (each sends at most 200 requests/s). */
  readonly reservedConcurrency: number;
  /** What happens to logs on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Every time scores are published, each customer's Segment profile gets the new traits: a Lambda
 * streams the score files into `/v1/batch` identify calls, and a bounded Step Functions loop
 * re-invokes it with its cursor until a run of any size is done. Batches that still fail are kept
 * under `failed/<run>/` for `cdp replay`, and the outcome is emailed.
 */
export class SegmentSync extends Construct {
  /** The workflow. */
  readonly stateMachine: sfn.StateMachine;
  /** The function that pushes scores; the only reader of the write key. */
  readonly pushFunction: CdpFunction;

  constructor(scope: Construct, id: string, props: SegmentSyncProps) {
    super(scope, id);
    const { dataLake } = props;
    const trusted = dataLake.trusted;

    const writeKey = secretsmanager.Secret.fromSecretNameV2(this, 'WriteKey', props.writeKeySecretName);
    this.pushFunction = new CdpFunction(this, 'Push', {
      handler: 'push-scores',
      description: 'Pushes propensity scores to Twilio Segment as identify traits',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      environment: {
        // The secret's name, never its value: the function reads it at run time and caches it.
        SEGMENT_WRITE_KEY_SECRET_NAME: props.writeKeySecretName,
        SCORES_BUCKET_NAME: trusted.bucketName,
        // Kept batches land under failed/<run>/ at the bucket root.
        KEPT_BATCHES_PREFIX: '',
        SEGMENT_REGION: props.region,
        ...(props.endpoint ? { SEGMENT_ENDPOINT: props.endpoint } : {}),
      },
      // Concurrent runs (a replay next to a new score file) share Segment's per-workspace rate.
      reservedConcurrentExecutions: props.reservedConcurrency,
      logRemovalPolicy: props.removalPolicy,
    });
    const role = this.pushFunction.role!;
    writeKey.grantRead(role);
    dataLake.grantTrustedPrefix(role, SCORES_PREFIX, { list: true, write: false });
    // Listing lets replay find the kept batches; reading lets it re-send them.
    dataLake.grantTrustedPrefix(role, FAILED_BATCHES_PREFIX, { list: true, write: true });
    acknowledgeWildcardArn(
      role,
      writeKey.secretArn,
      'Secrets Manager appends a random 6-character suffix to secret ARNs; the grant names this one secret.',
    );

    // --- the workflow -------------------------------------------------------------------
    const start = new sfn.Pass(this, 'Start run', {
      parameters: { request: sfn.JsonPath.objectAt('$.detail'), invocations: 0 },
    });
    const push = new tasks.LambdaInvoke(this, 'Push scores', {
      lambdaFunction: this.pushFunction,
      // The request (the event detail, then the cursor hand-back) is the whole payload.
      inputPath: '$.request',
      payloadResponseOnly: true,
      resultPath: '$.push',
      retryOnServiceExceptions: true,
    });
    const next = new sfn.Pass(this, 'Continue from cursor', {
      parameters: {
        request: sfn.JsonPath.objectAt('$.push.next'),
        invocations: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.invocations'), 1),
      },
    });

    const publish = (name: string, detailType: string, detail: Record<string, unknown>) =>
      props.eventBus.publishTask(this, name, detailType, sfn.TaskInput.fromObject(detail));
    const outcomeFields = {
      run: sfn.JsonPath.stringAt('$.push.run'),
      counts: sfn.JsonPath.objectAt('$.push.counts'),
      invalidRows: sfn.JsonPath.numberAt('$.push.invalidRows'),
      replayPrefix: sfn.JsonPath.objectAt('$.push.replayPrefix'),
    };
    const succeeded = publish('Publish synced', EVENTS.segmentSyncSucceeded.detailType, outcomeFields).next(
      new sfn.Succeed(this, 'Synced'),
    );
    const partly = publish('Publish kept batches', EVENTS.segmentSyncFailed.detailType, {
      ...outcomeFields,
      reason: sfn.JsonPath.format(
        '{} events could not be delivered after retries; nothing is lost, they are kept for replay.',
        sfn.JsonPath.stringAt('States.JsonToString($.push.counts.keptForReplay)'),
      ),
    }).next(new sfn.Succeed(this, 'Reported kept batches'));
    const crashed = publish('Publish stopped', EVENTS.segmentSyncFailed.detailType, {
      run: sfn.JsonPath.stringAt('$.request.run'),
      reason:
        'The sync stopped before the end of the run. Events already sent carry deterministic message IDs, so publishing the scores again is safe.',
      failure: {
        error: sfn.JsonPath.stringAt('$.failure.Error'),
        cause: sfn.JsonPath.stringAt('$.failure.Cause'),
      },
    }).next(
      new sfn.Fail(this, 'Sync failed', {
        error: 'SegmentSyncFailed',
        cause: 'See the Segment Sync Failed event',
      }),
    );
    const tooLong = new sfn.Pass(this, 'Too many invocations', {
      parameters: {
        Error: 'SyncTooLong',
        Cause: `The run needed more than ${MAX_SYNC_INVOCATIONS} invocations of 15 minutes.`,
      },
      resultPath: '$.failure',
    }).next(crashed);

    catchEvery(push, crashed, '$.failure');
    const decide = new sfn.Choice(this, 'Run done?')
      .when(
        sfn.Condition.and(
          sfn.Condition.booleanEquals('$.push.done', true),
          sfn.Condition.numberGreaterThan('$.push.counts.keptForReplay', 0),
        ),
        partly,
      )
      .when(sfn.Condition.booleanEquals('$.push.done', true), succeeded)
      .when(sfn.Condition.numberGreaterThanEquals('$.invocations', MAX_SYNC_INVOCATIONS - 1), tooLong)
      .otherwise(next.next(push));

    // A hand-written event without a run or scores would stop the run with an uncatchable
    // States.Runtime error further on; answer it with an email that says what is missing.
    const invalid = publish('Publish invalid event', EVENTS.segmentSyncFailed.detailType, {
      run: '(no run in the event)',
      reason:
        'The Propensity Scores Ready event needs detail.run (text), detail.scoredAt and detail.scores (a list of {model, location: {bucket, key}}); the schema is in lambdas/core/events/catalog.ts.',
    }).next(new sfn.Succeed(this, 'Reported invalid event'));
    const validEvent = sfn.Condition.and(
      sfn.Condition.isPresent('$.detail.run'),
      sfn.Condition.isString('$.detail.run'),
      sfn.Condition.isPresent('$.detail.scores[0]'),
    );
    start.next(push).next(decide);
    const checked = new sfn.Choice(this, 'Valid event?').when(validEvent, start).otherwise(invalid);

    this.stateMachine = new CdpWorkflow(this, 'Workflow', {
      name: 'segment-sync',
      definition: checked,
      timeout: Duration.hours(48),
      invokes: [this.pushFunction],
      startOn: { eventBus: props.eventBus, event: EVENTS.propensityScoresReady },
      notifications: props.notifications,
      alarmDescription: 'A Segment sync workflow failed',
      removalPolicy: props.removalPolicy,
    });
  }
}
