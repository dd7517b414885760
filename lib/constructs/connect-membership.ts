import { ArnFormat, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as customerprofiles from 'aws-cdk-lib/aws-customerprofiles';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeWildcardArn } from '../nag';
import { CdpFunction } from './cdp-function';
import { lambdaQueue } from './lambda-queue';
import { catchEvery } from './cdp-workflow';
import type { DataLake } from './data-lake';
import type { Notifications } from './notifications';

/** Where the Connect destination keeps its state in the trusted bucket: applied members and receipts. */
export const CONNECT_STATE_PREFIX = 'connect/';
/** Audiences whose changes are queued and watched at once (each is a child execution). */
export const CONNECT_PARALLEL_AUDIENCES = 5;
/** Receipts are counted once a minute. */
export const WRITE_POLL_INTERVAL = Duration.seconds(60);
/**
 * Polls in a row without a new receipt before the audience is given up on (30 minutes). Progress
 * resets it, and receipts only grow up to the batch count, so the loop is bounded either way.
 */
export const MAX_STALLED_POLLS = 30;
/** A batch still failing on this receive is dead-lettered by the writer itself, with the error. */
export const WRITER_MAX_RECEIVES = 5;
/** Messages (batches of changes) per writer invocation. */
export const WRITER_BATCH_SIZE = 5;

/** Props of the Connect membership. */
export interface ConnectMembershipProps {
  /** The trusted bucket holds the audience files and the state; its key encrypts the queues and the domain. */
  readonly dataLake: DataLake;
  /** Dead-letter queue alarms email through its topic. */
  readonly notifications: Notifications;
  /** Name of the domain created when none is given: `<namePrefix>-audiences`. */
  readonly namePrefix: string;
  /** An existing Customer Profiles domain; unset, one is created. */
  readonly existingDomainName?: string;
  /** Let an audience create profiles for users the domain does not know. */
  readonly allowProfileCreation: boolean;
  /** Writes per second over all writer instances (PutProfileObject quota: 100 TPS per account by default). */
  readonly writesPerSecond: number;
  /** Writer instances at once. */
  readonly writerConcurrency: number;
  /** The same share the build held out (the diff never enters a hold-out user). */
  readonly holdoutPercent: number;
  /** The audience files' prefix in the trusted bucket. */
  readonly audiencesPrefix: string;
  /** The audience list the build wrote (ItemReader): the state never carries it. */
  readonly items: sfn.IItemReader;
  /** Where the per-audience outcomes go (ResultWriter); `$.imports` becomes their location. */
  readonly results: sfn.ResultWriterV2;
  /** What happens to the domain and logs on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Audiences into Amazon Connect Customer Profiles: the domain (created, or an existing one), a
 * queue of membership changes with its dead-letter queue, the writer function that drains it
 * under the rate limit, and the workflow states that, per audience, queue the changes, wait for
 * every batch's receipt, then record what is applied and check the segment's size.
 */
export class ConnectMembership extends Construct {
  /** The domain written to. */
  readonly domainName: string;
  /** `arn:…:profile:<region>:<account>:domains/<name>`: every grant is scoped to it. */
  readonly domainArn: string;
  /** The created domain, when none was given. */
  readonly domain?: customerprofiles.CfnDomain;
  /** Where Customer Profiles puts what it could not ingest, for a created domain. */
  readonly domainDeadLetterQueue?: sqs.Queue;
  /** Batches of membership changes waiting for the writer. */
  readonly queue: sqs.Queue;
  /** Changes that kept failing (user ID, change and error), and batches that could not be read. */
  readonly deadLetterQueue: sqs.Queue;
  /** Writes the changes. */
  readonly writerFunction: CdpFunction;
  /** Queues, watches and settles one audience. */
  readonly audienceFunction: CdpFunction;
  /** The Map state over the build's audience list; its result (`$.imports`) is where the outcomes are in S3. */
  readonly map: sfn.DistributedMap;

  constructor(scope: Construct, id: string, props: ConnectMembershipProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { dataLake } = props;
    const key = dataLake.key;

    // --- the domain ----------------------------------------------------------------------
    this.domainName = props.existingDomainName ?? `${props.namePrefix}-audiences`;
    this.domainArn = stack.formatArn({
      service: 'profile',
      resource: 'domains',
      resourceName: this.domainName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    if (!props.existingDomainName) {
      const serviceConditions = {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': this.domainArn },
      };
      this.domainDeadLetterQueue = new sqs.Queue(this, 'DomainDeadLetters', {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: key,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(this.domainDeadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          "This queue is the Customer Profiles domain's own dead-letter queue (DeadLetterQueueUrl); its depth is alarmed.",
      });
      // Customer Profiles puts what it could not ingest here, for this domain only (confused deputy).
      this.domainDeadLetterQueue.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('profile.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [this.domainDeadLetterQueue.queueArn],
          conditions: serviceConditions,
        }),
      );
      // The domain's data and its dead letters are encrypted with the data lake's key.
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('profile.amazonaws.com')],
          actions: ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: serviceConditions,
        }),
      );
      this.domain = new customerprofiles.CfnDomain(this, 'Domain', {
        domainName: this.domainName,
        defaultEncryptionKey: key.keyArn,
        deadLetterQueueUrl: this.domainDeadLetterQueue.queueUrl,
        // The longest the service allows (1,098 days): a member who stays is not rewritten, so
        // their membership object must outlive many runs.
        defaultExpirationDays: 1098,
      });
      this.domain.applyRemovalPolicy(props.removalPolicy);
      this.domain.node.addDependency(this.domainDeadLetterQueue);
      props.notifications.alarmOnQueueDepth(
        'ConnectDomainDeadLettersAlarm',
        this.domainDeadLetterQueue,
        'Customer Profiles could not ingest some objects of the audiences domain',
      );
    }

    // --- the queue and the writer --------------------------------------------------------
    const writerTimeout = Duration.minutes(5);
    // The writer dead-letters a batch itself on its last receive, with the error; if it crashed
    // instead, SQS moves the batch to the dead-letter queue whole.
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = lambdaQueue(
      this,
      'Changes',
      'DeadLetters',
      {
        key,
        functionTimeout: writerTimeout,
        maxReceiveCount: WRITER_MAX_RECEIVES,
        deadLetterReason:
          'This queue is the dead-letter queue of the membership changes queue; its depth is alarmed.',
      },
    ));
    props.notifications.alarmOnQueueDepth(
      'ConnectDeadLettersAlarm',
      this.deadLetterQueue,
      'Audience membership changes could not be written to Customer Profiles; each message has the user ID and the error',
    );

    const shared = {
      TRUSTED_BUCKET: dataLake.trusted.bucketName,
      CONNECT_STATE_PREFIX,
      DOMAIN_NAME: this.domainName,
      ALLOW_PROFILE_CREATION: String(props.allowProfileCreation),
    };
    this.writerFunction = new CdpFunction(this, 'Writer', {
      handler: 'connect-writer',
      description: 'Writes audience membership changes to Customer Profiles under a rate limit',
      timeout: writerTimeout,
      environment: {
        ...shared,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        // Each instance's share of the account-wide rate: together they never exceed it.
        WRITES_PER_SECOND: String(Math.max(1, Math.floor(props.writesPerSecond / props.writerConcurrency))),
        MAX_RECEIVES: String(WRITER_MAX_RECEIVES),
      },
      reservedConcurrentExecutions: props.writerConcurrency,
      logRemovalPolicy: props.removalPolicy,
    });
    const writerRole = this.writerFunction.role!;
    this.queue.grantConsumeMessages(writerRole);
    writerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    key.grant(writerRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    dataLake.grantTrustedPrefix(writerRole, CONNECT_STATE_PREFIX, { list: false, write: true });
    const objectTypesArn = `${this.domainArn}/object-types/cdp_aud_*`;
    writerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteMembershipObjects',
        actions: ['profile:PutProfileObject'],
        resources: [this.domainArn, objectTypesArn],
      }),
    );
    acknowledgeWildcardArn(
      writerRole,
      objectTypesArn,
      "Audiences (and so their object types) are known only at run time; the wildcard stays inside this domain's cdp_aud_ object types.",
    );
    this.writerFunction.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: WRITER_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: props.writerConcurrency,
      }),
    );

    // --- the per-audience function ------------------------------------------------------
    this.audienceFunction = new CdpFunction(this, 'Audience', {
      handler: 'connect-audience',
      description: 'Queues, watches and settles the membership changes of one audience',
      // One full vCPU for the diff; 15 minutes for a 1M-user diff and the bounded estimate polls.
      memorySize: 1769,
      timeout: Duration.minutes(15),
      environment: {
        ...shared,
        QUEUE_URL: this.queue.queueUrl,
        HOLDOUT_PERCENT: String(props.holdoutPercent),
      },
      logRemovalPolicy: props.removalPolicy,
    });
    const audienceRole = this.audienceFunction.role!;
    // Sending to a KMS-encrypted queue needs exactly these key actions (no ReEncrypt*, no wildcard).
    audienceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    key.grant(audienceRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    dataLake.grantTrustedPrefix(audienceRole, props.audiencesPrefix, { list: false, write: false });
    dataLake.grantTrustedPrefix(audienceRole, CONNECT_STATE_PREFIX, { list: true, write: true });
    const segmentsArn = `${this.domainArn}/segment-definitions/cdp-*`;
    audienceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PrepareAudienceObjectTypes',
        actions: ['profile:GetProfileObjectType', 'profile:PutProfileObjectType'],
        resources: [this.domainArn, objectTypesArn],
      }),
    );
    audienceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AudienceSegments',
        actions: [
          'profile:GetSegmentDefinition',
          'profile:CreateSegmentDefinition',
          'profile:CreateSegmentEstimate',
          'profile:GetSegmentEstimate',
        ],
        resources: [this.domainArn, segmentsArn],
      }),
    );
    acknowledgeWildcardArn(
      audienceRole,
      objectTypesArn,
      "Audiences (and so their object types) are known only at run time; the wildcard stays inside this domain's cdp_aud_ object types.",
    );
    acknowledgeWildcardArn(
      audienceRole,
      segmentsArn,
      "Audiences (and so their segment definitions) are known only at run time; the wildcard stays inside this domain's cdp- segment definitions.",
    );

    // --- the workflow states -----------------------------------------------------------
    const invoke = (name: string, step: string, extra: Record<string, unknown>, resultPath: string) => {
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: this.audienceFunction,
        payload: sfn.TaskInput.fromObject({
          step,
          run: sfn.JsonPath.stringAt('$.run'),
          audience: sfn.JsonPath.objectAt('$.audience'),
          ...extra,
        }),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: true,
      });
      return task;
    };
    const queueChanges = invoke('Queue changes', 'queue', {}, '$.queued');
    const checkProgress = invoke('Count receipts', 'progress', {}, '$.progress');
    const settle = invoke(
      'Settle audience',
      'settle',
      { expected: sfn.JsonPath.numberAt('$.queued.diff.current') },
      '$.settled',
    );

    const applied = new sfn.Pass(this, 'Applied', {
      parameters: {
        name: sfn.JsonPath.stringAt('$.audience.name'),
        outcome: 'APPLIED',
        diff: sfn.JsonPath.objectAt('$.queued.diff'),
        settled: sfn.JsonPath.objectAt('$.settled'),
      },
    });
    const stepFailed = new sfn.Pass(this, 'Connect step failed', {
      parameters: {
        name: sfn.JsonPath.stringAt('$.audience.name'),
        outcome: 'FAILED',
        error: sfn.JsonPath.stringAt('$.error.Error'),
        cause: sfn.JsonPath.stringAt('$.error.Cause'),
      },
    });
    const stalled = new sfn.Pass(this, 'Writes stalled', {
      parameters: {
        name: sfn.JsonPath.stringAt('$.audience.name'),
        outcome: 'FAILED',
        error: 'ConnectWritesStalled',
        cause: sfn.JsonPath.format(
          '{} of {} change batches were confirmed written, then none for {} minutes.',
          sfn.JsonPath.stringAt('$.progress.receipts'),
          sfn.JsonPath.stringAt('$.queued.batches'),
          String((MAX_STALLED_POLLS * WRITE_POLL_INTERVAL.toSeconds()) / 60),
        ),
      },
    });
    for (const task of [queueChanges, checkProgress, settle]) catchEvery(task, stepFailed, '$.error');

    const wait = new sfn.Wait(this, 'Wait for writes', { time: sfn.WaitTime.duration(WRITE_POLL_INTERVAL) });
    const progressed = new sfn.Pass(this, 'Writes progressed', {
      parameters: { seen: sfn.JsonPath.numberAt('$.progress.receipts'), stalledPolls: 0 },
      resultPath: '$.watch',
    });
    const countStalled = new sfn.Pass(this, 'Count stalled poll', {
      parameters: {
        seen: sfn.JsonPath.numberAt('$.watch.seen'),
        stalledPolls: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.watch.stalledPolls'), 1),
      },
      resultPath: '$.watch',
    });
    const settleChain = settle.next(applied);
    const decide = new sfn.Choice(this, 'All changes written?')
      .when(
        sfn.Condition.numberGreaterThanEqualsJsonPath('$.progress.receipts', '$.queued.batches'),
        settleChain,
      )
      .when(
        sfn.Condition.numberGreaterThanJsonPath('$.progress.receipts', '$.watch.seen'),
        progressed.next(wait),
      )
      .otherwise(
        countStalled.next(
          new sfn.Choice(this, 'Stalled too long?')
            .when(sfn.Condition.numberGreaterThanEquals('$.watch.stalledPolls', MAX_STALLED_POLLS), stalled)
            .otherwise(wait),
        ),
      );
    wait.next(checkProgress).next(decide);
    const anyChanges = new sfn.Choice(this, 'Any changes?')
      .when(sfn.Condition.numberEquals('$.queued.batches', 0), settleChain)
      .otherwise(wait);
    queueChanges.next(anyChanges);

    // A Distributed Map: each audience polls in a child execution of its own, so a job with many
    // audiences never reaches the 25,000-event history limit of one Standard execution.
    this.map = new sfn.DistributedMap(this, 'Apply each audience', {
      itemReader: props.items,
      resultWriterV2: props.results,
      maxConcurrency: CONNECT_PARALLEL_AUDIENCES,
      itemSelector: {
        audience: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        // The parent execution's name: receipts are kept per run.
        run: sfn.JsonPath.stringAt('$$.Execution.Name'),
        watch: { seen: 0, stalledPolls: 0 },
      },
      resultPath: '$.imports',
    });
    this.map.itemProcessor(queueChanges);
  }
}
