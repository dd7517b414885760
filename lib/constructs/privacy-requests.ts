import { ArnFormat, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcardArn, acknowledgeWildcardsOf } from '../nag';
import { CdpFunction } from './cdp-function';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { SUPPRESSED_PREFIX } from '../../lambdas/core/privacy/suppression';
import { CdpWorkflow, catchEvery } from './cdp-workflow';
import type { EventBus } from './event-bus';
import type { DataLake } from './data-lake';
import type { Notifications } from './notifications';
import { createOrReuse, personalizeCall, waitForActive } from './personalize-poll';

/** Where request files land in the landing bucket. */
export const PRIVACY_REQUESTS_PREFIX = 'privacy/requests/';

/**
 * The longest a privacy request may stay open: GDPR gives one month (Art. 12(3)); the workflow
 * times out before that, and a timed-out execution alarms like a failed one.
 */
export const PRIVACY_REQUEST_TIMEOUT = Duration.days(25);

/** Where the lake step leaves the erasure's USER_ID file in the trusted bucket (request-file.ts). */
export const PRIVACY_DELETIONS_PREFIX = 'privacy/deletions/';

/**
 * How a data deletion job is polled: "it can take up to a day"
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDataDeletionJob.html), so every 30
 * minutes for up to 36 hours, far inside the 25-day workflow timeout. Past that the store is
 * reported `pending` and the request stays open.
 */
export const DELETION_JOB_POLL = { interval: Duration.minutes(30), maxPolls: 72 } as const;

/** The activation destination an erasure deletes the subjects from. */
export type PrivacyDestination =
  | {
      readonly kind: 'connect-customer-profiles';
      readonly domainName: string;
      /** `arn:…:profile:<region>:<account>:domains/<name>`: the grants are scoped to it. */
      readonly domainArn: string;
    }
  | { readonly kind: 'pinpoint'; readonly applicationId: string };

/** A store outside the lake that the erasure reaches with its own workflow branch. */
export interface PrivacyStoreStep {
  branch(scope: Construct): sfn.IChainable;
  readonly function: lambda.IFunction;
}

export interface PrivacyRequestsProps {
  readonly dataLake: DataLake;
  readonly notifications: Notifications;
  /** Where `Privacy Request Completed`/`Failed` is published (and emailed from). */
  readonly eventBus: EventBus;
  readonly phoneRegion: string;
  readonly removalPolicy: RemovalPolicy;
  /** Where audiences go; unset (S3 files only), the lake erasure already covered them. */
  readonly destination?: PrivacyDestination;
  /**
   * More stores for the "Erase the other stores" Parallel state, after Personalize and the
   * destination (the Segment regulation, `PrivacySegment`, is one). Each gives its branch, built in
   * this construct's scope, and the function the workflow may invoke.
   *
   * The contract of a branch: its input is the execution state, `{ key, lake }`, where
   * `lake.erasure` is the lake step's erasure (`requestId`, `personalizeUsersKey`: the USER_ID CSV
   * in the trusted bucket, `privacy/deletions/<request>/personalize-users.csv`, `error`) and
   * `lake.stores` says what to erase with no personal data: `erased` (the lake erasure ran without
   * error), `usersKey`, `recordRequestId`. A branch catches its own errors and ends with a
   * StoreOutcome (lambdas/core/privacy/request-record.ts: `store`, `action`, `status`
   * done/failed/pending/manual/skipped, optional `rows`, `objects`, `detail` without personal
   * data), or a list of them. The finish step writes them into the request's record and the email.
   * A StoreOutcome whose `store` starts with `Twilio Segment` replaces the manual Segment line of
   * the email. State names must be unique in the whole state machine.
   */
  readonly extraStores?: readonly PrivacyStoreStep[];
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
  /** The role Personalize assumes to read the erasure's USER_ID file (data deletion jobs). */
  readonly deletionRole: iam.Role;
  /** Deletes the subjects from the activation destination (Connect or Pinpoint), when there is one. */
  readonly destinationFunction?: CdpFunction;
  readonly #dataLake: DataLake;

  constructor(scope: Construct, id: string, props: PrivacyRequestsProps) {
    super(scope, id);
    const { dataLake, notifications } = props;
    const stack = Stack.of(this);
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
        PERSONALIZE_ARN_PREFIX: `arn:${stack.partition}:personalize:${stack.region}:${stack.account}:`,
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

    this.deletionRole = this.createDeletionRole(dataLake);
    if (props.destination)
      this.destinationFunction = this.createDestinationFunction(
        dataLake,
        props.destination,
        props.removalPolicy,
      );
    const personalizeArn = (type: string) =>
      `arn:${stack.partition}:personalize:${stack.region}:${stack.account}:${type}/*`;

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
    const crashed = props.eventBus
      .publishTask(
        this,
        'Publish lake step failure',
        EVENTS.privacyRequestFailed.detailType,
        sfn.TaskInput.fromObject({
          request: sfn.JsonPath.executionName,
          executionArn: sfn.JsonPath.executionId,
          reason: sfn.JsonPath.format(
            'The privacy workflow stopped on {}. An erasure interrupted after its journal is finished by the next request; send the file again.',
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

    // Every store outside the lake in its own branch: each catches its own errors and ends with a
    // StoreOutcome (or a list), so one store failing is reported while the others complete.
    const stores = new sfn.Parallel(this, 'Erase the other stores', {
      comment: 'One branch per store; each ends with a StoreOutcome (or a list of them)',
      resultPath: '$.stores',
    });
    stores.branch(
      this.personalizeBranch(personalizeArn),
      this.destinationBranch(props.destination),
      ...(props.extraStores ?? []).map((step) => step.branch(this)),
    );
    catchEvery(stores, crashed, '$.failure');

    const finish = new tasks.LambdaInvoke(this, 'Close the request record', {
      lambdaFunction: this.lakeFunction,
      payload: sfn.TaskInput.fromObject({
        mode: 'finish',
        requestId: sfn.JsonPath.executionName,
        failed: sfn.JsonPath.stringAt('$.lake.failed'),
        detail: sfn.JsonPath.objectAt('$.lake.detail'),
        plan: sfn.JsonPath.objectAt('$.lake.stores'),
        outcomes: sfn.JsonPath.listAt('$.stores'),
      }),
      payloadResponseOnly: true,
      resultPath: '$.finish',
      retryOnServiceExceptions: true,
    });
    catchEvery(finish, crashed, '$.failure');

    const failed = new sfn.Fail(this, 'A request row failed', {
      error: 'PrivacyRequestFailed',
      cause:
        'A row or a store of the privacy request failed, or a store is still pending; the email and the execution output list which.',
    });
    const publishFailed = props.eventBus
      .publishTask(
        this,
        'Publish request failed',
        EVENTS.privacyRequestFailed.detailType,
        sfn.TaskInput.fromJsonPathAt('$.finish.detail'),
      )
      .next(failed);
    const definition = lake
      .next(stores)
      .next(finish)
      .next(
        new sfn.Choice(this, 'Did every row and store succeed?')
          .when(sfn.Condition.booleanEquals('$.finish.failed', true), publishFailed)
          .otherwise(
            props.eventBus
              .publishTask(
                this,
                'Publish request completed',
                EVENTS.privacyRequestCompleted.detailType,
                sfn.TaskInput.fromJsonPathAt('$.finish.detail'),
              )
              .next(new sfn.Succeed(this, 'Request done')),
          ),
      );

    this.stateMachine = new CdpWorkflow(this, 'Workflow', {
      name: 'privacy',
      definition,
      timeout: PRIVACY_REQUEST_TIMEOUT,
      invokes: [
        this.lakeFunction,
        ...(this.destinationFunction ? [this.destinationFunction] : []),
        ...(props.extraStores ?? []).map((step) => step.function),
      ],
      notifications,
      alarmDescription:
        'A privacy request failed or stayed open 25 days (the legal limit is one month): see the privacy workflow execution',
      removalPolicy: props.removalPolicy,
    });
    this.grantDeletionJobs(personalizeArn);

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
   * The role Personalize assumes to read the erasure's USER_ID file: GetObject and ListBucket on
   * `privacy/deletions/` only ("the same permissions as importing data"), for this account's
   * Personalize resources only (confused deputy). The bucket policy lets the service read there too.
   */
  private createDeletionRole(dataLake: DataLake): iam.Role {
    const stack = Stack.of(this);
    const fromOurPersonalize = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'personalize',
          resource: '*',
          arnFormat: ArnFormat.NO_RESOURCE_NAME,
        }),
      },
    };
    const role = new iam.Role(this, 'PersonalizeDeletionRole', {
      assumedBy: new iam.ServicePrincipal('personalize.amazonaws.com', { conditions: fromOurPersonalize }),
      description:
        "Lets Personalize's data deletion jobs read the USER_ID files of privacy erasures, and nothing else",
    });
    dataLake.grantTrustedPrefix(role, PRIVACY_DELETIONS_PREFIX, { list: true, write: false });
    const personalize = new iam.ServicePrincipal('personalize.amazonaws.com');
    dataLake.trusted.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [personalize],
        actions: ['s3:GetObject'],
        resources: [dataLake.trusted.arnForObjects(`${PRIVACY_DELETIONS_PREFIX}*`)],
        conditions: fromOurPersonalize,
      }),
    );
    dataLake.trusted.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [personalize],
        actions: ['s3:ListBucket'],
        resources: [dataLake.trusted.bucketArn],
        conditions: { ...fromOurPersonalize, StringLike: { 's3:prefix': [`${PRIVACY_DELETIONS_PREFIX}*`] } },
      }),
    );
    return role;
  }

  /** The workflow may create and describe data deletion jobs, and pass the deletion role to Personalize only. */
  private grantDeletionJobs(personalizeArn: (type: string) => string): void {
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.deletionRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'personalize.amazonaws.com' } },
      }),
    );
    for (const type of ['dataset-group', 'data-deletion-job'])
      acknowledgeWildcardArn(
        role,
        personalizeArn(type),
        'The dataset groups are named by training.json at run time (the lake step lists the ones this stack trained); deletion jobs are named per request. The grant stays on that resource type in this account and region.',
      );
  }

  /**
   * Personalize: one data deletion job per dataset group the stack trained, with the erasure's
   * USER_ID file, polled to COMPLETED or FAILED (bounded: DELETION_JOB_POLL). Skipped, with the
   * reason, for access requests, when no customer ID was found, or when no group was trained.
   */
  private personalizeBranch(personalizeArn: (type: string) => string): sfn.IChainable {
    const store = sfn.JsonPath.format(
      'Amazon Personalize (dataset group {})',
      sfn.JsonPath.stringAt('$.job.datasetGroup'),
    );
    const outcome = (id: string, status: string, detail: string) =>
      new sfn.Pass(this, id, {
        parameters: { store, action: 'data deletion job', status, detail },
      });
    const jobName = sfn.JsonPath.stringAt('$.job.jobName');
    const done = outcome('Deletion job done', 'done', sfn.JsonPath.format('job {} completed', jobName));
    const jobFailed = outcome(
      'Deletion job failed',
      'failed',
      sfn.JsonPath.format(
        'job {} failed: {}',
        jobName,
        sfn.JsonPath.stringAt('$.poll.last.resource.FailureReason'),
      ),
    );
    const pending = outcome(
      'Deletion job still running',
      'pending',
      sfn.JsonPath.format(
        `job {} had not finished after ${DELETION_JOB_POLL.maxPolls} checks ${DELETION_JOB_POLL.interval.toHumanString()} apart; check it with DescribeDataDeletionJob`,
        jobName,
      ),
    );
    const describeError = outcome(
      'Deletion job check failed',
      'failed',
      sfn.JsonPath.format(
        'checking job {} stopped on {}',
        jobName,
        sfn.JsonPath.stringAt('$.poll.error.Error'),
      ),
    );
    const createError = outcome(
      'Deletion job not created',
      'failed',
      sfn.JsonPath.format('CreateDataDeletionJob stopped on {}', sfn.JsonPath.stringAt('$.error.Error')),
    );
    const noGroup = outcome(
      'Dataset group not found',
      'skipped',
      'the dataset group does not exist in Personalize (never created, or deleted): nothing to delete',
    );

    const create = personalizeCall(this, 'Create data deletion job', {
      action: 'createDataDeletionJob',
      parameters: {
        JobName: jobName,
        DatasetGroupArn: sfn.JsonPath.stringAt('$.job.datasetGroupArn'),
        DataSource: { DataLocation: sfn.JsonPath.stringAt('$.dataLocation') },
        RoleArn: this.deletionRole.roleArn,
      },
      iamResources: [personalizeArn('dataset-group'), personalizeArn('data-deletion-job')],
    });
    const poll = waitForActive(this, 'Deletion job', {
      name: 'data deletion job',
      action: 'describeDataDeletionJob',
      parameters: { DataDeletionJobArn: sfn.JsonPath.stringAt('$.job.jobArn') },
      iamResources: [personalizeArn('data-deletion-job')],
      responseKey: 'DataDeletionJob',
      interval: DELETION_JOB_POLL.interval,
      maxPolls: DELETION_JOB_POLL.maxPolls,
      statePath: '$.poll',
      activeStatus: 'COMPLETED',
      failedStatus: 'FAILED',
      onFailed: jobFailed,
      onPollLimit: pending,
      onDescribeError: describeError,
    }).next(done);
    // A retry of the same request reuses the job of the same name (createOrReuse).
    const job = createOrReuse(create, poll);
    create.addCatch(noGroup, { errors: ['Personalize.ResourceNotFoundException'], resultPath: '$.error' });
    create.addCatch(createError, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const each = new sfn.Map(this, 'Each trained dataset group', {
      itemsPath: '$.lake.stores.personalize.jobs',
      itemSelector: {
        job: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        dataLocation: sfn.JsonPath.stringAt('$.lake.stores.personalize.dataLocation'),
      },
      maxConcurrency: 5,
    });
    each.itemProcessor(job);
    const skipped = new sfn.Pass(this, 'Personalize skipped', {
      parameters: {
        store: 'Amazon Personalize',
        action: 'data deletion job',
        status: 'skipped',
        detail: sfn.JsonPath.stringAt('$.lake.stores.personalize.reason'),
      },
    });
    return new sfn.Choice(this, 'Erase from Personalize?')
      .when(sfn.Condition.booleanEquals('$.lake.stores.personalize.skip', true), skipped)
      .otherwise(each);
  }

  /**
   * The activation destination: the destination function deletes the subjects' profiles (Connect)
   * or user endpoints (Pinpoint), reading the IDs from the USER_ID file, so they never enter the
   * execution's state. S3 audience files were rewritten by the lake step.
   */
  private destinationBranch(destination: PrivacyDestination | undefined): sfn.IChainable {
    if (!destination || !this.destinationFunction)
      return new sfn.Pass(this, 'No activation destination', {
        parameters: {
          store: 'Activation destination (S3 audience files)',
          action: 'none',
          status: 'skipped',
          detail: 'audiences go to S3 files only, which the lake erasure covers',
        },
      });
    const storeName =
      destination.kind === 'pinpoint'
        ? `Amazon Pinpoint (project ${destination.applicationId})`
        : `Amazon Connect Customer Profiles (domain ${destination.domainName})`;
    const erase = new tasks.LambdaInvoke(this, 'Erase from the destination', {
      lambdaFunction: this.destinationFunction,
      payload: sfn.TaskInput.fromObject({
        usersKey: sfn.JsonPath.stringAt('$.lake.stores.destination.usersKey'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    erase.addCatch(
      new sfn.Pass(this, 'Destination failed', {
        parameters: {
          store: storeName,
          action: destination.kind === 'pinpoint' ? 'deleted user endpoints' : 'deleted profiles',
          status: 'failed',
          detail: sfn.JsonPath.format(
            'the destination step stopped on {}; send the request again',
            sfn.JsonPath.stringAt('$.error.Error'),
          ),
        },
      }),
      { errors: [sfn.Errors.ALL], resultPath: '$.error' },
    );
    const skipped = new sfn.Pass(this, 'Destination skipped', {
      parameters: {
        store: storeName,
        action: 'none',
        status: 'skipped',
        detail: sfn.JsonPath.stringAt('$.lake.stores.destination.reason'),
      },
    });
    return new sfn.Choice(this, 'Erase from the destination?')
      .when(sfn.Condition.booleanEquals('$.lake.stores.destination.skip', true), skipped)
      .otherwise(erase);
  }

  /** The function of the destination branch, granted only on its domain or project. */
  private createDestinationFunction(
    dataLake: DataLake,
    destination: PrivacyDestination,
    removalPolicy: RemovalPolicy,
  ): CdpFunction {
    const fn = new CdpFunction(this, 'Destination', {
      handler: 'privacy-destination',
      description:
        "Deletes an erasure's subjects from the activation destination (Connect profiles or Pinpoint endpoints)",
      timeout: Duration.minutes(15),
      environment:
        destination.kind === 'pinpoint'
          ? {
              DESTINATION: 'pinpoint',
              TRUSTED_BUCKET: dataLake.trusted.bucketName,
              PINPOINT_APPLICATION_ID: destination.applicationId,
            }
          : {
              DESTINATION: 'connect-customer-profiles',
              TRUSTED_BUCKET: dataLake.trusted.bucketName,
              DOMAIN_NAME: destination.domainName,
            },
      logRemovalPolicy: removalPolicy,
    });
    dataLake.grantTrustedPrefix(fn.role!, PRIVACY_DELETIONS_PREFIX, { list: false, write: false });
    if (destination.kind === 'pinpoint') {
      const stack = Stack.of(this);
      const usersArn = stack.formatArn({
        service: 'mobiletargeting',
        resource: 'apps',
        resourceName: `${destination.applicationId}/users/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DeleteUserEndpoints',
          actions: ['mobiletargeting:DeleteUserEndpoints'],
          resources: [
            stack.formatArn({
              service: 'mobiletargeting',
              resource: 'apps',
              resourceName: destination.applicationId,
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
            usersArn,
          ],
        }),
      );
      acknowledgeWildcardArn(
        fn.role!,
        usersArn,
        "The users to delete are known only at run time; the wildcard stays inside this project's users.",
      );
    } else {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'DeleteProfiles',
          actions: ['profile:SearchProfiles', 'profile:DeleteProfile'],
          resources: [destination.domainArn],
        }),
      );
    }
    return fn;
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
