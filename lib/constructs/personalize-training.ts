import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { acknowledgeWildcardArn } from '../nag';
import { CdpFunction } from './cdp-function';
import { catchEvery, CdpWorkflow } from './cdp-workflow';
import {
  type DataLake,
  PERSONALIZE_IMPORT_PREFIX,
  SEGMENT_OUTPUT_PREFIX,
  SEGMENT_QUERIES_PREFIX,
} from './data-lake';
import type { EventBus } from './event-bus';
import type { Notifications } from './notifications';
import { campaignSteps } from './personalize-campaign';
import { eventTrackerSteps } from './personalize-event-tracker';
import { createOrReuse, createOrReuseEither, personalizeCall, waitForActive } from './personalize-poll';

/** Props of the training workflow. */
export interface PersonalizeTrainingProps {
  readonly dataLake: DataLake;
  readonly eventBus: EventBus;
  readonly notifications: Notifications;
  readonly removalPolicy: RemovalPolicy;
  /**
   * With the real-time relay on: the SSM parameter the workflow writes the dataset group's event
   * tracker ID to. Unset, no event tracker is created.
   */
  readonly trackingIdParameterName?: string;
  /**
   * With real-time recommendations on: the campaign the workflow creates (or updates) from a
   * USER_PERSONALIZATION solution version, and the URL serving it. Unset, no campaign is created.
   */
  readonly recommendations?: {
    readonly campaignName: string;
    readonly campaignArn: string;
    readonly minProvisionedTps: number;
    readonly url: string;
  };
}

/** Personalize's quota of batch segment jobs running at once. */
export const CONCURRENT_SEGMENT_JOBS = 5;
/** How often and how many times each kind of resource is checked (Personalize has no `.sync`). */
export const POLLS = {
  quick: { interval: Duration.seconds(30), maxPolls: 60 }, // dataset group, dataset, solution: 30 min
  importJob: { interval: Duration.minutes(1), maxPolls: 180 }, // 3 h
  training: { interval: Duration.minutes(5), maxPolls: 96 }, // 8 h
  segmentJob: { interval: Duration.minutes(2), maxPolls: 180 }, // 6 h
} as const;
/** The whole run, whatever the polls say. */
export const TRAINING_TIMEOUT = Duration.hours(24);

/**
 * The training workflow: a training.json uploaded to `personalize/<group>/` in the landing zone
 * starts it (named from key and ETag, so a re-delivered event starts nothing). A Lambda runs the
 * pre-flight and writes the validated copies and job inputs; then SDK integrations create or reuse
 * the dataset group, schemas, datasets, import jobs and solution, train a solution version, and
 * run the batch segment jobs (at most 5 at once), each ending in `Batch Segment Job State Change`.
 */
export class PersonalizeTraining extends Construct {
  readonly stateMachine: CdpWorkflow;
  /** The role Personalize assumes to read the imports and queries and write the segments. */
  readonly personalizeRole: iam.Role;

  constructor(scope: Construct, id: string, props: PersonalizeTrainingProps) {
    super(scope, id);
    const { dataLake, eventBus } = props;
    const stack = Stack.of(this);
    const personalizeArn = (type: string) =>
      `arn:${stack.partition}:personalize:${stack.region}:${stack.account}:${type}/*`;

    this.personalizeRole = new iam.Role(this, 'PersonalizeRole', {
      assumedBy: new iam.ServicePrincipal('personalize.amazonaws.com', {
        // Only for this account's Personalize resources (confused deputy).
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:personalize:${stack.region}:${stack.account}:*`,
          },
        },
      }),
      description: 'Lets Personalize read the training imports and segment queries and write the segments',
    });
    dataLake.grantTrustedPrefix(this.personalizeRole, PERSONALIZE_IMPORT_PREFIX, {
      list: true,
      write: false,
    });
    dataLake.grantTrustedPrefix(this.personalizeRole, SEGMENT_QUERIES_PREFIX, { list: true, write: false });
    dataLake.grantTrustedPrefix(this.personalizeRole, SEGMENT_OUTPUT_PREFIX, { list: true, write: true });

    const prepare = new CdpFunction(this, 'Prepare', {
      handler: 'prepare-training',
      description: 'Pre-flight of a training run: validated copies, job inputs and the plan',
      environment: { TRUSTED_BUCKET: dataLake.trusted.bucketName },
      memorySize: 1024,
      timeout: Duration.minutes(15),
      logRemovalPolicy: props.removalPolicy,
    });
    // Read and list under personalize/ only: without ListBucket a missing users.csv reads as 403, not 404.
    prepare.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [dataLake.landing.arnForObjects('personalize/*')],
      }),
    );
    prepare.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [dataLake.landing.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['personalize/*'] } },
      }),
    );
    dataLake.key.grantDecrypt(prepare);
    dataLake.grantTrustedPrefix(prepare.role!, PERSONALIZE_IMPORT_PREFIX, { list: false, write: true });
    dataLake.grantTrustedPrefix(prepare.role!, SEGMENT_QUERIES_PREFIX, { list: false, write: true });
    acknowledgeWildcardArn(
      prepare.role!,
      dataLake.landing.arnForObjects('personalize/*'),
      'The training files land under personalize/<group>/, named by the user; reads stay inside that prefix.',
    );

    const definition = this.definition(
      prepare,
      eventBus,
      props.trackingIdParameterName,
      props.recommendations,
    );
    this.stateMachine = new CdpWorkflow(this, 'Workflow', {
      name: 'training',
      definition,
      timeout: TRAINING_TIMEOUT,
      invokes: [prepare],
      notifications: props.notifications,
      alarmDescription: 'A Personalize training run failed; the failure email says why.',
      removalPolicy: props.removalPolicy,
    });
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.personalizeRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'personalize.amazonaws.com' } },
      }),
    );
    for (const type of [
      'dataset-group',
      'schema',
      'dataset',
      'dataset-import-job',
      'solution',
      'batch-segment-job',
      'filter',
      'recipe',
      ...(props.trackingIdParameterName ? ['event-tracker'] : []),
    ]) {
      acknowledgeWildcardArn(
        role,
        type === 'recipe' ? `arn:${stack.partition}:personalize:::recipe/*` : personalizeArn(type),
        `Personalize ${type} names come from training.json at run time; the grant stays on that resource type in this account and region.`,
      );
    }

    const start = new CdpFunction(this, 'Start', {
      handler: 'start-training',
      description: 'Starts the training workflow for an uploaded training.json, named from key and ETag',
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      logRemovalPolicy: props.removalPolicy,
    });
    this.stateMachine.grantStartExecution(start);
    // training.json only: the ingestion workflow reacts to the CSVs beside it.
    new events.Rule(this, 'TrainingJsonUploaded', {
      description: 'Starts a training run when personalize/<group>/training.json lands',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [dataLake.landing.bucketName] },
          object: { key: [{ wildcard: 'personalize/*/training.json' }] },
        },
      },
    }).addTarget(
      new targets.LambdaFunction(start, {
        deadLetterQueue: props.notifications.deadLetterQueue,
        retryAttempts: 4,
      }),
    );
  }

  private definition(
    prepare: CdpFunction,
    eventBus: EventBus,
    trackingIdParameterName: string | undefined,
    recommendations: PersonalizeTrainingProps['recommendations'],
  ): sfn.IChainable {
    const stack = Stack.of(this);
    const type = (name: string) =>
      `arn:${stack.partition}:personalize:${stack.region}:${stack.account}:${name}/*`;
    const plan = '$.prepare.plan';

    const run = new tasks.LambdaInvoke(this, 'Pre-flight', {
      lambdaFunction: prepare,
      payload: sfn.TaskInput.fromObject({
        bucket: sfn.JsonPath.stringAt('$.bucket'),
        key: sfn.JsonPath.stringAt('$.key'),
        etag: sfn.JsonPath.stringAt('$.etag'),
      }),
      payloadResponseOnly: true,
      resultPath: '$.prepare',
      retryOnServiceExceptions: true,
    });

    const preflightFailed = eventBus
      .publishTask(
        this,
        'Publish pre-flight failed',
        EVENTS.trainingWorkflowFailed.detailType,
        sfn.TaskInput.fromObject({
          datasetGroup: sfn.JsonPath.stringAt('$.prepare.datasetGroup'),
          run: sfn.JsonPath.stringAt('$.prepare.run'),
          reason: sfn.JsonPath.stringAt('$.prepare.reason'),
          problems: sfn.JsonPath.objectAt('$.prepare.problems'),
          moreProblems: sfn.JsonPath.numberAt('$.prepare.moreProblems'),
        }),
      )
      .next(
        new sfn.Fail(this, 'Training cannot start', {
          error: 'PreflightFailed',
          cause: 'The pre-flight found problems; the email lists them.',
        }),
      );

    // Dataset group: a Domain dataset group when training.json names a domain.
    const groupArn = sfn.JsonPath.stringAt(`${plan}.datasetGroup.arn`);
    const groupName = sfn.JsonPath.stringAt(`${plan}.datasetGroup.name`);
    const datasetGroup = createOrReuseEither(
      this,
      'Domain dataset group?',
      sfn.Condition.isPresent(`${plan}.datasetGroup.domain`),
      personalizeCall(this, 'Create domain dataset group', {
        action: 'createDatasetGroup',
        parameters: { Name: groupName, Domain: sfn.JsonPath.stringAt(`${plan}.datasetGroup.domain`) },
        iamResources: [type('dataset-group')],
      }),
      personalizeCall(this, 'Create dataset group', {
        action: 'createDatasetGroup',
        parameters: { Name: groupName },
        iamResources: [type('dataset-group')],
      }),
      waitForActive(this, 'Dataset group', {
        name: 'dataset group',
        action: 'describeDatasetGroup',
        parameters: { DatasetGroupArn: groupArn },
        iamResources: [type('dataset-group')],
        responseKey: 'DatasetGroup',
        statePath: '$.poll',
        ...POLLS.quick,
      }),
    );

    // Import jobs (each run makes a new one).
    const importJob = createOrReuse(
      personalizeCall(this, 'Create import job', {
        action: 'createDatasetImportJob',
        parameters: {
          JobName: sfn.JsonPath.stringAt('$.dataset.importJobName'),
          DatasetArn: sfn.JsonPath.stringAt('$.dataset.datasetArn'),
          DataSource: { DataLocation: sfn.JsonPath.stringAt('$.dataset.dataLocation') },
          RoleArn: this.personalizeRole.roleArn,
          ImportMode: 'FULL',
        },
        iamResources: [type('dataset-import-job'), type('dataset')],
      }),
      waitForActive(this, 'Import job', {
        name: 'import job',
        action: 'describeDatasetImportJob',
        parameters: { DatasetImportJobArn: sfn.JsonPath.stringAt('$.dataset.importJobArn') },
        iamResources: [type('dataset-import-job')],
        responseKey: 'DatasetImportJob',
        statePath: '$.poll',
        ...POLLS.importJob,
      }),
    );
    // A dataset that exists on an older schema (training.json changed it) moves to the new one
    // (UpdateDataset); Personalize's failure reason says why when the schemas are not compatible.
    const schemaUpdate = personalizeCall(this, 'Update dataset schema', {
      action: 'updateDataset',
      parameters: {
        DatasetArn: sfn.JsonPath.stringAt('$.dataset.datasetArn'),
        SchemaArn: sfn.JsonPath.stringAt('$.dataset.schemaArn'),
      },
      iamResources: [type('dataset'), type('schema')],
    }).next(
      waitForActive(this, 'Dataset update', {
        name: 'dataset update',
        action: 'describeDataset',
        parameters: { DatasetArn: sfn.JsonPath.stringAt('$.dataset.datasetArn') },
        iamResources: [type('dataset')],
        responseKey: 'Dataset',
        statePath: '$.poll',
        failedStatus: 'UPDATE FAILED',
        failureReasonField: 'LatestDatasetUpdate.FailureReason',
        ...POLLS.quick,
      }),
    );
    const onPlannedSchema = new sfn.Choice(this, 'Dataset on the planned schema?')
      .when(
        sfn.Condition.stringEqualsJsonPath('$.poll.last.resource.SchemaArn', '$.dataset.schemaArn'),
        importJob,
      )
      .otherwise(schemaUpdate.next(importJob));

    // Schemas, datasets and import jobs, one branch per dataset.
    const importOne = createOrReuseEither(
      this,
      'Domain schema?',
      sfn.Condition.isPresent('$.dataset.domain'),
      personalizeCall(this, 'Create domain schema', {
        action: 'createSchema',
        parameters: {
          Name: sfn.JsonPath.stringAt('$.dataset.schemaName'),
          Schema: sfn.JsonPath.stringAt('$.dataset.schema'),
          Domain: sfn.JsonPath.stringAt('$.dataset.domain'),
        },
        iamResources: [type('schema')],
      }),
      personalizeCall(this, 'Create schema', {
        action: 'createSchema',
        parameters: {
          Name: sfn.JsonPath.stringAt('$.dataset.schemaName'),
          Schema: sfn.JsonPath.stringAt('$.dataset.schema'),
        },
        iamResources: [type('schema')],
      }),
      createOrReuse(
        personalizeCall(this, 'Create dataset', {
          action: 'createDataset',
          parameters: {
            Name: sfn.JsonPath.stringAt('$.dataset.datasetName'),
            DatasetGroupArn: sfn.JsonPath.stringAt('$.datasetGroupArn'),
            DatasetType: sfn.JsonPath.stringAt('$.dataset.datasetType'),
            SchemaArn: sfn.JsonPath.stringAt('$.dataset.schemaArn'),
          },
          iamResources: [type('dataset'), type('dataset-group'), type('schema')],
        }),
        waitForActive(this, 'Dataset', {
          name: 'dataset',
          action: 'describeDataset',
          parameters: { DatasetArn: sfn.JsonPath.stringAt('$.dataset.datasetArn') },
          iamResources: [type('dataset')],
          responseKey: 'Dataset',
          statePath: '$.poll',
          ...POLLS.quick,
        }).next(onPlannedSchema),
      ),
    );
    const imports = new sfn.Map(this, 'Import each dataset', {
      itemsPath: `${plan}.datasets`,
      maxConcurrency: 3,
      itemSelector: {
        dataset: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        datasetGroupArn: groupArn,
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    imports.itemProcessor(importOne);

    // Solution and a new solution version.
    const solutionArn = sfn.JsonPath.stringAt(`${plan}.solution.arn`);
    const solution = createOrReuse(
      personalizeCall(this, 'Create solution', {
        action: 'createSolution',
        parameters: {
          Name: sfn.JsonPath.stringAt(`${plan}.solution.name`),
          DatasetGroupArn: groupArn,
          RecipeArn: sfn.JsonPath.stringAt(`${plan}.solution.recipeArn`),
          PerformAutoTraining: sfn.JsonPath.stringAt(`${plan}.solution.performAutoTraining`),
          PerformHPO: sfn.JsonPath.stringAt(`${plan}.solution.performHPO`),
        },
        iamResources: [
          type('solution'),
          type('dataset-group'),
          `arn:${stack.partition}:personalize:::recipe/*`,
        ],
      }),
      waitForActive(this, 'Solution', {
        name: 'solution',
        action: 'describeSolution',
        parameters: { SolutionArn: solutionArn },
        iamResources: [type('solution')],
        responseKey: 'Solution',
        statePath: '$.poll',
        ...POLLS.quick,
      }),
    );
    const train = personalizeCall(this, 'Create solution version', {
      action: 'createSolutionVersion',
      parameters: { SolutionArn: solutionArn, TrainingMode: 'FULL' },
      iamResources: [type('solution')],
      resultSelector: { arn: sfn.JsonPath.stringAt('$.SolutionVersionArn') },
      resultPath: '$.solutionVersion',
    });
    const trained = waitForActive(this, 'Solution version', {
      name: 'solution version',
      action: 'describeSolutionVersion',
      parameters: { SolutionVersionArn: sfn.JsonPath.stringAt('$.solutionVersion.arn') },
      iamResources: [type('solution')],
      responseKey: 'SolutionVersion',
      statePath: '$.poll',
      ...POLLS.training,
    });
    const metrics = personalizeCall(this, 'Get solution metrics', {
      action: 'getSolutionMetrics',
      parameters: { SolutionVersionArn: sfn.JsonPath.stringAt('$.solutionVersion.arn') },
      iamResources: [type('solution')],
      resultSelector: { values: sfn.JsonPath.objectAt('$.Metrics') },
      resultPath: '$.metrics',
    });

    const jobs = this.segmentJobs(eventBus, type);

    const tracker = trackingIdParameterName
      ? eventTrackerSteps(this, {
          parameterName: trackingIdParameterName,
          datasetGroupArn: groupArn,
          trackerName: sfn.JsonPath.stringAt(`${plan}.eventTracker.name`),
          type,
          ...POLLS.quick,
        })
      : undefined;
    const trainBranch = sfn.Chain.start(datasetGroup)
      .next(tracker ? imports.next(tracker) : imports)
      .next(solution)
      .next(train)
      .next(trained)
      .next(metrics)
      .next(recommendations ? jobs.next(campaignSteps(this, { ...recommendations, groupArn, type })) : jobs)
      .next(
        new sfn.Pass(this, 'Trained', {
          parameters: {
            solutionVersionArn: sfn.JsonPath.stringAt('$.solutionVersion.arn'),
            metrics: sfn.JsonPath.objectAt('$.metrics.values'),
            jobs: sfn.JsonPath.objectAt('$.jobs'),
          },
        }),
      );
    const training = new sfn.Parallel(this, 'Train', {
      resultSelector: { result: sfn.JsonPath.objectAt('$[0]') },
      resultPath: '$.trained',
    });
    training.branch(trainBranch);

    const succeeded = eventBus.publishTask(
      this,
      'Publish training succeeded',
      EVENTS.trainingWorkflowSucceeded.detailType,
      sfn.TaskInput.fromObject({
        datasetGroup: sfn.JsonPath.stringAt(`${plan}.datasetGroup.name`),
        run: sfn.JsonPath.stringAt(`${plan}.run`),
        solutionVersionArn: sfn.JsonPath.stringAt('$.trained.result.solutionVersionArn'),
        metrics: sfn.JsonPath.objectAt('$.trained.result.metrics'),
        jobs: sfn.JsonPath.objectAt('$.trained.result.jobs'),
        skippedRows: sfn.JsonPath.numberAt('$.prepare.skippedRows'),
        ...(recommendations
          ? { recommendations: { campaignArn: recommendations.campaignArn, url: recommendations.url } }
          : {}),
      }),
    );
    const failed = eventBus
      .publishTask(
        this,
        'Publish training failed',
        EVENTS.trainingWorkflowFailed.detailType,
        sfn.TaskInput.fromObject({
          datasetGroup: sfn.JsonPath.stringAt(`${plan}.datasetGroup.name`),
          run: sfn.JsonPath.stringAt(`${plan}.run`),
          reason: 'A Personalize step of the training run failed.',
          failure: {
            error: sfn.JsonPath.stringAt('$.failure.Error'),
            cause: sfn.JsonPath.stringAt('$.failure.Cause'),
          },
        }),
      )
      .next(
        new sfn.Fail(this, 'Training failed', {
          error: 'TrainingFailed',
          cause: 'A Personalize step failed; the email says which and why.',
        }),
      );
    catchEvery(training, failed, '$.failure');

    const crashed = eventBus
      .publishTask(
        this,
        'Publish pre-flight crashed',
        EVENTS.trainingWorkflowFailed.detailType,
        sfn.TaskInput.fromObject({
          reason: 'The pre-flight step failed.',
          failure: {
            error: sfn.JsonPath.stringAt('$.failure.Error'),
            cause: sfn.JsonPath.stringAt('$.failure.Cause'),
          },
        }),
      )
      .next(
        new sfn.Fail(this, 'Pre-flight crashed', {
          error: 'PreflightCrashed',
          cause: 'The pre-flight Lambda failed; the email says why.',
        }),
      );
    catchEvery(run, crashed, '$.failure');

    return sfn.Chain.start(run).next(
      new sfn.Choice(this, 'Can training start?')
        .when(sfn.Condition.booleanEquals('$.prepare.ok', true), training.next(succeeded))
        .otherwise(preflightFailed),
    );
  }

  /** One batch segment job per planned part, at most 5 at once; each ends in a job event. */
  private segmentJobs(eventBus: EventBus, type: (name: string) => string): sfn.Map {
    const common = {
      JobName: sfn.JsonPath.stringAt('$.job.jobName'),
      SolutionVersionArn: sfn.JsonPath.stringAt('$.solutionVersionArn'),
      NumResults: sfn.JsonPath.numberAt('$.job.numResults'),
      JobInput: { S3DataSource: { Path: sfn.JsonPath.stringAt('$.job.input') } },
      JobOutput: { S3DataDestination: { Path: sfn.JsonPath.stringAt('$.job.output') } },
      RoleArn: this.personalizeRole.roleArn,
    };
    const resources = [type('batch-segment-job'), type('solution'), type('filter')];
    const create = personalizeCall(this, 'Create batch segment job', {
      action: 'createBatchSegmentJob',
      parameters: common,
      iamResources: resources,
    });
    const createFiltered = personalizeCall(this, 'Create filtered batch segment job', {
      action: 'createBatchSegmentJob',
      parameters: { ...common, FilterArn: sfn.JsonPath.stringAt('$.job.filterArn') },
      iamResources: resources,
    });

    const event = (status: 'ACTIVE' | 'FAILED') => ({
      jobName: sfn.JsonPath.stringAt('$.job.jobName'),
      jobArn: sfn.JsonPath.stringAt('$.job.jobArn'),
      status,
      output: { bucket: sfn.JsonPath.stringAt('$.bucket'), key: sfn.JsonPath.stringAt('$.job.outputKey') },
      recipe: sfn.JsonPath.stringAt('$.recipe'),
      ...(status === 'FAILED'
        ? { failureReason: sfn.JsonPath.stringAt('$.poll.last.resource.FailureReason') }
        : {}),
    });
    const doneActive = eventBus
      .publishTask(
        this,
        'Publish job active',
        EVENTS.batchSegmentJobStateChange.detailType,
        sfn.TaskInput.fromObject(event('ACTIVE')),
      )
      .next(
        new sfn.Pass(this, 'Job active', {
          parameters: { jobName: sfn.JsonPath.stringAt('$.job.jobName'), status: 'ACTIVE' },
        }),
      );
    const doneFailed = eventBus
      .publishTask(
        this,
        'Publish job failed',
        EVENTS.batchSegmentJobStateChange.detailType,
        sfn.TaskInput.fromObject(event('FAILED')),
      )
      .next(
        new sfn.Pass(this, 'Job failed', {
          parameters: {
            jobName: sfn.JsonPath.stringAt('$.job.jobName'),
            status: 'FAILED',
            failureReason: sfn.JsonPath.stringAt('$.poll.last.resource.FailureReason'),
          },
        }),
      );
    const wait = waitForActive(this, 'Batch segment job', {
      name: 'batch segment job',
      action: 'describeBatchSegmentJob',
      parameters: { BatchSegmentJobArn: sfn.JsonPath.stringAt('$.job.jobArn') },
      iamResources: [type('batch-segment-job')],
      responseKey: 'BatchSegmentJob',
      statePath: '$.poll',
      onFailed: doneFailed,
      ...POLLS.segmentJob,
    }).next(doneActive);
    create.addCatch(wait, {
      errors: ['Personalize.ResourceAlreadyExistsException'],
      resultPath: sfn.JsonPath.DISCARD,
    });
    createFiltered.addCatch(wait, {
      errors: ['Personalize.ResourceAlreadyExistsException'],
      resultPath: sfn.JsonPath.DISCARD,
    });
    const chooser = new sfn.Choice(this, 'Filtered?')
      .when(sfn.Condition.isPresent('$.job.filterArn'), createFiltered.next(wait))
      .otherwise(create.next(wait));

    const map = new sfn.Map(this, 'Run each batch segment job', {
      itemsPath: '$.prepare.plan.jobs',
      maxConcurrency: CONCURRENT_SEGMENT_JOBS,
      itemSelector: {
        job: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        solutionVersionArn: sfn.JsonPath.stringAt('$.solutionVersion.arn'),
        recipe: sfn.JsonPath.stringAt('$.prepare.plan.recipe'),
        bucket: sfn.JsonPath.stringAt('$.prepare.plan.trustedBucket'),
      },
      resultPath: '$.jobs',
    });
    map.itemProcessor(chooser);
    return map;
  }
}
