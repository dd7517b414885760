import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { QUEUE_WAIT_HOURS } from '../../lambdas/core/destinations/activation-outcome';
import { catchEvery } from './cdp-workflow';

// Pinpoint runs at most two import jobs at once per account (endpoint import quotas); the map
// starts no more than that, and a refused start waits and retries instead of failing.
const PINPOINT_CONCURRENT_IMPORTS = 2;
// Bounded polling: 120 polls 30 s apart is one hour per running import.
const POLL_INTERVAL = Duration.seconds(30);
export const MAX_IMPORT_POLLS = 120;
// A job queued behind other imports of the account (PENDING_JOB) is not running yet, so its wait
// has a budget of its own: 480 polls 30 s apart is QUEUE_WAIT_HOURS (4 hours).
export const MAX_QUEUE_POLLS = (QUEUE_WAIT_HOURS * 3600) / POLL_INTERVAL.toSeconds();

/** Props of the Pinpoint imports. */
export interface PinpointImportsProps {
  /** The Pinpoint project. */
  readonly applicationId: string;
  /** The role Pinpoint assumes to read the files. */
  readonly importRole: iam.IRole;
  /** The bucket holding the audience files. */
  readonly bucket: string;
  /** The audience list the build step wrote (a JSON array in S3). */
  readonly items: sfn.IItemReader;
  /** Where the map writes how each import ended. */
  readonly results: sfn.ResultWriterV2;
  /** Records a failed import with its cause cut to a fixed length (the outcome function). */
  readonly recordFailure: lambda.IFunction;
}

/**
 * The workflow states that import each audience into Pinpoint as a static segment: start the
 * import job (queued when Pinpoint is busy), poll it to its end, and record how it ended.
 */
export class PinpointImports extends Construct {
  /** The Map state over the audience list; its result (`$.imports`) is where the outcomes are in S3. */
  readonly map: sfn.DistributedMap;
  /** Import job ARNs, known only at run time (for the cdk-nag acknowledgement). */
  readonly importJobsArn: string;

  constructor(scope: Construct, id: string, props: PinpointImportsProps) {
    super(scope, id);
    const { applicationId, importRole, bucket } = props;
    const stack = Stack.of(this);
    const appArn = stack.formatArn({
      service: 'mobiletargeting',
      resource: 'apps',
      resourceName: applicationId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    const importJobsArn = `${appArn}/jobs/import/*`;
    this.importJobsArn = importJobsArn;
    const start = new tasks.CallAwsService(this, 'Start import', {
      service: 'pinpoint',
      action: 'createImportJob',
      parameters: {
        ApplicationId: applicationId,
        ImportJobRequest: {
          DefineSegment: true,
          Format: 'CSV',
          RegisterEndpoints: false,
          RoleArn: importRole.roleArn,
          S3Url: sfn.JsonPath.format(`s3://${bucket}/{}`, sfn.JsonPath.stringAt('$.audience.importKey')),
          SegmentName: sfn.JsonPath.stringAt('$.audience.name'),
        },
      },
      iamResources: [appArn, `${appArn}/jobs/import`],
      iamAction: 'mobiletargeting:CreateImportJob',
      additionalIamStatements: [
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [importRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'pinpoint.amazonaws.com' } },
        }),
      ],
      resultSelector: { jobId: sfn.JsonPath.stringAt('$.ImportJobResponse.Id') },
      resultPath: '$.job',
    });
    start.addRetry({
      errors: ['Pinpoint.TooManyRequestsException'],
      interval: Duration.seconds(60),
      backoffRate: 1.5,
      maxDelay: Duration.minutes(10),
      maxAttempts: 12,
      jitterStrategy: sfn.JitterType.FULL,
    });
    start.addRetry({
      errors: ['Pinpoint.InternalServerErrorException', 'Pinpoint.ServiceUnavailableException'],
      maxAttempts: 3,
    });

    const wait = new sfn.Wait(this, 'Wait for import', { time: sfn.WaitTime.duration(POLL_INTERVAL) });
    const poll = new tasks.CallAwsService(this, 'Check import', {
      service: 'pinpoint',
      action: 'getImportJob',
      parameters: { ApplicationId: applicationId, JobId: sfn.JsonPath.stringAt('$.job.jobId') },
      iamResources: [importJobsArn],
      iamAction: 'mobiletargeting:GetImportJob',
      // Only JobStatus is sure to be there while a job runs; the segment ID is read once it completed.
      resultSelector: {
        status: sfn.JsonPath.stringAt('$.ImportJobResponse.JobStatus'),
        response: sfn.JsonPath.objectAt('$.ImportJobResponse'),
      },
      resultPath: '$.status',
    });
    poll.addRetry({
      errors: ['Pinpoint.TooManyRequestsException', 'Pinpoint.InternalServerErrorException'],
      interval: Duration.seconds(10),
      maxAttempts: 5,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const count = new sfn.Pass(this, 'Count poll', {
      parameters: { value: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.polls.value'), 1) },
      resultPath: '$.polls',
    });
    const countQueued = new sfn.Pass(this, 'Count queued poll', {
      parameters: { value: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.queued.value'), 1) },
      resultPath: '$.queued',
    });

    // The response as it came: SegmentId, TotalFailures and Failures may each be absent, and a
    // JSONPath to a missing field is a runtime error; the outcome step reads what is there.
    const completed = new sfn.Pass(this, 'Imported', {
      parameters: {
        name: sfn.JsonPath.stringAt('$.audience.name'),
        outcome: 'COMPLETED',
        job: sfn.JsonPath.objectAt('$.status.response'),
      },
    });
    // A failure's cause can be as long as Step Functions allows (32,768 characters); JSONPath cannot
    // cut text, so the outcome function records it, cut to MAX_CAUSE_BYTES, as the child's output.
    // If even that fails, the import is still reported as failed, without its cause.
    const notRecorded = new sfn.Pass(this, 'Import failure not recorded', {
      parameters: {
        name: sfn.JsonPath.stringAt('$.audience.name'),
        outcome: 'FAILED',
        error: 'ImportFailureNotRecorded',
      },
    });
    const recordFailure = (name: string, failure: Record<string, unknown>) => {
      const task = new tasks.LambdaInvoke(this, name, {
        lambdaFunction: props.recordFailure,
        payload: sfn.TaskInput.fromObject({
          importFailure: { name: sfn.JsonPath.stringAt('$.audience.name'), ...failure },
        }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
      });
      catchEvery(task, notRecorded, '$.recordError');
      return task;
    };
    const failed = recordFailure('Import failed', {
      error: { Error: 'ImportJobFailed' },
      response: sfn.JsonPath.objectAt('$.status.response'),
    });
    const timedOut = new sfn.Pass(this, 'Import timed out', {
      parameters: {
        name: sfn.JsonPath.stringAt('$.audience.name'),
        outcome: 'FAILED',
        error: 'ImportJobTimedOut',
      },
    });
    const queuedTooLong = new sfn.Pass(this, 'Import queued too long', {
      parameters: {
        name: sfn.JsonPath.stringAt('$.audience.name'),
        outcome: 'FAILED',
        error: 'ImportJobQueuedTooLong',
      },
    });
    const refused = recordFailure('Import refused', { error: sfn.JsonPath.objectAt('$.error') });
    catchEvery(start, refused, '$.error');
    catchEvery(poll, refused, '$.error');

    const runningBudget = new sfn.Choice(this, 'Running too long?')
      .when(sfn.Condition.numberGreaterThanEquals('$.polls.value', MAX_IMPORT_POLLS), timedOut)
      .otherwise(wait);
    const queueBudget = new sfn.Choice(this, 'Queued too long?')
      .when(sfn.Condition.numberGreaterThanEquals('$.queued.value', MAX_QUEUE_POLLS), queuedTooLong)
      .otherwise(wait);
    const decide = new sfn.Choice(this, 'Import done?')
      .when(sfn.Condition.stringEquals('$.status.status', 'COMPLETED'), completed)
      .when(sfn.Condition.stringEquals('$.status.status', 'FAILED'), failed)
      .when(sfn.Condition.stringEquals('$.status.status', 'PENDING_JOB'), countQueued.next(queueBudget))
      .otherwise(count.next(runningBudget));

    // A Distributed Map: each import polls in a child execution of its own, so a job with many
    // audiences never reaches the 25,000-event history limit of one Standard execution.
    const map = new sfn.DistributedMap(this, 'Import each audience', {
      itemReader: props.items,
      resultWriterV2: props.results,
      maxConcurrency: PINPOINT_CONCURRENT_IMPORTS,
      itemSelector: {
        audience: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        polls: { value: 0 },
        queued: { value: 0 },
      },
      resultPath: '$.imports',
    });
    map.itemProcessor(start.next(wait).next(poll).next(decide));
    this.map = map;
  }
}
