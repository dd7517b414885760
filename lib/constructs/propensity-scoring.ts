import {
  ArnFormat,
  Aws,
  CfnMapping,
  Duration,
  type RemovalPolicy,
  Size,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeWildcard, acknowledgeWildcardArn } from '../nag';
import { EVENTS } from '../../lambdas/core/events/catalog';
import {
  type PropensityModelName,
  PROPENSITY_MODELS,
  RUN_TABLE_PREFIX,
} from '../../lambdas/core/propensity/athena-export';
import { PROPENSITY_WORK_PREFIX, sageMakerNamePrefix } from '../../lambdas/core/propensity/cloud-run';
import { SCORES_PREFIX, WINBACK_SEGMENTS_PREFIX } from '../../lambdas/core/propensity/cloud-scores';
import { CdpFunction } from './cdp-function';
import { catchEvery, CdpWorkflow } from './cdp-workflow';
import type { DataLake } from './data-lake';
import type { EventBus } from './event-bus';
import type { Notifications } from './notifications';
import { XGBOOST_ACCOUNTS, XGBOOST_VERSION, xgboostImage } from './propensity-images';
import type { TrustedCatalog } from './trusted-catalog';

/** Every purchase `Dataset Ingested` within this many minutes starts one run, at the window's end. */
export const PROPENSITY_WINDOW_MINUTES = 60;
/** Purchases: what the labels and most features are made of. */
export const PURCHASE_DATASETS = ['web/orders', 'store/sales'] as const;
/** Athena query results (the CTAS statements' own, small) in the trusted bucket. */
export const ATHENA_RESULTS_PREFIX = 'athena-results/propensity/';

/**
 * An S3 location read from the state at run time. The CDK's `S3Location.fromJsonExpression` grants
 * the SageMaker role s3:GetObject/PutObject on every bucket (`*`); this one grants nothing, and the
 * construct grants the role `propensity/` of the trusted bucket instead.
 */
class RuntimeS3Location extends tasks.S3Location {
  constructor(private readonly path: string) {
    super();
  }
  bind(): tasks.S3LocationConfig {
    return { uri: sfn.JsonPath.stringAt(this.path) };
  }
}
const runtimeS3Location = (path: string) => new RuntimeS3Location(path);

/** A Glue database or table ARN (`table/<database>/<table>`). */
const glueResourceArn = (stack: Stack, resource: 'database' | 'table', name: string) =>
  stack.formatArn({
    service: 'glue',
    resource,
    resourceName: name,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });

/** Props of the propensity scoring. */
export interface PropensityScoringProps {
  readonly dataLake: DataLake;
  readonly eventBus: EventBus;
  readonly notifications: Notifications;
  /** The Glue tables of the trusted zone the feature SQL reads. */
  readonly catalog: TrustedCatalog;
  /** Resource name prefix (deployment). */
  readonly namePrefix: string;
  /** Label windows, days. */
  readonly churnDays: number;
  readonly repurchaseDays: number;
  /** Below this validation AUC (either model) nothing is published. */
  readonly aucFloor: number;
  /** Share of past buyers, highest churn risk first, in the win-back audience. */
  readonly winbackTopPercent: number;
  /** SageMaker instance type of training and batch transform. */
  readonly instanceType: string;
  /** An EventBridge Scheduler expression (`cron(…)`/`rate(…)`), or undefined for no schedule. */
  readonly schedule?: string;
  /** Start a run (debounced) when purchases are ingested. */
  readonly startOnIngest: boolean;
  /**
   * Days the working files of a run (`propensity/<run>/`: CSVs, model artifacts, transform
   * outputs) and the Athena query results are kept; `scores/<run>/` is kept.
   */
  readonly workRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Churn and repurchase scores on AWS: the feature SQL on Athena (CTAS into headerless CSVs), one
 * SageMaker XGBoost training job per model, a quality gate on the validation AUC, batch transform
 * to `customer_id,score`, then `scores/<run>/` and `Propensity Scores Ready` (the Segment sync) and
 * the win-back audience (the activation workflow).
 */
export class PropensityScoring extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The role SageMaker assumes for training and transform. */
  readonly sageMakerRole: iam.Role;
  readonly workGroup: athena.CfnWorkGroup;
  readonly workDatabase: glue.CfnDatabase;
  readonly image: string;
  readonly schedule?: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: PropensityScoringProps) {
    super(scope, id);
    const { dataLake, eventBus, notifications } = props;
    const stack = Stack.of(this);
    const trusted = dataLake.trusted;
    const key = dataLake.key;
    // A region-agnostic stack (no env region) picks the account from the same table at deploy time.
    this.image = Token.isUnresolved(stack.region)
      ? `${new CfnMapping(this, 'XgboostAccounts', {
          mapping: Object.fromEntries(
            Object.entries(XGBOOST_ACCOUNTS).map(([r, account]) => [r, { account }]),
          ),
        }).findInMap(
          Aws.REGION,
          'account',
        )}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/sagemaker-xgboost:${XGBOOST_VERSION}`
      : xgboostImage(stack.region);
    const namePrefix = sageMakerNamePrefix(props.namePrefix);
    const trustedDatabase = props.catalog.database.ref;
    const workDatabaseName = `${props.namePrefix.replace(/-/g, '_')}_propensity`;

    // --- Athena -------------------------------------------------------------------------
    this.workDatabase = new glue.CfnDatabase(this, 'WorkDatabase', {
      catalogId: stack.account,
      databaseInput: {
        name: workDatabaseName,
        description: 'cdp-audiences propensity runs: the CTAS tables of each run (features, CSVs)',
      },
    });
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${props.namePrefix}-propensity`,
      description: 'Propensity feature queries; results encrypted with the data lake key',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        // A runaway query stops at 100 GB scanned (about $0.50 at $5/TB).
        bytesScannedCutoffPerQuery: 100 * 1024 ** 3,
        resultConfiguration: {
          outputLocation: `s3://${trusted.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn },
        },
      },
    });

    // A run's working files are read within the run; an S3 lifecycle rule expires them (no
    // delete step, so a failed run's files go too). The versioned bucket's noncurrent-version
    // rule then removes them for good. scores/<run>/ (scores and report) is not under these prefixes.
    if (!Number.isInteger(props.workRetentionDays) || props.workRetentionDays < 1) {
      throw new Error(`workRetentionDays must be a whole number of days ≥ 1, not ${props.workRetentionDays}`);
    }
    for (const [id, prefix] of [
      ['expire-propensity-work', PROPENSITY_WORK_PREFIX],
      ['expire-propensity-athena-results', ATHENA_RESULTS_PREFIX],
    ] as const) {
      trusted.addLifecycleRule({ id, prefix, expiration: Duration.days(props.workRetentionDays) });
    }

    // --- Lambdas ------------------------------------------------------------------------
    const environment = {
      TRUSTED_BUCKET: trusted.bucketName,
      WORK_DATABASE: workDatabaseName,
      NAME_PREFIX: props.namePrefix,
      CHURN_DAYS: String(props.churnDays),
      REPURCHASE_DAYS: String(props.repurchaseDays),
    };
    const planFunction = new CdpFunction(this, 'Plan', {
      handler: 'plan-propensity',
      description: 'Plans a propensity run: names, S3 places and the Athena statements',
      environment,
      logRemovalPolicy: props.removalPolicy,
    });
    const gateFunction = new CdpFunction(this, 'Gate', {
      handler: 'propensity-gate',
      description: 'Reads the validation AUC of each training job against the floor',
      logRemovalPolicy: props.removalPolicy,
    });
    const publishFunction = new CdpFunction(this, 'Publish', {
      handler: 'publish-propensity',
      description: 'Writes scores/<run>/ (scores, report) and the win-back audience line',
      // Holds the churn scores of every customer (a Map) to pick the win-back audience.
      memorySize: 3008,
      timeout: Duration.minutes(15),
      environment: {
        TRUSTED_BUCKET: trusted.bucketName,
        WINBACK_TOP_PERCENT: String(props.winbackTopPercent),
      },
      logRemovalPolicy: props.removalPolicy,
    });
    dataLake.grantTrustedPrefix(publishFunction.role!, PROPENSITY_WORK_PREFIX, { list: true, write: false });
    dataLake.grantTrustedPrefix(publishFunction.role!, SCORES_PREFIX, { list: false, write: true });
    dataLake.grantTrustedPrefix(publishFunction.role!, `${WINBACK_SEGMENTS_PREFIX}propensity-`, {
      list: false,
      write: true,
    });

    // --- SageMaker role -----------------------------------------------------------------
    const sageMakerArn = (resource: string) =>
      stack.formatArn({
        service: 'sagemaker',
        resource,
        resourceName: `${namePrefix}*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    this.sageMakerRole = new iam.Role(this, 'SageMakerRole', {
      // Only this deployment's jobs may assume it (confused deputy).
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': [
              sageMakerArn('training-job'),
              sageMakerArn('transform-job'),
              sageMakerArn('model'),
            ],
          },
        },
      }),
      description: 'SageMaker training and batch transform of the propensity models: propensity/ only',
    });
    // Reads the CSVs, writes the model artifacts and transform outputs: all under propensity/.
    dataLake.grantTrustedPrefix(this.sageMakerRole, PROPENSITY_WORK_PREFIX, { list: true, write: true });
    const logGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws/sagemaker/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.sageMakerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [logGroups, `${logGroups}:log-stream:*`],
      }),
    );
    this.sageMakerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );
    acknowledgeWildcardArn(
      this.sageMakerRole,
      logGroups,
      'SageMaker names its log groups /aws/sagemaker/TrainingJobs and /aws/sagemaker/TransformJobs.',
    );
    acknowledgeWildcardArn(
      this.sageMakerRole,
      `${logGroups}:log-stream:*`,
      'Log streams are named per job at run time.',
    );
    acknowledgeWildcard(
      this.sageMakerRole,
      'Resource::*',
      'PutMetricData accepts no resource; the condition limits it to the SageMaker namespaces.',
    );

    // --- the workflow -------------------------------------------------------------------
    const plan = new tasks.LambdaInvoke(this, 'Plan run', {
      lambdaFunction: planFunction,
      payload: sfn.TaskInput.fromObject({
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        input: sfn.JsonPath.entirePayload,
      }),
      payloadResponseOnly: true,
      resultPath: '$.plan',
      retryOnServiceExceptions: true,
    });
    const query = (name: string, statement: string) =>
      new tasks.AthenaStartQueryExecution(this, name, {
        queryString: sfn.JsonPath.stringAt(`$.plan.queries.${statement}`),
        queryExecutionContext: { catalogName: 'AwsDataCatalog', databaseName: trustedDatabase },
        workGroup: this.workGroup.name,
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        resultPath: sfn.JsonPath.DISCARD,
      });
    const features = query('Compute features', 'features');
    const exports = new sfn.Parallel(this, 'Export CSVs', { resultPath: sfn.JsonPath.DISCARD });
    for (const [name, statement] of [
      ['Export churn training', 'churnTrain'],
      ['Export churn validation', 'churnValidation'],
      ['Export repurchase training', 'repurchaseTrain'],
      ['Export repurchase validation', 'repurchaseValidation'],
      ['Export scoring', 'scoring'],
    ] as const) {
      exports.branch(query(name, statement));
    }

    const image = tasks.DockerImage.fromRegistry(this.image);
    const training = new sfn.Parallel(this, 'Train models', { resultPath: '$.trained' });
    const trainingTask = (model: PropensityModelName) =>
      new tasks.SageMakerCreateTrainingJob(this, `Train ${model}`, {
        trainingJobName: sfn.JsonPath.stringAt(`$.plan.${model}.trainingJobName`),
        // .sync: the state ends when the job does, with DescribeTrainingJob as its result.
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        role: this.sageMakerRole,
        algorithmSpecification: { trainingImage: image, trainingInputMode: tasks.InputMode.FILE },
        hyperparameters: {
          objective: 'binary:logistic',
          eval_metric: 'auc',
          num_round: '500',
          early_stopping_rounds: '20',
          max_depth: '6',
          eta: '0.1',
          subsample: '0.8',
          min_child_weight: '5',
        },
        inputDataConfig: (['train', 'validation'] as const).map((channel) => ({
          channelName: channel,
          contentType: 'text/csv',
          dataSource: {
            s3DataSource: {
              s3DataType: tasks.S3DataType.S3_PREFIX,
              s3Location: runtimeS3Location(`$.plan.${model}.${channel}`),
            },
          },
        })),
        outputDataConfig: {
          s3OutputLocation: runtimeS3Location(`$.plan.${model}.modelOutput`),
          encryptionKey: key,
        },
        resourceConfig: {
          instanceCount: 1,
          // CDK writes `ml.` before the EC2 name.
          instanceType: new ec2.InstanceType(props.instanceType.replace(/^ml\./, '')),
          volumeSize: Size.gibibytes(30),
          volumeEncryptionKey: key,
        },
        stoppingCondition: { maxRuntime: Duration.hours(2) },
        enableNetworkIsolation: true,
        resultSelector: {
          model,
          'trainingJobName.$': '$.TrainingJobName',
          'finalMetrics.$': '$.FinalMetricDataList',
          'modelArtifacts.$': '$.ModelArtifacts.S3ModelArtifacts',
        },
      });
    for (const model of PROPENSITY_MODELS) training.branch(trainingTask(model));

    const gate = new tasks.LambdaInvoke(this, 'Check quality', {
      lambdaFunction: gateFunction,
      payload: sfn.TaskInput.fromObject({
        floor: props.aucFloor,
        trained: sfn.JsonPath.listAt('$.trained'),
      }),
      payloadResponseOnly: true,
      resultPath: '$.gate',
      retryOnServiceExceptions: true,
    });

    const scoring = new sfn.Parallel(this, 'Score customers', { resultPath: sfn.JsonPath.DISCARD });
    PROPENSITY_MODELS.forEach((model, index) => {
      const createModel = new tasks.SageMakerCreateModel(this, `Create ${model} model`, {
        modelName: sfn.JsonPath.stringAt(`$.plan.${model}.modelName`),
        role: this.sageMakerRole,
        enableNetworkIsolation: true,
        primaryContainer: new tasks.ContainerDefinition({
          image,
          mode: tasks.Mode.SINGLE_MODEL,
          modelS3Location: runtimeS3Location(`$.trained[${index}].modelArtifacts`),
        }),
        resultPath: sfn.JsonPath.DISCARD,
      });
      createModel
        .next(this.transform(`Score ${model}`, model, 'scoring', '$.plan.scoring', 'scored', props))
        .next(
          this.transform(
            `Validate ${model}`,
            model,
            'validation',
            `$.plan.${model}.validation`,
            'validated',
            props,
          ),
        );
      scoring.branch(createModel);
    });

    const publish = new tasks.LambdaInvoke(this, 'Publish scores', {
      lambdaFunction: publishFunction,
      payload: sfn.TaskInput.fromObject({
        executionArn: sfn.JsonPath.executionId,
        plan: sfn.JsonPath.objectAt('$.plan'),
        gate: sfn.JsonPath.objectAt('$.gate'),
        trained: sfn.JsonPath.listAt('$.trained'),
        churnDays: props.churnDays,
        repurchaseDays: props.repurchaseDays,
      }),
      payloadResponseOnly: true,
      resultPath: '$.published',
      retryOnServiceExceptions: true,
    });
    const scoresReady = eventBus.publishTask(
      this,
      'Publish scores ready',
      EVENTS.propensityScoresReady.detailType,
      sfn.TaskInput.fromJsonPathAt('$.published.scoresReady'),
    );
    const winback = eventBus.publishTask(
      this,
      'Publish win-back audience',
      EVENTS.batchSegmentJobStateChange.detailType,
      sfn.TaskInput.fromJsonPathAt('$.published.winback'),
    );
    const refused = eventBus
      .publishTask(
        this,
        'Publish quality gate failure',
        EVENTS.propensityQualityGateFailed.detailType,
        sfn.TaskInput.fromObject({
          run: sfn.JsonPath.stringAt('$.plan.run'),
          floor: sfn.JsonPath.numberAt('$.gate.floor'),
          models: sfn.JsonPath.listAt('$.gate.models'),
          reason: sfn.JsonPath.stringAt('$.gate.reason'),
        }),
      )
      .next(new sfn.Succeed(this, 'Nothing published'));
    const crashed = eventBus
      .publishTask(
        this,
        'Publish propensity failure',
        EVENTS.workflowFailed.detailType,
        sfn.TaskInput.fromObject({
          workflow: 'Propensity scoring',
          executionArn: sfn.JsonPath.executionId,
          reason: sfn.JsonPath.format(
            'The propensity run stopped on {}: {} Nothing was published; the scores of the previous run stay in place.',
            sfn.JsonPath.stringAt('$.failure.Error'),
            sfn.JsonPath.stringAt('$.failure.Cause'),
          ),
        }),
      )
      .next(
        new sfn.Fail(this, 'Propensity failed', {
          error: 'PropensityFailed',
          cause: 'See the Workflow Failed event',
        }),
      );

    // Every way out (published, refused by the gate, failed) goes through the clean-up: the run's
    // CTAS tables are dropped from the work database (their files expire by the lifecycle rule),
    // then the run ends as it would have.
    const ending = new sfn.Choice(this, 'How did the run end?')
      .when(sfn.Condition.stringEquals('$.outcome', 'published'), new sfn.Succeed(this, 'Published'))
      .when(sfn.Condition.stringEquals('$.outcome', 'refused'), refused)
      .otherwise(crashed);
    const dropTables = new tasks.CallAwsService(this, 'Drop run tables', {
      service: 'glue',
      action: 'batchDeleteTable',
      iamAction: 'glue:BatchDeleteTable',
      // Only this deployment's work database and the tables a run creates in it.
      iamResources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        glueResourceArn(stack, 'database', workDatabaseName),
        glueResourceArn(stack, 'table', `${workDatabaseName}/${RUN_TABLE_PREFIX}*`),
      ],
      parameters: {
        DatabaseName: sfn.JsonPath.stringAt('$.plan.cleanup.database'),
        TablesToDelete: sfn.JsonPath.listAt('$.plan.cleanup.tables'),
      },
      // Tables that were never created (a run that failed early) come back in Errors, not as a failure.
      resultSelector: { 'errors.$': '$.Errors' },
      resultPath: '$.dropped',
    });
    dropTables.addRetry({
      errors: [sfn.Errors.TASKS_FAILED],
      interval: Duration.seconds(5),
      maxAttempts: 3,
      backoffRate: 2,
    });
    // Tables left behind must not turn a published run into a failed one, nor hide a failure's reason.
    dropTables.addCatch(ending, { resultPath: '$.dropFailure' });
    const cleanUp = new sfn.Choice(this, 'Tables to drop?')
      .when(sfn.Condition.isPresent('$.plan.cleanup'), dropTables.next(ending))
      .otherwise(ending);
    const endAs = (outcome: 'published' | 'refused' | 'failed', name: string) =>
      new sfn.Pass(this, name, { result: sfn.Result.fromString(outcome), resultPath: '$.outcome' }).next(
        cleanUp,
      );
    const failedRun = endAs('failed', 'Run failed');
    for (const state of [plan, features, exports, training, gate, scoring, publish]) {
      catchEvery(state, failedRun, '$.failure');
    }

    // A debounced start (Dataset Ingested) waits for its window to close; a scheduled one starts at once.
    const wait = new sfn.Wait(this, 'Wait for the window to close', {
      time: sfn.WaitTime.timestampPath('$.runAfter'),
    });
    const start = new sfn.Choice(this, 'Debounced?')
      .when(sfn.Condition.isPresent('$.runAfter'), wait.next(plan))
      .otherwise(plan);
    plan
      .next(features)
      .next(exports)
      .next(training)
      .next(gate)
      .next(
        new sfn.Choice(this, 'Good enough?')
          .when(
            sfn.Condition.booleanEquals('$.gate.passed', true),
            scoring.next(publish).next(scoresReady).next(winback).next(endAs('published', 'Run published')),
          )
          .otherwise(endAs('refused', 'Run refused')),
      );

    this.stateMachine = new CdpWorkflow(this, 'Workflow', {
      name: 'propensity',
      definition: start,
      // The window, Athena, two trainings (≤ 2 h each, in parallel) and four transforms.
      timeout: Duration.hours(8),
      invokes: [planFunction, gateFunction, publishFunction],
      notifications,
      alarmDescription: 'A propensity scoring workflow failed',
      removalPolicy: props.removalPolicy,
    });
    this.grantWorkflow(props, trustedDatabase, workDatabaseName);
    // What the CDK SageMaker and Athena tasks grant, acknowledged one by one.
    const sageMakerTaskResource = (resource: string) =>
      stack.formatArn({
        service: 'sagemaker',
        resource,
        resourceName: '*',
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    for (const resource of ['training-job', 'model']) {
      acknowledgeWildcardArn(
        this.stateMachine.role,
        sageMakerTaskResource(resource),
        'CDK scopes the SageMaker task grant by name only when the name is fixed at synth; ours carry the run.',
      );
    }
    acknowledgeWildcardArn(
      this.stateMachine.role,
      stack.formatArn({
        service: 'glue',
        resource: 'userDefinedFunction',
        resourceName: `${trustedDatabase}/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
      'The CDK Athena task grants the trusted database user-defined functions; the feature SQL uses none.',
    );
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(this.sageMakerRole).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason:
          'CDK grants encrypt/decrypt on the data lake key for the training output and volumes: that one key only.',
      });
    }

    // --- starts -------------------------------------------------------------------------
    if (props.startOnIngest) {
      const startFunction = new CdpFunction(this, 'Start', {
        handler: 'start-propensity',
        description: 'Starts one propensity run per window of purchase files',
        environment: {
          STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
          PROPENSITY_WINDOW_MINUTES: String(PROPENSITY_WINDOW_MINUTES),
        },
        deadLetterQueue: notifications.deadLetterQueue,
        logRemovalPolicy: props.removalPolicy,
      });
      this.stateMachine.grantStartExecution(startFunction);
      eventBus
        .addRule('PropensityStartRule', [EVENTS.datasetIngested], {
          dataset: [...PURCHASE_DATASETS],
          alreadyIngested: [false],
        })
        .addTarget(
          new targets.LambdaFunction(startFunction, {
            deadLetterQueue: notifications.deadLetterQueue,
            retryAttempts: 4,
            maxEventAge: Duration.hours(6),
          }),
        );
    }
    if (props.schedule) {
      const scheduleName = `${props.namePrefix}-propensity-weekly`;
      const role = new iam.Role(this, 'SchedulerRole', {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': stack.formatArn({
                service: 'scheduler',
                resource: 'schedule',
                resourceName: `default/${scheduleName}`,
                arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
              }),
            },
          },
        }),
        description: 'Lets the propensity schedule start the propensity workflow',
      });
      this.stateMachine.grantStartExecution(role);
      this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
        name: scheduleName,
        description: 'Re-scores churn and repurchase propensity',
        scheduleExpression: props.schedule,
        scheduleExpressionTimezone: 'UTC',
        flexibleTimeWindow: { mode: 'OFF' },
        target: {
          arn: this.stateMachine.stateMachineArn,
          roleArn: role.roleArn,
          input: JSON.stringify({ trigger: 'schedule' }),
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
          deadLetterConfig: { arn: notifications.deadLetterQueue.queueArn },
        },
      });
      notifications.deadLetterQueue.grantSendMessages(new iam.ServicePrincipal('scheduler.amazonaws.com'));
    }
  }

  /** A batch transform with DataProcessing, which the CDK task lacks: a CustomState on the .sync API. */
  private transform(
    name: string,
    model: PropensityModelName,
    what: 'scoring' | 'validation',
    input: string,
    output: 'scored' | 'validated',
    props: PropensityScoringProps,
  ): sfn.CustomState {
    const key = props.dataLake.key.keyArn;
    return new sfn.CustomState(this, name, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::sagemaker:createTransformJob.sync`,
        Parameters: {
          'TransformJobName.$': `$.plan.${model}.${what === 'scoring' ? 'scoringTransformJobName' : 'validationTransformJobName'}`,
          'ModelName.$': `$.plan.${model}.modelName`,
          BatchStrategy: 'MultiRecord',
          MaxPayloadInMB: 6,
          TransformInput: {
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', 'S3Uri.$': input } },
            ContentType: 'text/csv',
            SplitType: 'Line',
          },
          TransformOutput: {
            'S3OutputPath.$': `$.plan.${model}.${output}`,
            Accept: 'text/csv',
            AssembleWith: 'Line',
            KmsKeyId: key,
          },
          TransformResources: { InstanceType: props.instanceType, InstanceCount: 1, VolumeKmsKeyId: key },
          // The first column (customer_id, or the label) is kept out of the model and joined back,
          // so each output line is `<first column>,<score>`: nothing is re-joined by row order.
          DataProcessing: { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' },
        },
        ResultPath: null,
      },
    });
  }

  /** What the state machine's role needs beyond what the CDK tasks grant. */
  private grantWorkflow(props: PropensityScoringProps, trustedDatabase: string, workDatabase: string): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    const { dataLake } = props;
    // Athena runs with the caller's rights: it reads the trusted tables, writes the run's files
    // and its own results.
    dataLake.grantTrustedPrefix(role, 'trusted/', { list: true, write: false });
    dataLake.grantTrustedPrefix(role, PROPENSITY_WORK_PREFIX, { list: true, write: true });
    dataLake.grantTrustedPrefix(role, ATHENA_RESULTS_PREFIX, { list: true, write: true });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation'],
        resources: [dataLake.trusted.bucketArn],
      }),
    );
    const glueArn = (resource: 'database' | 'table', name: string) => glueResourceArn(stack, resource, name);
    const catalog = stack.formatArn({ service: 'glue', resource: 'catalog' });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:GetPartition',
          'glue:GetPartitions',
        ],
        resources: [catalog, glueArn('database', trustedDatabase), glueArn('table', `${trustedDatabase}/*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:CreateTable', 'glue:DeleteTable'],
        resources: [catalog, glueArn('database', workDatabase), glueArn('table', `${workDatabase}/*`)],
      }),
    );
    acknowledgeWildcardArn(
      role,
      glueArn('table', `${workDatabase}/${RUN_TABLE_PREFIX}*`),
      'The clean-up drops the tables of the run that ends; their names carry the run, so only the prefix is fixed.',
    );
    for (const db of [trustedDatabase, workDatabase]) {
      acknowledgeWildcardArn(
        role,
        glueArn('table', `${db}/*`),
        'Athena reads the tables of the trusted database and creates one table per run in the propensity database.',
      );
    }
    // The transform task is a CustomState: CDK adds nothing for it.
    const transformJobs = stack.formatArn({
      service: 'sagemaker',
      resource: 'transform-job',
      resourceName: `${sageMakerNamePrefix(props.namePrefix)}*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateTransformJob',
          'sagemaker:DescribeTransformJob',
          'sagemaker:StopTransformJob',
          'sagemaker:AddTags',
        ],
        resources: [transformJobs],
      }),
    );
    const syncRule = stack.formatArn({
      service: 'events',
      resource: 'rule',
      resourceName: 'StepFunctionsGetEventsForSageMakerTransformJobsRule',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [syncRule],
      }),
    );
    acknowledgeWildcardArn(
      role,
      transformJobs,
      "Transform job names carry the run; the grant stays inside this deployment's prefix.",
    );
  }
}
