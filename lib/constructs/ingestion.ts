import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EVENTS } from '../../lambdas/core/events/catalog';
import { datasetDefinitions } from '../../lambdas/core/ingest/datasets';
import { LEDGER_PREFIX, trustedFolderOf } from '../../lambdas/core/ingest/ingest-file';
import { CdpFunction } from './cdp-function';
import { catchEvery, CdpWorkflow } from './cdp-workflow';
import type { DataLake } from './data-lake';
import type { EventBus } from './event-bus';
import type { Notifications } from './notifications';

/** Landing prefixes that start an ingestion. Personalize only for `.csv`: `training.json` starts training. */
export const LANDING_PREFIXES = ['crm/', 'store/', 'web/', 'pinpoint/'] as const;
export const PERSONALIZE_LANDING = 'personalize/*.csv';
/** Where the quarantine reports go in the quarantine bucket: `quarantine/<landing key>/`. */
export const QUARANTINE_PREFIX = 'quarantine/';

/** Props of the ingestion. */
export interface IngestionProps {
  /** Files are read from landing, written to trusted, and bad rows to quarantine. */
  readonly dataLake: DataLake;
  /** `Dataset Ingested` / `Dataset Rejected` are published on it. */
  readonly eventBus: EventBus;
  /** Dead-letter queue, alarms and emails. */
  readonly notifications: Notifications;
  /** Share of bad rows (0–1) above which a file is rejected whole. */
  readonly maxBadShare: number;
  /** Region assumed for phone numbers without a country code. */
  readonly phoneRegion: string;
  /** What happens to logs on stack deletion. */
  readonly removalPolicy: RemovalPolicy;
  /** Files larger than this are ingested in byte ranges by a Distributed Map (default 2 GB). */
  readonly splitAboveBytes?: number;
  /** About how many bytes each range holds (default 1 GB). */
  readonly rangeBytes?: number;
}

/** Ranges ingested at once by each Distributed Map. */
export const MAX_PARALLEL_RANGES = 20;

/**
 * Every file dropped into the landing zone is validated into the trusted zone: S3 sends
 * `Object Created` to the default bus, a rule hands it to a start Lambda, which starts the ingest
 * workflow under a name derived from key and ETag (a re-delivered event does not run twice); the
 * workflow's Lambda streams the file through the core and publishes `Dataset Ingested` or
 * `Dataset Rejected`.
 *
 * One Lambda ingests one file, streaming, in at most 15 minutes. A file larger than
 * `splitAboveBytes` is planned in byte ranges that start on proven record boundaries
 * (`range-plan.ts`); a Distributed Map checks each range, a merge step adds the counts up, finds
 * duplicates across ranges and applies the bad-row threshold to the whole file, a second
 * Distributed Map writes each range's trusted part, and one `Dataset Ingested` is published
 * (see `lambdas/core/ingest/ingest-ranges.ts`).
 */
export class Ingestion extends Construct {
  /** The ingest workflow. */
  readonly stateMachine: sfn.StateMachine;
  /** Ingests one file. */
  readonly ingestFunction: CdpFunction;
  /** The steps of a ranged ingestion: plan, check a range, merge, write a range, finish. */
  readonly rangeFunction: CdpFunction;
  /** Starts the workflow for each landing object, once. */
  readonly startFunction: CdpFunction;
  /** The S3 `Object Created` rule on the default bus. */
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const { dataLake, notifications } = props;

    // Both functions validate with the same zones and rules (lambdas/adapters/ingestion-env.ts).
    const ingestEnvironment = {
      LANDING_BUCKET: dataLake.landing.bucketName,
      TRUSTED_BUCKET: dataLake.trusted.bucketName,
      QUARANTINE_BUCKET: dataLake.quarantine.bucketName,
      MAX_BAD_SHARE: String(props.maxBadShare),
      PHONE_REGION: props.phoneRegion,
    };
    this.ingestFunction = new CdpFunction(this, 'Ingest', {
      handler: 'ingest-file',
      description: 'Validates one landing file into the trusted zone, bad rows into quarantine',
      // One full vCPU: parsing and Parquet encoding are CPU-bound. Rows stream through; the duplicate
      // check keeps 8 bytes per distinct row.
      memorySize: 1769,
      timeout: Duration.minutes(15),
      environment: ingestEnvironment,
      logRemovalPolicy: props.removalPolicy,
    });
    this.rangeFunction = new CdpFunction(this, 'IngestRange', {
      handler: 'ingest-range',
      description: 'Plans, checks, merges and writes the byte ranges of a large landing file',
      memorySize: 1769,
      timeout: Duration.minutes(15),
      environment: {
        ...ingestEnvironment,
        SPLIT_ABOVE_BYTES: String(props.splitAboveBytes ?? 2_000_000_000),
        RANGE_BYTES: String(props.rangeBytes ?? 1_000_000_000),
      },
      logRemovalPolicy: props.removalPolicy,
    });
    for (const fn of [this.ingestFunction, this.rangeFunction]) {
      const role = fn.role!;
      for (const prefix of [...LANDING_PREFIXES, 'personalize/']) {
        dataLake.grantPrefix('landing', role, prefix, { list: false, write: false });
      }
      const outputs = new Set(datasetDefinitions().map((d) => trustedFolderOf(d)));
      // The ledger prefix also holds a ranged ingestion's hash and drop lists (`_parts/`).
      for (const folder of [...outputs, LEDGER_PREFIX]) {
        dataLake.grantTrustedPrefix(role, folder, { list: false, write: true });
      }
      // The ledger check asks whether `trusted/_ingested/…` exists.
      dataLake.grantListZone('trusted', role);
      dataLake.grantPrefix('quarantine', role, QUARANTINE_PREFIX, { list: false, write: true });
    }
    // The merge step asks whether each range's quarantine part exists.
    dataLake.grantListZone('quarantine', this.rangeFunction.role!);

    this.stateMachine = new CdpWorkflow(this, 'Workflow', {
      name: 'ingestion',
      definition: this.definition(props.eventBus),
      // A ranged ingestion: plan, check, merge, write and finish, each up to 15 minutes, with retries.
      timeout: Duration.hours(3),
      invokes: [this.ingestFunction, this.rangeFunction],
      notifications,
      alarmDescription: 'An ingestion workflow failed',
      removalPolicy: props.removalPolicy,
    });

    this.startFunction = new CdpFunction(this, 'Start', {
      handler: 'start-ingest',
      description: 'Starts the ingest workflow once per landing object (key + ETag)',
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      deadLetterQueue: notifications.deadLetterQueue,
      logRemovalPolicy: props.removalPolicy,
    });
    this.stateMachine.grantStartExecution(this.startFunction);

    this.rule = new events.Rule(this, 'LandingObjectCreated', {
      description: 'A file landed in a dataset folder of the landing bucket: ingest it',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [dataLake.landing.bucketName] },
          object: {
            key: events.Match.anyOf(
              ...LANDING_PREFIXES.map((prefix) => events.Match.prefix(prefix)),
              events.Match.wildcard(PERSONALIZE_LANDING),
            ),
          },
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

  private definition(eventBus: EventBus): sfn.IChainable {
    const ingest = new tasks.LambdaInvoke(this, 'Ingest file', {
      lambdaFunction: this.ingestFunction,
      payload: sfn.TaskInput.fromObject({
        source: sfn.JsonPath.objectAt('$.source'),
        etag: sfn.JsonPath.stringAt('$.etag'),
        ingestDate: sfn.JsonPath.stringAt('$.ingestDate'),
      }),
      payloadResponseOnly: true,
      resultPath: '$.outcome',
      retryOnServiceExceptions: true,
    });
    // The Lambda decided the event (ingested, re-delivered or rejected); the workflow publishes it.
    const publishTask = eventBus.publishTask(
      this,
      'Publish ingest outcome',
      sfn.JsonPath.stringAt('$.outcome.detailType'),
      sfn.TaskInput.fromJsonPathAt('$.outcome.detail'),
    );
    const publish = publishTask.next(new sfn.Succeed(this, 'Reported'));

    // A crash (time-out, access denied, …) is reported as a rejection naming the error, then
    // fails the execution so the failed-execution alarm fires too.
    const describeCrash = new sfn.Pass(this, 'Describe crash', {
      parameters: {
        source: sfn.JsonPath.objectAt('$.source'),
        reason: sfn.JsonPath.format(
          'The ingestion of {} stopped on {} before it finished. The file is still in the landing zone; the execution history and the ingest Lambda logs have the details. Files that need more than 15 minutes must be split.',
          sfn.JsonPath.stringAt('$.source.key'),
          sfn.JsonPath.stringAt('$.failure.Error'),
        ),
        firstProblems: [],
      },
      resultPath: '$.rejected',
    });
    const publishCrash = eventBus.publishTask(
      this,
      'Publish ingest crash',
      EVENTS.datasetRejected.detailType,
      sfn.TaskInput.fromJsonPathAt('$.rejected'),
    );
    describeCrash.next(publishCrash).next(
      new sfn.Fail(this, 'Ingestion failed', {
        error: 'IngestionFailed',
        cause: 'See the Dataset Rejected event',
      }),
    );
    catchEvery(ingest, describeCrash, '$.failure');

    const split = this.rangedIngestion(publishTask, describeCrash);

    // Input comes from the start Lambda; check it anyway, as a hand-started execution would otherwise
    // stop on an uncatchable States.Runtime error.
    const valid = sfn.Condition.and(
      ...['$.source.bucket', '$.source.key', '$.etag', '$.ingestDate'].flatMap((path) => [
        sfn.Condition.isPresent(path),
        sfn.Condition.isString(path),
      ]),
    );
    ingest.next(publish);
    return new sfn.Choice(this, 'Valid request?').when(valid, split(ingest)).otherwise(
      new sfn.Fail(this, 'Invalid request', {
        error: 'InvalidRequest',
        cause: 'An ingestion needs source.bucket, source.key, etag and ingestDate (YYYY-MM-DD), all text.',
      }),
    );
  }

  /**
   * Plan → (one range: the whole-file path) or check each range (Distributed Map) → merge →
   * (rejected: publish) or write each range (Distributed Map) → finish → publish.
   */
  private rangedIngestion(publish: sfn.IChainable, crash: sfn.IChainable) {
    const file = {
      source: sfn.JsonPath.objectAt('$.source'),
      etag: sfn.JsonPath.stringAt('$.etag'),
      ingestDate: sfn.JsonPath.stringAt('$.ingestDate'),
    };
    const step = (id: string, payload: Record<string, unknown>, resultPath: string) => {
      const task = new tasks.LambdaInvoke(this, id, {
        lambdaFunction: this.rangeFunction,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: true,
      });
      catchEvery(task, crash, '$.failure');
      return task;
    };
    const item = (stepName: string, more: Record<string, unknown> = {}) => ({
      step: stepName,
      ...file,
      header: sfn.JsonPath.stringAt('$.plan.header'),
      recordDelimiter: sfn.JsonPath.stringAt('$.plan.recordDelimiter'),
      range: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      ...more,
    });
    const rangeMap = (
      id: string,
      stepName: string,
      processorId: string,
      more: Record<string, unknown> = {},
    ) => {
      const map = new sfn.DistributedMap(this, id, {
        itemsPath: '$.plan.ranges',
        itemSelector: item(stepName, more),
        maxConcurrency: MAX_PARALLEL_RANGES,
        resultPath: stepName === 'check' ? '$.checks' : sfn.JsonPath.DISCARD,
      });
      map.itemProcessor(
        new tasks.LambdaInvoke(this, processorId, {
          lambdaFunction: this.rangeFunction,
          payloadResponseOnly: true,
          retryOnServiceExceptions: true,
        }),
      );
      catchEvery(map, crash, '$.failure');
      return map;
    };

    const plan = step('Plan ranges', { step: 'plan', ...file }, '$.plan');
    const check = rangeMap('Check each range', 'check', 'Check range');
    const merge = step(
      'Merge ranges',
      { step: 'merge', ...file, checks: sfn.JsonPath.listAt('$.checks') },
      '$.merge',
    );
    const write = rangeMap('Write each range', 'write', 'Write range', {
      withDrops: sfn.JsonPath.listAt('$.merge.withDrops'),
    });
    const finish = step(
      'Finish ranges',
      { step: 'finish', ...file, merged: sfn.JsonPath.objectAt('$.merge') },
      '$.outcome',
    );
    const rejected = new sfn.Pass(this, 'Ranges rejected', {
      inputPath: '$.merge.event',
      resultPath: '$.outcome',
    });
    check
      .next(merge)
      .next(
        new sfn.Choice(this, 'Write ranges?')
          .when(sfn.Condition.stringEquals('$.merge.status', 'write'), write.next(finish).next(publish))
          .otherwise(rejected.next(publish)),
      );
    return (whole: sfn.IChainable) =>
      plan.next(
        new sfn.Choice(this, 'In ranges?')
          .when(sfn.Condition.booleanEquals('$.plan.split', true), check)
          .otherwise(whole),
      );
  }
}
