import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcardArn } from '../nag';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { CdpFunction } from './cdp-function';
import { catchEvery, CdpWorkflow } from './cdp-workflow';
import { ITEMS_FOLDER, RESULTS_FOLDER } from '../../lambdas/core/destinations/workflow-items';
import { jsonItemFile, resultsUnder } from './map-io';
import { PinpointImports } from './pinpoint-imports';
import { ConnectMembership, type ConnectMembershipProps } from './connect-membership';
import { SEGMENT_OUTPUT_PREFIX, type DataLake } from './data-lake';
import type { EventBus } from './event-bus';
import type { Notifications } from './notifications';

/** Where Personalize writes batch segment output, and where audiences go, in the trusted bucket. */
export const SEGMENTS_PREFIX = SEGMENT_OUTPUT_PREFIX;
export const AUDIENCES_PREFIX = 'audiences/';
/** The Distributed Maps' item files (written by the build step) and results (ResultWriter). */
export const MAP_ITEMS_PREFIX = `${AUDIENCES_PREFIX}${ITEMS_FOLDER}`;
export const MAP_RESULTS_PREFIX = `${AUDIENCES_PREFIX}${RESULTS_FOLDER}`;

/** Props of the audience activation. */
export interface AudienceActivationProps {
  /** The zones: batch segment output is read from, and audiences written to, the trusted bucket. */
  readonly dataLake: DataLake;
  /** The bus the job events arrive on and the outcome is published to. */
  readonly eventBus: EventBus;
  /** Alarms and emails. */
  readonly notifications: Notifications;
  /** Pinpoint imported segments, Customer Profiles segments, or the files alone in S3. */
  readonly destination: 'pinpoint' | 's3' | 'connect-customer-profiles';
  /** The existing Pinpoint project; required when the destination is pinpoint (none can be created). */
  readonly pinpointApplicationId?: string;
  /** The Customer Profiles settings; used when the destination is connect-customer-profiles. */
  readonly connect?: Pick<
    ConnectMembershipProps,
    'namePrefix' | 'existingDomainName' | 'allowProfileCreation' | 'writesPerSecond' | 'writerConcurrency'
  >;
  /** Share of each audience kept out as a control group. */
  readonly holdoutPercent: number;
  /** What happens to logs on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
}

/** What synth says with audienceDestination=pinpoint. */
export const PINPOINT_END_OF_SUPPORT_WARNING =
  'Amazon Pinpoint ended support for its engagement features (endpoints, segments, campaigns, journeys) on 2026-10-30: new projects cannot be created and import jobs may be refused. Use -c audienceDestination=s3 (the audience files in the same import format, for any tool) or connect-customer-profiles (Amazon Connect Customer Profiles segments) instead.';

/** Parts of one job built at once when the output has several `.out` files. */
export const MAX_PARALLEL_PARTS = 10;

/**
 * When a batch segment job completes, every query of it becomes an audience: the build Lambda
 * streams the `.out` files into one import CSV (+ hold-out file) per query and a manifest, then
 * each audience is imported into Pinpoint as a static segment (or left in S3), and the outcome is
 * published as `Audiences Imported` or `Audience Import Failed`, which the notifications email.
 */
export class AudienceActivation extends Construct {
  /** The workflow. */
  readonly stateMachine: sfn.StateMachine;
  /** Streams `.out` files into audience files. */
  readonly buildFunction: CdpFunction;
  /** The Pinpoint project imported into, when the destination is pinpoint. */
  readonly applicationId?: string;
  /** The role Pinpoint assumes to read the audience files. */
  readonly importRole?: iam.Role;
  /** The Customer Profiles domain, queue and writer, when the destination is connect-customer-profiles. */
  readonly connect?: ConnectMembership;
  private importJobsArn?: string;

  constructor(scope: Construct, id: string, props: AudienceActivationProps) {
    super(scope, id);
    const { dataLake, destination } = props;
    const trusted = dataLake.trusted;

    this.buildFunction = new CdpFunction(this, 'Build', {
      handler: 'build-audiences',
      description: 'Streams Personalize batch segment output into audience files',
      // One full vCPU: the build is a CPU-bound streaming parse.
      memorySize: 1769,
      timeout: Duration.minutes(15),
      environment: {
        TRUSTED_BUCKET: trusted.bucketName,
        AUDIENCES_PREFIX,
        HOLDOUT_PERCENT: String(props.holdoutPercent),
      },
      logRemovalPolicy: props.removalPolicy,
    });
    dataLake.grantTrustedPrefix(this.buildFunction.role!, SEGMENTS_PREFIX, { list: true, write: false });
    // Read as well as write: a large audience with repeated users is read back once to drop them.
    dataLake.grantTrustedPrefix(this.buildFunction.role!, AUDIENCES_PREFIX, { list: false, write: true });

    const outcomeFunction = new CdpFunction(this, 'Outcome', {
      handler: 'activation-outcome',
      description: 'Decides what the activation workflow reports',
      environment: { TRUSTED_BUCKET: trusted.bucketName },
      logRemovalPolicy: props.removalPolicy,
    });
    // It reads the audience list and the import results from S3: the state only points to them.
    dataLake.grantTrustedPrefix(outcomeFunction.role!, MAP_ITEMS_PREFIX, { list: false, write: false });
    dataLake.grantTrustedPrefix(outcomeFunction.role!, MAP_RESULTS_PREFIX, { list: false, write: false });

    const region = Stack.of(this).region;
    if (destination === 'pinpoint') {
      if (!props.pinpointApplicationId) {
        throw new Error(
          `${PINPOINT_END_OF_SUPPORT_WARNING} The pinpoint destination needs pinpointApplicationId: an existing project.`,
        );
      }
      Annotations.of(this).addWarningV2(
        'cdp-audiences:pinpoint-end-of-support',
        PINPOINT_END_OF_SUPPORT_WARNING,
      );
      this.applicationId = props.pinpointApplicationId;
      this.importRole = new iam.Role(this, 'PinpointImportRole', {
        // Only this project's import jobs may assume it (confused deputy).
        assumedBy: new iam.ServicePrincipal('pinpoint.amazonaws.com', {
          conditions: {
            StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
            ArnLike: {
              'aws:SourceArn': Stack.of(this).formatArn({
                service: 'mobiletargeting',
                resource: 'apps',
                resourceName: `${this.applicationId}*`,
                arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
              }),
            },
          },
        }),
        description: 'Lets Pinpoint read the audience import files, and nothing else',
      });
      dataLake.grantTrustedPrefix(this.importRole, AUDIENCES_PREFIX, { list: true, write: false });
    }

    // --- the workflow -------------------------------------------------------------------
    const invoke = (
      name: string,
      fn: CdpFunction,
      payload: sfn.TaskInput,
      resultPath: string,
      outputPath?: string,
    ) =>
      new tasks.LambdaInvoke(this, name, {
        lambdaFunction: fn,
        payload,
        payloadResponseOnly: true,
        resultPath,
        ...(outputPath ? { outputPath } : {}),
        retryOnServiceExceptions: true,
      });

    const build = invoke(
      'Build audience files',
      this.buildFunction,
      sfn.TaskInput.fromObject({
        jobName: sfn.JsonPath.stringAt('$.detail.jobName'),
        run: sfn.JsonPath.executionName,
        output: sfn.JsonPath.objectAt('$.detail.output'),
      }),
      '$.build',
    );

    const runContext = {
      jobName: sfn.JsonPath.stringAt('$.detail.jobName'),
      destination,
      region,
      ...(this.applicationId ? { applicationId: this.applicationId } : {}),
    };
    const outcome = invoke(
      'Decide outcome',
      outcomeFunction,
      sfn.TaskInput.fromObject({
        ...runContext,
        build: sfn.JsonPath.objectAt('$.build'),
        imports: sfn.JsonPath.objectAt('$.imports'),
      }),
      // From here on the state is only the event: the audiences and import results can be large.
      '$.outcome',
      '$.outcome',
    );
    const failureOutcome = invoke(
      'Describe failure',
      outcomeFunction,
      // The event as it came: on this path it may lack the fields the other steps rely on.
      sfn.TaskInput.fromObject({
        event: sfn.JsonPath.objectAt('$.detail'),
        destination,
        region,
        ...(this.applicationId ? { applicationId: this.applicationId } : {}),
        failure: sfn.JsonPath.objectAt('$.failure'),
      }),
      '$.outcome',
      '$.outcome',
    );
    const emit = props.eventBus.publishTask(
      this,
      'Publish outcome',
      sfn.JsonPath.stringAt('$.detailType'),
      sfn.TaskInput.fromJsonPathAt('$.detail'),
    );
    outcome.next(emit);
    failureOutcome.next(emit);
    emit.next(new sfn.Succeed(this, 'Reported'));

    catchEvery(build, failureOutcome, '$.failure');
    // If the outcome itself cannot be decided, the execution fails and the failed-execution alarm emails.
    const unknown = new sfn.Fail(this, 'Outcome unknown', {
      error: 'OutcomeUnknown',
      cause: 'The outcome step failed; see its logs.',
    });
    catchEvery(outcome, unknown, '$.failure');
    catchEvery(failureOutcome, unknown, '$.failure');

    // A job with several `.out` parts is built part by part in parallel (Distributed Map), then merged.
    // The item ({jobName, run, output, part}) is the whole payload. The part list is read from S3 and
    // the parts' summaries written back to S3, so neither passes through the state.
    const buildPart = new tasks.LambdaInvoke(this, 'Build part', {
      lambdaFunction: this.buildFunction,
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    const fanOut = new sfn.DistributedMap(this, 'Build each part', {
      itemReader: jsonItemFile(trusted, '$.build.parts.key'),
      resultWriterV2: resultsUnder(trusted, MAP_RESULTS_PREFIX),
      itemSelector: {
        jobName: sfn.JsonPath.stringAt('$.detail.jobName'),
        run: sfn.JsonPath.executionName,
        output: sfn.JsonPath.objectAt('$.detail.output'),
        part: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
      },
      maxConcurrency: MAX_PARALLEL_PARTS,
      resultPath: '$.parts',
    });
    fanOut.itemProcessor(buildPart);
    const merge = invoke(
      'Merge parts',
      this.buildFunction,
      sfn.TaskInput.fromObject({
        jobName: sfn.JsonPath.stringAt('$.detail.jobName'),
        run: sfn.JsonPath.executionName,
        merge: sfn.JsonPath.objectAt('$.parts'),
      }),
      '$.build',
    );
    // The job's summary is in $.build now; keep the parts' result location out of the rest of the run.
    const dropParts = new sfn.Pass(this, 'Drop parts', {
      parameters: { detail: sfn.JsonPath.objectAt('$.detail'), build: sfn.JsonPath.objectAt('$.build') },
    });
    catchEvery(fanOut, failureOutcome, '$.failure');
    catchEvery(merge, failureOutcome, '$.failure');

    let activate: sfn.IChainable;
    if (destination === 'pinpoint' && this.applicationId && this.importRole) {
      const pinpointImports = new PinpointImports(this, 'PinpointImports', {
        applicationId: this.applicationId,
        importRole: this.importRole,
        bucket: trusted.bucketName,
        items: jsonItemFile(trusted, '$.build.audienceList.key'),
        results: resultsUnder(trusted, MAP_RESULTS_PREFIX),
        recordFailure: outcomeFunction,
      });
      this.importJobsArn = pinpointImports.importJobsArn;
      const imports = pinpointImports.map;
      catchEvery(imports, failureOutcome, '$.failure');
      activate = imports.next(outcome);
    } else if (destination === 'connect-customer-profiles') {
      if (!props.connect)
        throw new Error('the connect-customer-profiles destination needs its connect props');
      this.connect = new ConnectMembership(this, 'Connect', {
        ...props.connect,
        dataLake,
        notifications: props.notifications,
        holdoutPercent: props.holdoutPercent,
        audiencesPrefix: AUDIENCES_PREFIX,
        items: jsonItemFile(trusted, '$.build.audienceList.key'),
        results: resultsUnder(trusted, MAP_RESULTS_PREFIX),
        removalPolicy: props.removalPolicy,
      });
      catchEvery(this.connect.map, failureOutcome, '$.failure');
      activate = this.connect.map.next(outcome);
    } else {
      activate = new sfn.Pass(this, 'No imports', {
        result: sfn.Result.fromArray([]),
        resultPath: '$.imports',
      }).next(outcome);
    }
    // A hand-written event without these fields would stop the run with an uncatchable
    // States.Runtime error; check them first so the sender gets an email that says what is missing.
    const invalidEvent = new sfn.Pass(this, 'Invalid event', {
      parameters: {
        Error: 'UserFacingError',
        Cause: JSON.stringify({
          errorMessage:
            'The Batch Segment Job State Change event needs detail.jobName (text) and detail.output.bucket and detail.output.key; the schema is in lambdas/core/events/catalog.ts.',
        }),
      },
      resultPath: '$.failure',
    }).next(failureOutcome);
    // IsPresent comes first in each And: any other test of a missing field is itself a runtime error.
    const validEvent = sfn.Condition.and(
      ...['$.detail.jobName', '$.detail.output.bucket', '$.detail.output.key'].flatMap((path) => [
        sfn.Condition.isPresent(path),
        sfn.Condition.isString(path),
      ]),
    );
    const definition = new sfn.Choice(this, 'Valid event?').when(validEvent, build).otherwise(invalidEvent);
    build.next(
      new sfn.Choice(this, 'Several parts?')
        .when(sfn.Condition.isPresent('$.build.fanOut'), fanOut.next(merge).next(dropParts).next(activate))
        .otherwise(activate),
    );

    this.stateMachine = new CdpWorkflow(this, 'Workflow', {
      name: 'activation',
      definition,
      // Bounded: the slowest path is the build (15 min) plus every import's hour of polling.
      timeout: Duration.hours(24),
      invokes: [
        this.buildFunction,
        outcomeFunction,
        ...(this.connect ? [this.connect.audienceFunction] : []),
      ],
      startOn: {
        eventBus: props.eventBus,
        event: EVENTS.batchSegmentJobStateChange,
        detail: { status: ['ACTIVE'] },
      },
      notifications: props.notifications,
      alarmDescription: 'An audience activation workflow failed without reporting why',
      removalPolicy: props.removalPolicy,
    });
    // The maps read their item files and write their results, under these prefixes only.
    dataLake.grantTrustedPrefix(this.stateMachine.role, MAP_ITEMS_PREFIX, { list: false, write: false });
    dataLake.grantTrustedPrefix(this.stateMachine.role, MAP_RESULTS_PREFIX, { list: false, write: true });
    this.stateMachine.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListMultipartUploadParts'],
        resources: [trusted.arnForObjects(`${MAP_RESULTS_PREFIX}*`)],
      }),
    );
    if (this.importJobsArn) {
      acknowledgeWildcardArn(
        this.stateMachine.role,
        this.importJobsArn,
        "Import job IDs are only known at run time; the wildcard stays inside this project's import jobs.",
      );
    }
  }
}
