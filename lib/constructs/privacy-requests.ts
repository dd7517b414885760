import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcardsOf } from '../nag';
import { CdpFunction } from './cdp-function';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { SUPPRESSED_PREFIX } from '../../lambdas/core/privacy/suppression';
import { CdpWorkflow, catchEvery } from './cdp-workflow';
import type { EventBus } from './event-bus';
import type { DataLake } from './data-lake';
import type { Notifications } from './notifications';

/** Where request files land in the landing bucket. */
export const PRIVACY_REQUESTS_PREFIX = 'privacy/requests/';

/**
 * The longest a privacy request may stay open: GDPR gives one month (Art. 12(3)); the workflow
 * times out before that, and a timed-out execution alarms like a failed one.
 */
export const PRIVACY_REQUEST_TIMEOUT = Duration.days(25);

export interface PrivacyRequestsProps {
  readonly dataLake: DataLake;
  readonly notifications: Notifications;
  /** Where `Privacy Request Completed`/`Failed` is published (and emailed from). */
  readonly eventBus: EventBus;
  readonly phoneRegion: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Privacy requests in the cloud: a CSV (`subject,action`) dropped under `privacy/requests/` in the
 * landing bucket starts a workflow whose lake step runs the core over S3 (access exports with a
 * pre-signed URL, erasure with the suppression list). The salt of the privacy hashes is a
 * generated Secrets Manager secret, encrypted with the lake key.
 */
export class PrivacyRequests extends Construct {
  readonly salt: secretsmanager.Secret;
  readonly lakeFunction: CdpFunction;
  readonly startFunction: CdpFunction;
  readonly stateMachine: CdpWorkflow;
  readonly rule: events.Rule;
  readonly #dataLake: DataLake;

  constructor(scope: Construct, id: string, props: PrivacyRequestsProps) {
    super(scope, id);
    const { dataLake, notifications } = props;
    this.#dataLake = dataLake;

    this.salt = new secretsmanager.Secret(this, 'Salt', {
      description: 'cdp-audiences privacy salt: HMAC key of the suppression list and request records',
      encryptionKey: dataLake.key,
      // 64 hex characters = 32 bytes (the excluded characters leave 0-9 and a-f).
      generateSecretString: {
        passwordLength: 64,
        excludeCharacters: 'ghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
        excludePunctuation: true,
        includeSpace: false,
        requireEachIncludedType: false,
      },
      removalPolicy: props.removalPolicy,
    });

    this.lakeFunction = new CdpFunction(this, 'Lake', {
      handler: 'privacy-request',
      description: 'Runs a privacy request file over the lake: access exports, erasure, suppression',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      environment: {
        LANDING_BUCKET: dataLake.landing.bucketName,
        TRUSTED_BUCKET: dataLake.trusted.bucketName,
        QUARANTINE_BUCKET: dataLake.quarantine.bucketName,
        PRIVACY_SALT_SECRET: this.salt.secretArn,
        PHONE_REGION: props.phoneRegion,
        EXPORT_URL_SECONDS: String(Duration.days(1).toSeconds()),
      },
      logRemovalPolicy: props.removalPolicy,
    });
    this.salt.grantRead(this.lakeFunction);
    // Erasure rewrites or deletes whichever object holds the subject, in every zone: object
    // actions on the three lake buckets only, and the lake key to read and write them.
    const buckets = [dataLake.landing, dataLake.trusted, dataLake.quarantine];
    this.lakeFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          's3:GetObject',
          's3:PutObject',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          // Versioned buckets keep the old bytes: erasure reads and deletes the versions holding the subject.
          's3:GetObjectVersion',
          's3:DeleteObjectVersion',
        ],
        resources: buckets.map((bucket) => bucket.arnForObjects('*')),
      }),
    );
    this.lakeFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket', 's3:ListBucketVersions'],
        resources: buckets.map((b) => b.bucketArn),
      }),
    );
    dataLake.key.grant(this.lakeFunction, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeWildcardsOf(
      this.lakeFunction.role!.node.findChild('DefaultPolicy'),
      'Erasure must read, rewrite and delete any object of the three lake buckets that holds the subject; the objects are found at run time. Only these buckets are granted.',
    );
    Validations.of(this.salt).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The salt keys the suppression list hashes: a rotated salt would no longer match the people already suppressed, so it is not rotated.',
    });

    const lake = new tasks.LambdaInvoke(this, 'Run the request over the lake', {
      lambdaFunction: this.lakeFunction,
      payload: sfn.TaskInput.fromObject({
        key: sfn.JsonPath.stringAt('$.key'),
        requestId: sfn.JsonPath.executionName,
      }),
      payloadResponseOnly: true,
      resultPath: '$.lake',
      retryOnServiceExceptions: true,
    });
    const failed = new sfn.Fail(this, 'A request row failed', {
      error: 'PrivacyRequestFailed',
      cause: 'A row of the privacy request failed; the email and the execution output list which.',
    });
    const publishFailed = props.eventBus
      .publishTask(
        this,
        'Publish request failed',
        EVENTS.privacyRequestFailed.detailType,
        sfn.TaskInput.fromJsonPathAt('$.lake.detail'),
      )
      .next(failed);
    const crashed = props.eventBus
      .publishTask(
        this,
        'Publish lake step failure',
        EVENTS.privacyRequestFailed.detailType,
        sfn.TaskInput.fromObject({
          request: sfn.JsonPath.executionName,
          executionArn: sfn.JsonPath.executionId,
          reason: sfn.JsonPath.format(
            'The lake step stopped on {}. An erasure interrupted after its journal is finished by the next request; send the file again.',
            sfn.JsonPath.stringAt('$.failure.Error'),
          ),
        }),
      )
      .next(
        new sfn.Fail(this, 'Lake step failed', {
          errorPath: '$.failure.Error',
          causePath: '$.failure.Cause',
        }),
      );
    catchEvery(lake, crashed, '$.failure');
    const definition = lake.next(
      new sfn.Choice(this, 'Did every row succeed?')
        .when(sfn.Condition.booleanEquals('$.lake.failed', true), publishFailed)
        .otherwise(
          props.eventBus
            .publishTask(
              this,
              'Publish request completed',
              EVENTS.privacyRequestCompleted.detailType,
              sfn.TaskInput.fromJsonPathAt('$.lake.detail'),
            )
            .next(new sfn.Succeed(this, 'Request done')),
        ),
    );

    this.stateMachine = new CdpWorkflow(this, 'Workflow', {
      name: 'privacy',
      definition,
      timeout: PRIVACY_REQUEST_TIMEOUT,
      invokes: [this.lakeFunction],
      notifications,
      alarmDescription:
        'A privacy request failed or stayed open 25 days (the legal limit is one month): see the privacy workflow execution',
      removalPolicy: props.removalPolicy,
    });

    this.startFunction = new CdpFunction(this, 'Start', {
      handler: 'start-privacy',
      description: 'Starts the privacy workflow once per request file (key + ETag)',
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      deadLetterQueue: notifications.deadLetterQueue,
      logRemovalPolicy: props.removalPolicy,
    });
    this.stateMachine.grantStartExecution(this.startFunction);

    this.rule = new events.Rule(this, 'RequestObjectCreated', {
      description: 'A privacy request file landed: start the privacy workflow',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [dataLake.landing.bucketName] },
          object: { key: events.Match.prefix(PRIVACY_REQUESTS_PREFIX) },
        },
      },
    });
    this.rule.addTarget(
      new targets.LambdaFunction(this.startFunction, {
        deadLetterQueue: notifications.deadLetterQueue,
        retryAttempts: 4,
        maxEventAge: Duration.hours(6),
      }),
    );
  }

  /**
   * Lets each function read the suppression list, as ingestion, activation and the Segment sync
   * must: where it is and which secret salts it (environment), read of the salt secret, list and
   * read of `privacy/suppressed/` in the trusted bucket only, and decrypt with the lake key.
   */
  grantSuppressionRead(...functions: CdpFunction[]): void {
    for (const fn of functions) {
      fn.addEnvironment('SUPPRESSION_BUCKET', this.#dataLake.trusted.bucketName);
      fn.addEnvironment('PRIVACY_SALT_SECRET', this.salt.secretArn);
      this.salt.grantRead(fn);
      this.#dataLake.grantTrustedPrefix(fn.role!, SUPPRESSED_PREFIX, { list: true, write: false });
    }
  }
}
